#!/usr/bin/env bash
# Ferry's quickstart: a whole cluster on this one machine.
#   deploy/quickstart.sh        host setup, build, then start a coordinator (embedded ZooKeeper)
#                               and three agents, each its own simulated host in a network
#                               namespace, and leave them running
#   deploy/quickstart.sh down   stop all of it and remove what it created
#   deploy/quickstart.sh status show what is running
# Addresses come from deploy/config/quickstart.env (fixed defaults, nothing is probed).
# Containers get their addresses from the coordinator's cluster subnet (10.100.0.0/16 by default),
# the same on every host: the agents' bridges are joined by a VXLAN overlay over the hosts'
# addresses, so a container reaches one on another host by address, wherever each runs.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
# shellcheck source=config/quickstart.env
. deploy/config/quickstart.env

state=$FERRY_QS_STATE
logs=$state/logs
# The coordinator serves its API on loopback (bin/ferry's default address); the agents in their
# namespaces reach only the embedded ZooKeeper, on the bridge's address.
coordinator_address=127.0.0.1:$FERRY_QS_COORDINATOR_PORT
zookeeper_address=$FERRY_QS_GATEWAY:$FERRY_QS_ZOOKEEPER_PORT
export FERRY_COORDINATOR=$coordinator_address
# The cluster CA (`ferry cluster init`), the coordinator's security.dir; bin/ferry uses its admin.
security=$state/security
export FERRY_CERT=$security/clients/admin.crt FERRY_KEY=$security/clients/admin.key FERRY_CA=$security/ca.crt

say() { printf 'quickstart: %s\n' "$*"; }
die() { printf 'quickstart: ERROR: %s\n' "$*" >&2; exit 1; }

host_name() { echo "host-$1"; }
host_netns() { echo "ferry-host-$1"; }
host_ip() { echo "$FERRY_QS_PREFIX.$((10 + $1))"; }
host_veth() { echo "fqs-h$1"; }

# ---- network: one bridge in the root namespace, one namespace per simulated host ----

network_up() {
    if ! ip link show "$FERRY_QS_BRIDGE" >/dev/null 2>&1; then
        ip link add "$FERRY_QS_BRIDGE" type bridge
        ip addr add "$FERRY_QS_GATEWAY/24" dev "$FERRY_QS_BRIDGE"
    fi
    ip link set "$FERRY_QS_BRIDGE" up
    # dockerd sets the FORWARD policy to DROP and br_netfilter sends bridged frames through it.
    iptables -C FORWARD -i "$FERRY_QS_BRIDGE" -o "$FERRY_QS_BRIDGE" -j ACCEPT 2>/dev/null ||
        iptables -I FORWARD -i "$FERRY_QS_BRIDGE" -o "$FERRY_QS_BRIDGE" -j ACCEPT
    local i ns veth
    for ((i = 1; i <= FERRY_QS_HOSTS; i++)); do
        ns=$(host_netns "$i")
        veth=$(host_veth "$i")
        ip netns list | grep -qx "$ns\( .*\)\?" || ip netns add "$ns"
        if ! ip link show "$veth" >/dev/null 2>&1; then
            ip link add "$veth" type veth peer name eth0 netns "$ns"
            ip link set "$veth" master "$FERRY_QS_BRIDGE" up
            ip -n "$ns" addr add "$(host_ip "$i")/24" dev eth0
        fi
        ip -n "$ns" link set lo up
        ip -n "$ns" link set eth0 up
        ip -n "$ns" route replace default via "$FERRY_QS_GATEWAY"
    done
}

network_down() {
    local i
    for ((i = 1; i <= FERRY_QS_HOSTS; i++)); do
        ip link del "$(host_veth "$i")" 2>/dev/null || true
        ip netns del "$(host_netns "$i")" 2>/dev/null || true
    done
    while iptables -D FORWARD -i "$FERRY_QS_BRIDGE" -o "$FERRY_QS_BRIDGE" -j ACCEPT 2>/dev/null; do :; done
    ip link del "$FERRY_QS_BRIDGE" 2>/dev/null || true
}

# ---- processes ----

# start_daemon NAME NETNS-or-"" COMMAND...: run in the background, detached, logging to logs/NAME.log.
start_daemon() {
    local name=$1 ns=$2
    shift 2
    local pidfile=$state/$name.pid
    if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        say "$name already running (pid $(cat "$pidfile"))"
        return
    fi
    # Enter only the network namespace: `ip netns exec` remounts /sys and hides the cgroup
    # mounts that runc needs.
    local prefix=()
    [[ -n $ns ]] && prefix=(nsenter "--net=/run/netns/$ns")
    setsid "${prefix[@]}" "$@" >"$logs/$name.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    say "started $name (pid $!), log $logs/$name.log"
}

stop_daemons() {
    local pidfile pid
    for pidfile in "$state"/*.pid; do
        [[ -f $pidfile ]] || continue
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
            say "stopped $(basename "$pidfile" .pid)"
        fi
        rm -f "$pidfile"
    done
}

# delete_containers: containers outlive their agents by design, so remove them through the
# coordinator (which gives their reservations back), then whatever an agent still holds, before
# stopping the daemons.
delete_containers() {
    local i addr name
    for name in $(bin/ferry list --output json 2>/dev/null | grep -o '"name": "[^"]*"' | cut -d'"' -f4 | sort -u || true); do
        bin/ferry delete "$name" --force >/dev/null 2>&1 && say "deleted $name"
    done
    for ((i = 1; i <= FERRY_QS_HOSTS; i++)); do
        addr="$(host_ip "$i"):$FERRY_QS_AGENT_PORT"
        for name in $(bin/ferry agent list "$addr" --output json 2>/dev/null | grep -o '"name": "[^"]*"' | cut -d'"' -f4 || true); do
            if bin/ferry agent delete "$addr" "$name" --force; then
                say "deleted $name on $(host_name "$i")"
            fi
        done
    done
}

# remove_leftovers: whatever an agent that was not answering left: runc containers, overlay
# mounts under the state directory, container network namespaces of the quickstart's hosts.
remove_leftovers() {
    local root id mp ns i
    for root in "$state"/host-*/runc; do
        [[ -d $root ]] || continue
        for id in $(runc --root "$root" list -q 2>/dev/null); do
            runc --root "$root" delete --force "$id" && say "removed leftover container $id"
        done
    done
    awk -v d="$state/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r mp; do umount -l "$mp" 2>/dev/null || true; done
    for ((i = 1; i <= FERRY_QS_HOSTS; i++)); do
        for ns in $(ip netns list | awk -v p="fc-host-$i." 'index($1, p) == 1 { print $1 }'); do
            ip netns del "$ns" 2>/dev/null || true
        done
    done
}

# wait_for DESCRIPTION SECONDS COMMAND...: poll COMMAND until it succeeds or the deadline passes.
wait_for() {
    local what=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "$what not ready after ${seconds}s; see $logs"
        sleep 0.2
    done
}

java_opts=(-XX:+UseSerialGC -Xss512k -XX:TieredStopAtLevel=1)

up() {
    ((EUID == 0)) || die "must run as root"
    deploy/host-setup.sh
    say "building (mvn -B -DskipTests package)"
    mvn -B -q -DskipTests package
    mkdir -p "$logs"
    if [[ ! -f $security/ca.crt ]]; then
        bin/ferry cluster init --dir "$security" >/dev/null
        say "created the cluster CA and the admin's certificate in $security"
    fi
    network_up
    start_daemon coordinator "" java "${java_opts[@]}" -Xmx256m -jar coordinator/target/ferry-coordinator.jar \
        "listen.address=127.0.0.1" "listen.port=$FERRY_QS_COORDINATOR_PORT" \
        "zookeeper.embedded.address=$FERRY_QS_GATEWAY" "zookeeper.embedded.port=$FERRY_QS_ZOOKEEPER_PORT" \
        "zookeeper.embedded.data-dir=$state/zookeeper" "images.spool-dir=$state/spool" \
        "security.dir=$security" "join.address=$FERRY_QS_GATEWAY" "join.port=$FERRY_QS_JOIN_PORT"
    wait_for coordinator 60 bin/ferry host list
    local i name join
    for ((i = 1; i <= FERRY_QS_HOSTS; i++)); do
        name=$(host_name "$i")
        # A new host joins with a one-time token (`ferry host add`); later starts use its certificate.
        join=()
        if [[ ! -f $state/$name/security/host.crt ]]; then
            join=("join.token=$(bin/ferry host add "$name" | tail -n 1)" "join.coordinator=$FERRY_QS_GATEWAY:$FERRY_QS_JOIN_PORT")
        fi
        start_daemon "$name" "$(host_netns "$i")" java "${java_opts[@]}" -Xmx128m \
            -jar agent/target/ferry-agent.jar "host.name=$name" \
            "listen.address=$(host_ip "$i")" "listen.port=$FERRY_QS_AGENT_PORT" \
            "state.dir=$state/$name" "cluster.zookeeper=$zookeeper_address" \
            "network.overlay.enabled=true" "host.labels=zone=$(( (i + 1) / 2 ))" \
            "runtime.cgroup-parent=/ferry-$name" "${join[@]}"
    done
    wait_for "$FERRY_QS_HOSTS hosts online" 90 hosts_online
    import_images_and_launch
    status
    cat <<MSG

Everything speaks mutual TLS. bin/ferry needs the admin's certificate; in your shell:
  export FERRY_CERT=$FERRY_CERT FERRY_KEY=$FERRY_KEY FERRY_CA=$FERRY_CA

Next commands to try (bin/ferry talks to the coordinator at $coordinator_address):
  bin/ferry list                                     # the cluster's containers
  bin/ferry host list                                # hosts, their state and usage
  bin/ferry exec web-1 -- systemctl is-system-running
  bin/ferry launch busybox box-1 --memory 64MiB -- /bin/sh -c 'while true; do sleep 1; done'
  bin/ferry exec box-1 -- ping -c 1 $(web_address)        # across hosts, over the overlay
  bin/ferry launch busybox box-2 --label zone=2 --dry-run   # why this host
  bin/ferry move web-1 --mode live                   # live migration to another host (same address)
  bin/ferry stop web-1 --stateful                    # CRIU checkpoint; then: start --stateful
  bin/ferry events                                   # lifecycle events as they happen
  deploy/quickstart.sh status
  deploy/quickstart.sh down                          # stop everything and clean up
MSG
}

# hosts_online: every simulated host has joined and is online in the coordinator's view.
hosts_online() {
    [[ $(bin/ferry host list --output json | grep -c '"state": "HOST_STATE_ONLINE"') -eq $FERRY_QS_HOSTS ]]
}

# Imports the base images through the coordinator (busybox on every host, debian/12 on host-1)
# and launches web-1, which placement puts on host-1, the only host holding its image.
import_images_and_launch() {
    bin/ferry image list | grep -q busybox ||
        bin/ferry image import /var/cache/ferry/images/busybox.tar.zst --alias busybox >/dev/null
    bin/ferry image list | grep -q debian/12 ||
        bin/ferry image import /var/cache/ferry/images/debian-12.tar.zst --alias debian/12 --host host-1 >/dev/null
    say "images imported: busybox on every host, debian/12 on host-1"
    if ! bin/ferry list | grep -q '^web-1 '; then
        bin/ferry launch debian/12 web-1 --init systemd --memory 512MiB --cpu 1 >/dev/null
    fi
    wait_for "web-1 (systemd)" 60 sh -c "bin/ferry exec web-1 -- systemctl is-system-running | grep -Eq 'running|degraded'"
    say "launched web-1 (Debian 12, systemd) on $(bin/ferry info web-1 --output json | grep -o '"host": "[^"]*"' | cut -d'"' -f4), address $(web_address)"
}

# web_address: web-1's cluster address, as the coordinator allocated it.
web_address() {
    bin/ferry info web-1 --output json 2>/dev/null | grep -o '"address": "10\.[^"]*"' | head -n 1 | cut -d'"' -f4
}

status() {
    say "coordinator: $coordinator_address (embedded ZooKeeper on $zookeeper_address)"
    local i
    for ((i = 1; i <= FERRY_QS_HOSTS; i++)); do
        local addr
        addr="$(host_ip "$i"):$FERRY_QS_AGENT_PORT"
        if bin/ferry agent info "$addr" >/dev/null 2>&1; then
            say "$(host_name "$i"): agent up at $addr (network namespace $(host_netns "$i"))"
        else
            say "$(host_name "$i"): agent NOT answering at $addr"
        fi
    done
    echo
    bin/ferry host list || true
    echo
    bin/ferry list || true
}

down() {
    ((EUID == 0)) || die "must run as root"
    delete_containers
    stop_daemons
    remove_leftovers
    network_down
    rm -rf --one-file-system "$state"
    say "cluster stopped and removed"
}

case "${1:-up}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) die "usage: deploy/quickstart.sh [up|down|status]" ;;
esac
