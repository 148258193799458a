#!/bin/bash
# Ferry host setup: makes a Debian 12 host ready to run Ferry's agent (runc + CRIU) and its
# tests. Run as root. Idempotent: a second run on a prepared host changes nothing and only
# checks (no apt-get update, no rebuilds).
#
# Usage: deploy/host-setup.sh [--no-docker] [--no-images]
#   --no-docker  skip the Docker engine (docker.io + dockerd), only needed by the tests
#   --no-images  skip building the base images (busybox, debian-12)
#
# Steps: 1 packages, 2 CRIU, 3 kernel settings, 4 CRIU config for runc,
#        5 /etc/ferry/host.env, 6 Docker engine, 7 base images.
set -euo pipefail

FERRY_DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for lib in common packages criu kernel hostenv docker images; do
    # shellcheck source=/dev/null
    . "$FERRY_DEPLOY_DIR/lib/$lib.sh"
done

FERRY_WITH_DOCKER=1
FERRY_WITH_IMAGES=1
FERRY_LOCK=/run/ferry-host-setup.lock

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; }

parse_args() {
    local arg
    for arg in "$@"; do
        case $arg in
            --no-docker) FERRY_WITH_DOCKER=0 ;;
            --no-images) FERRY_WITH_IMAGES=0 ;;
            -h | --help) usage; exit 0 ;;
            *) usage >&2; die "unknown argument: $arg" ;;
        esac
    done
}

# run_step NAME FUNCTION: run one step and log how long it took.
run_step() {
    local name=$1 start
    start=$(date +%s%N)
    "$2"
    log "[$name] done in $(elapsed_since "$start") s"
}

main() {
    parse_args "$@"
    ((EUID == 0)) || die "must run as root"
    umask 022
    export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
    export LC_ALL=C
    exec 9>"$FERRY_LOCK"
    flock -n 9 || { log "another host-setup is running; waiting"; flock 9; }
    trap run_cleanups EXIT
    trap 'warn "interrupted"; exit 130' INT TERM

    local start
    start=$(date +%s%N)
    log "starting (docker: $FERRY_WITH_DOCKER, images: $FERRY_WITH_IMAGES)"
    run_step packages setup_packages
    run_step runc detect_runc
    run_step criu setup_criu
    run_step kernel setup_kernel
    run_step criu-config setup_criu_config
    run_step host.env write_host_env
    if ((FERRY_WITH_DOCKER)); then
        run_step docker setup_docker
    else
        log "docker: skipped (--no-docker)"; summary docker skipped
    fi
    if ((FERRY_WITH_IMAGES)); then
        run_step images setup_images
    else
        log "images: skipped (--no-images)"; summary images skipped
    fi
    print_summary "$start"
}

main "$@"
