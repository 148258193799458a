# shellcheck shell=bash
# Step 5: /etc/ferry/host.env tells the agent where things are. Plain KEY=value lines
# without quotes or spaces, so both `. /etc/ferry/host.env` and java.util.Properties read it.

FERRY_HOST_ENV=/etc/ferry/host.env
FERRY_IMAGE_CACHE=/var/cache/ferry/images

detect_runc() {
    FERRY_RUNC=$(command -v runc) || die "runc: not found on PATH"
    FERRY_RUNC_VERSION=$("$FERRY_RUNC" --version | awk 'NR == 1 { print $3 }')
    FERRY_RUNC_VERSION=${FERRY_RUNC_VERSION%%+*}   # Debian's "1.1.5+ds1" -> "1.1.5"
    log "runc: runc $FERRY_RUNC_VERSION present at $FERRY_RUNC"
    summary runc "$FERRY_RUNC $FERRY_RUNC_VERSION"
}

write_host_env() {
    if write_if_changed "$FERRY_HOST_ENV" 0644 <<EOT
# Written by Ferry deploy/host-setup.sh: shell KEY=value lines, also Java properties.
FERRY_RUNC=$FERRY_RUNC
FERRY_RUNC_VERSION=$FERRY_RUNC_VERSION
FERRY_CRIU=$FERRY_CRIU
FERRY_CRIU_VERSION=$FERRY_CRIU_VERSION
FERRY_CRIU_CONFIG=$FERRY_CRIU_CONF
FERRY_CRIU_FEATURES=$FERRY_CRIU_FEATURES
FERRY_CRIU_MISSING_FEATURES=$FERRY_CRIU_MISSING_FEATURES
FERRY_IMAGE_CACHE=$FERRY_IMAGE_CACHE
EOT
    then
        changed "host.env: wrote $FERRY_HOST_ENV"
    else
        log "host.env: $FERRY_HOST_ENV up to date"
    fi
    summary host.env "$FERRY_HOST_ENV"
}
