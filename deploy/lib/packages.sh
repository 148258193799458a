# shellcheck shell=bash
# Step 1: Debian packages. Installs only what is missing; runs `apt-get update` only then.

FERRY_APT_LOG=/var/log/ferry-apt.log

# Container runtime and host tools.
# busybox-static also announces containers on the overlay (its arping, see network.busybox).
# nftables: `nft`, to see (and clear) the network-lock tables CRIU leaves in a namespace.
FERRY_PKGS_BASE=(runc iproute2 iptables nftables rsync busybox-static debootstrap zstd xz-utils patch tar
    ca-certificates procps)
# What `make criu` of CRIU 4.2.1 needs on Debian 12 (iptables: CRIU's network lock at run time).
FERRY_PKGS_CRIU_BUILD=(build-essential pkgconf libbsd-dev libcap-dev libgnutls28-dev
    libnet1-dev libnftables-dev libnl-3-dev libprotobuf-c-dev libprotobuf-dev
    protobuf-c-compiler protobuf-compiler uuid-dev python3)

# wanted_packages: print the package names this host needs, one per line.
wanted_packages() {
    printf '%s\n' "${FERRY_PKGS_BASE[@]}" "${FERRY_PKGS_CRIU_BUILD[@]}"
    ((FERRY_WITH_DOCKER)) && echo docker.io
    have mvn || echo maven
    have javac || echo openjdk-17-jdk-headless
    return 0
}

# missing_packages PKG...: print those not installed (dpkg status other than "ii").
missing_packages() {
    local installed
    installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
        awk '$1 == "ii" { print $2 }' | sed 's/:.*//') || true
    local p
    for p in "$@"; do
        grep -qxF "$p" <<<"$installed" || echo "$p"
    done
}

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

setup_packages() {
    local wanted missing
    mapfile -t wanted < <(wanted_packages)
    mapfile -t missing < <(missing_packages "${wanted[@]}")
    if ((${#missing[@]} == 0)); then
        log "packages: all ${#wanted[@]} present"
        summary packages "all ${#wanted[@]} present"
        return
    fi
    local missing_before=("${missing[@]}")
    log "packages: missing ${#missing[@]}: ${missing[*]}"
    log "packages: apt-get update + install (log $FERRY_APT_LOG)"
    : >"$FERRY_APT_LOG"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$FERRY_APT_LOG" 2>&1 ||
        { tail -n 20 "$FERRY_APT_LOG" >&2; die "apt-get update failed"; }
    apt_install "${missing[@]}" >>"$FERRY_APT_LOG" 2>&1 ||
        { tail -n 30 "$FERRY_APT_LOG" >&2; die "apt-get install failed: ${missing[*]}"; }
    mapfile -t missing < <(missing_packages "${wanted[@]}")
    ((${#missing[@]} == 0)) || die "still missing after install: ${missing[*]}"
    changed "packages: installed ${#missing_before[@]}: ${missing_before[*]}"
    summary packages "installed ${#missing_before[@]}; all ${#wanted[@]} present"
}
