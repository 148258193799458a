# shellcheck shell=bash
# Step 3: kernel settings and modules, applied now and persisted for the next boot.

FERRY_SYSCTL_CONF=/etc/sysctl.d/90-ferry.conf
FERRY_MODULES_CONF=/etc/modules-load.d/ferry.conf
# sysctl key=value pairs. fs.pipe-max-size: CRIU lazy-pages (post-copy) needs 4 MiB pipes.
FERRY_SYSCTLS=(fs.pipe-max-size=4194304 net.ipv4.ip_forward=1)
# module:CONFIG_SYMBOL (the symbol tells whether the kernel has it built in).
FERRY_MODULES=(overlay:OVERLAY_FS veth:VETH bridge:BRIDGE vxlan:VXLAN br_netfilter:BRIDGE_NETFILTER)

apply_sysctls() {
    local kv key want cur
    for kv in "${FERRY_SYSCTLS[@]}"; do
        key=${kv%%=*} want=${kv#*=}
        cur=$(sysctl -n "$key")
        if [[ $cur == "$want" ]]; then
            log "kernel: $key = $want already"
        else
            sysctl -q -w "$key=$want" || die "kernel: sysctl -w $key=$want failed"
            changed "kernel: set $key = $want (was $cur)"
        fi
    done
    if printf '# Written by Ferry deploy/host-setup.sh\n' | cat - <(printf '%s\n' "${FERRY_SYSCTLS[@]/=/ = }") |
        write_if_changed "$FERRY_SYSCTL_CONF" 0644; then
        changed "kernel: wrote $FERRY_SYSCTL_CONF"
    else
        log "kernel: $FERRY_SYSCTL_CONF up to date"
    fi
}

# kernel_builtin SYMBOL: true when /proc/config.gz says CONFIG_SYMBOL=y.
kernel_builtin() {
    [[ -r /proc/config.gz ]] || return 1
    [[ -n ${FERRY_KCONFIG:-} ]] || FERRY_KCONFIG=$(zcat /proc/config.gz 2>/dev/null || true)
    grep -qx "CONFIG_$1=y" <<<"$FERRY_KCONFIG"
}

load_modules() {
    local entry mod sym state=()
    for entry in "${FERRY_MODULES[@]}"; do
        mod=${entry%%:*} sym=${entry#*:}
        if [[ -d /sys/module/$mod ]] && ! [[ -f /sys/module/$mod/initstate ]]; then
            state+=("$mod(built-in)")
        elif [[ -f /sys/module/$mod/initstate ]]; then
            state+=("$mod(loaded)")
        elif kernel_builtin "$sym"; then
            state+=("$mod(built-in)")
        elif have modprobe && modprobe -q "$mod" 2>/dev/null; then
            changed "kernel: loaded module $mod"
            state+=("$mod(loaded)")
        else
            # Tolerated: the feature may be built in without showing up anywhere we look.
            warn "kernel: module $mod not loaded (no modprobe or modprobe failed)"
            state+=("$mod(MISSING?)")
        fi
    done
    log "kernel: modules ${state[*]}"
    summary modules "${state[*]}"
    if printf '# Written by Ferry deploy/host-setup.sh\n' | cat - <(printf '%s\n' "${FERRY_MODULES[@]%%:*}") |
        write_if_changed "$FERRY_MODULES_CONF" 0644; then
        changed "kernel: wrote $FERRY_MODULES_CONF"
    fi
}

setup_kernel() {
    apply_sysctls
    load_modules
    summary sysctl "${FERRY_SYSCTLS[*]} ($FERRY_SYSCTL_CONF)"
}
