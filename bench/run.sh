#!/usr/bin/env bash
# Runs one benchmark and prints its figures as key=value lines on stdout (units in the keys),
# nothing else. Builds the bench module (and the modules it uses, in the reactor: nothing is installed
# into ~/.m2) first when its jar is missing or older than their sources.
#
# Usage: bench/run.sh NAME [--key value ...]
#        bench/run.sh --list
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Failover runs on the multi-host Docker harness, which lives with the integration tests: the
# benchmark is a test class there (not an *IT, so CI does not run it) that writes its figures to a file.
if [[ ${1:-} == failover ]]; then
    shift
    props=()
    while (($#)); do
        case $1 in
            --rounds) props+=("-Dferry.bench.rounds=$2"); shift 2 ;;
            --leader-rounds) props+=("-Dferry.bench.leader-rounds=$2"); shift 2 ;;
            *) echo "bench: failover takes --rounds N and --leader-rounds N, not $1" >&2; exit 2 ;;
        esac
    done
    rm -f integration-tests/target/failover-benchmark.txt
    mvn -B -q -pl integration-tests -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
        -Dit.test=FailoverBenchmark -Dfailsafe.failIfNoSpecifiedTests=false "${props[@]}" >&2
    exec cat integration-tests/target/failover-benchmark.txt
fi

jar=bench/target/ferry-bench.jar
if [[ ! -f $jar ]] || [[ -n $(find bench/src common/src proto/src agent/src migration/src coordinator/src cli/src pom.xml */pom.xml -newer "$jar" -type f -print -quit) ]]; then
    echo "bench: building the bench module" >&2
    mvn -B -q -pl bench -am -DskipTests package >&2
fi
# The foreign-function flags let placement and list move the JVM's futexes to the kernel's global
# hash (see FutexHash.java); they change nothing else.
exec java --add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED -jar "$jar" "$@"
