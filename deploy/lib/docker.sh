# shellcheck shell=bash
# Step 6: a running Docker engine (Debian's docker.io) for the Testcontainers tests.
# There is no systemd on these hosts, so dockerd is started in the background by hand.
#
# Note: dockerd sets the iptables FORWARD policy to DROP when it has to turn on
# net.ipv4.ip_forward itself (host-facts saw DROP; here step 3 sets ip_forward=1 first and the
# policy stayed ACCEPT). With DROP, and br_netfilter passing bridged frames through iptables,
# bridges in the root network namespace need an explicit ACCEPT rule or must live inside host
# network namespaces. That is fine for now.

# Use docker.io's own binaries: /usr/local/bin/docker on these machines is a client only,
# and comes first on PATH.
FERRY_DOCKER_CLI=/usr/bin/docker
FERRY_DOCKERD=/usr/sbin/dockerd
FERRY_DOCKER_SOCK=/var/run/docker.sock
FERRY_DOCKERD_LOG=/var/log/ferry-dockerd.log
FERRY_DOCKER_TIMEOUT=30

docker_cli() { DOCKER_HOST=unix://$FERRY_DOCKER_SOCK "$FERRY_DOCKER_CLI" "$@"; }
docker_up() { timeout 10 "$FERRY_DOCKER_CLI" -H "unix://$FERRY_DOCKER_SOCK" info >/dev/null 2>&1; }
docker_server_version() { docker_cli version --format '{{.Server.Version}}' 2>/dev/null; }

start_dockerd() {
    log "docker: 'docker info' fails; starting $FERRY_DOCKERD (log $FERRY_DOCKERD_LOG)"
    # 9>&-: do not hand host-setup's lock fd to the daemon (it would hold the lock forever).
    setsid nohup "$FERRY_DOCKERD" </dev/null >"$FERRY_DOCKERD_LOG" 2>&1 9>&- &
    local pid=$! deadline=$((SECONDS + FERRY_DOCKER_TIMEOUT))
    until docker_up; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$FERRY_DOCKERD_LOG" >&2
            die "docker: dockerd exited early (log: $FERRY_DOCKERD_LOG)"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 30 "$FERRY_DOCKERD_LOG" >&2
            die "docker: engine not up after ${FERRY_DOCKER_TIMEOUT} s (log: $FERRY_DOCKERD_LOG)"
        fi
        sleep 0.3
    done
    changed "docker: started dockerd (pid $pid)"
}

setup_docker() {
    [[ -x $FERRY_DOCKERD && -x $FERRY_DOCKER_CLI ]] || die "docker: docker.io is not installed"
    if docker_up; then
        log "docker: engine already running"
    else
        start_dockerd
    fi
    local server pkg
    server=$(docker_server_version)
    server=${server%%+*}
    pkg=$(dpkg-query -W -f='${Version}' docker.io 2>/dev/null)
    pkg=${pkg%%+*}
    [[ $server == "$pkg" ]] ||
        warn "docker: engine on $FERRY_DOCKER_SOCK is $server, not docker.io's $pkg"
    log "docker: engine $server on unix://$FERRY_DOCKER_SOCK"
    summary docker "engine $server on unix://$FERRY_DOCKER_SOCK"
}
