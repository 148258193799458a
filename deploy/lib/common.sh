# shellcheck shell=bash
# Shared helpers for deploy/host-setup.sh: logging, change tracking, small file utilities.

FERRY_LOG_PREFIX="host-setup:"
FERRY_CHANGES=0          # number of things this run changed on the host
FERRY_SUMMARY=()         # "key|value" lines printed at the end

log()  { printf '%s %s\n' "$FERRY_LOG_PREFIX" "$*"; }
warn() { printf '%s WARNING: %s\n' "$FERRY_LOG_PREFIX" "$*" >&2; }
die()  { printf '%s ERROR: %s\n' "$FERRY_LOG_PREFIX" "$*" >&2; exit 1; }

# changed MSG: log an action that modified the host and count it.
changed() { FERRY_CHANGES=$((FERRY_CHANGES + 1)); log "$*"; }

# summary KEY VALUE: remember one line for the final summary.
summary() { FERRY_SUMMARY+=("$1|$2"); }

have() { command -v "$1" >/dev/null 2>&1; }

# write_if_changed PATH MODE: write stdin to PATH atomically, only when the content
# differs. Returns 0 when the file was (re)written, 1 when it was already identical.
write_if_changed() {
    local path=$1 mode=$2 tmp
    mkdir -p "$(dirname "$path")"
    tmp=$(mktemp "$path.tmp.XXXXXX")
    cat >"$tmp"
    if [[ -f $path ]] && cmp -s "$tmp" "$path"; then
        rm -f "$tmp"
        return 1
    fi
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$path"
    return 0
}

# elapsed_since START_EPOCH_NS: seconds with one decimal.
elapsed_since() {
    local now
    now=$(date +%s%N)
    awk -v a="$1" -v b="$now" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

print_summary() {
    local start=$1 line key
    log "---- summary ($(elapsed_since "$start") s) ----"
    for line in "${FERRY_SUMMARY[@]}"; do
        key=${line%%|*}
        printf '%s   %-18s %s\n' "$FERRY_LOG_PREFIX" "$key" "${line#*|}"
    done
    if ((FERRY_CHANGES == 0)); then
        log "nothing changed: everything was already present"
    else
        log "$FERRY_CHANGES change(s) made"
    fi
}

# debian_mirror: the Debian mirror apt is configured with (first non-security URI).
debian_mirror() {
    local uri="" f=/etc/apt/sources.list.d/debian.sources
    if [[ -f $f ]]; then
        uri=$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
    fi
    if [[ -z $uri && -f /etc/apt/sources.list ]]; then
        uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
    fi
    uri=${uri:-http://deb.debian.org/debian}
    echo "${uri%/}"
}

# Cleanups run on exit (in reverse order), e.g. to remove half-built temporary dirs.
FERRY_CLEANUPS=()
add_cleanup() { FERRY_CLEANUPS+=("$1"); }
run_cleanups() {
    local i
    for ((i = ${#FERRY_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${FERRY_CLEANUPS[i]}" || true
    done
}

# umount_under DIR: lazily unmount everything mounted at or below DIR (deepest first).
umount_under() {
    local dir mp
    dir=$(realpath -m "$1")
    awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
        sort -r | while read -r mp; do umount -l "$mp" 2>/dev/null || true; done
}

# remove_tree DIR: unmount what is below DIR, then delete it without leaving its filesystem.
remove_tree() {
    [[ -e $1 ]] || return 0
    umount_under "$1"
    rm -rf --one-file-system "$1"
}
