#!/usr/bin/env bash
# Runs one benchmark and prints its figures as key=value lines on stdout (units in the keys),
# nothing else. Builds the bench module first when its jar is missing or older than the sources.
#
# Usage: bench/run.sh NAME [--key value ...]
#        bench/run.sh --list
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

jar=bench/target/ferry-bench.jar
if [[ ! -f $jar ]] || [[ -n $(find bench/src common/src proto/src agent/src migration/src -newer "$jar" -type f -print -quit) ]]; then
    echo "bench: building the bench module" >&2
    mvn -B -q -pl bench -am -DskipTests install >&2
fi
exec java -jar "$jar" "$@"
