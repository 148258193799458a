#!/usr/bin/env bash
# Runs Ferry's tests on this machine, from nothing: host setup (packages, CRIU, Docker engine,
# base images; seconds when already done), then `mvn -B verify`: unit tests (*Test) and the
# integration tests (*IT) that need root, real runc, real CRIU, ZooKeeper and Docker.
#
# Usage: deploy/test.sh [extra Maven arguments], e.g.
#   deploy/test.sh -pl agent -am -Dit.test=HostProbeIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ((EUID != 0)); then
    echo "deploy/test.sh: must run as root (runc, CRIU and Docker need it)" >&2
    exit 1
fi

start=$(date +%s)
deploy/host-setup.sh
echo "test.sh: host ready in $(($(date +%s) - start)) s; running mvn -B verify"
mvn -B verify "$@"
echo "test.sh: all tests passed in $(($(date +%s) - start)) s"
