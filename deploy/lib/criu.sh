# shellcheck shell=bash
# Step 2: a CRIU that works on this kernel, and step 4: the CRIU config runc reads.
# Debian 12's own criu (3.17) dies on kernels >= 6.13 ("Unexpected rt vDSO area bounds"):
# never install it. We build 4.2.1 from Debian's (sid) source package instead.

FERRY_CRIU_VERSION_WANTED=4.2.1
FERRY_CRIU_DEB_VERSION=4.2.1-1
FERRY_CRIU_ORIG=criu_${FERRY_CRIU_VERSION_WANTED}.orig.tar.xz
# sha256 of the upstream tarball as Debian ships it (apt also checks it against the .dsc).
FERRY_CRIU_ORIG_SHA256=29ec0ee09e296479fe7048c80980e8ef1d0684d0b0204c2b101dfea19f6725b9
FERRY_CRIU_BIN=/opt/ferry/bin/criu
# What the installed binary was built from (version + patches), so a changed patch rebuilds it.
FERRY_CRIU_STAMP=/opt/ferry/bin/criu.build
# Ferry's patches to CRIU, applied in name order (see each file's header for why).
FERRY_CRIU_PATCH_DIR=${FERRY_DEPLOY_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/criu
FERRY_CRIU_SRC=/var/cache/ferry/criu-src
FERRY_CRIU_CONF=/etc/criu/runc.conf
# CRIU's run directory, compiled in: where it caches the kernel facts it otherwise probes on every
# run (about 30 ms, inside a migration's frozen window). It keeps the cache only on a tmpfs, and
# /run is not one on every host; the agent mounts a small tmpfs here when needed (CriuTuning.java).
FERRY_CRIU_RUNDIR=/run/ferry-criu

# criu_works BIN: true when `BIN check` says "Looks good.".
criu_works() {
    local out
    [[ -x $1 ]] || return 1
    out=$("$1" check 2>&1) || return 1
    grep -q 'Looks good\.' <<<"$out"
}

criu_version() { "$1" --version 2>/dev/null | awk '/^Version:/ { print $2; exit }'; }

# criu_fetch_source: leave the upstream tarball at $FERRY_CRIU_SRC/$FERRY_CRIU_ORIG.
# Uses a private apt configuration (own sources list with a deb-src line for sid, own
# lists and cache dirs), so the system's apt sources are left untouched.
criu_fetch_source() {
    local dir=$FERRY_CRIU_SRC orig=$FERRY_CRIU_SRC/$FERRY_CRIU_ORIG
    if [[ -f $orig ]] && criu_orig_ok "$orig"; then
        log "criu: source $FERRY_CRIU_ORIG cached in $dir"
        return
    fi
    local mirror apt_dir dl
    mirror=$(debian_mirror)
    apt_dir=$dir/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d"
    echo "deb-src $mirror sid main" >"$apt_dir/sources.list"
    local opts=(-q -o "Dir::Etc::SourceList=$apt_dir/sources.list"
        -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
        -o APT::Sandbox::User=root)
    log "criu: fetching source package criu=$FERRY_CRIU_DEB_VERSION (deb-src $mirror sid)"
    apt-get "${opts[@]}" update >"$dir/apt-update.log" 2>&1 ||
        { tail -n 20 "$dir/apt-update.log" >&2; die "criu: apt-get update (private sid deb-src) failed"; }
    dl=$(mktemp -d "$dir/download.XXXXXX")
    # The .debian.tar.xz may answer 404; the .orig.tar.xz is all `make` needs.
    (cd "$dl" && apt-get "${opts[@]}" source --download-only "criu=$FERRY_CRIU_DEB_VERSION") \
        >"$dir/apt-source.log" 2>&1 || log "criu: apt-get source reported errors (see $dir/apt-source.log); checking for $FERRY_CRIU_ORIG"
    [[ -f $dl/$FERRY_CRIU_ORIG ]] ||
        { tail -n 20 "$dir/apt-source.log" >&2; die "criu: $FERRY_CRIU_ORIG was not downloaded"; }
    criu_orig_ok "$dl/$FERRY_CRIU_ORIG" || die "criu: $FERRY_CRIU_ORIG has an unexpected sha256"
    mv -f "$dl/$FERRY_CRIU_ORIG" "$orig"
    rm -rf "$dl"
    changed "criu: downloaded $FERRY_CRIU_ORIG -> $orig"
}

criu_orig_ok() {
    [[ -z $FERRY_CRIU_ORIG_SHA256 ]] && return 0
    echo "$FERRY_CRIU_ORIG_SHA256  $1" | sha256sum -c --status
}

# criu_build_id: the identity of the CRIU Ferry builds: version, run directory and the sha256 of each patch.
criu_build_id() {
    local p id="criu $FERRY_CRIU_VERSION_WANTED rundir=$FERRY_CRIU_RUNDIR"
    for p in "$FERRY_CRIU_PATCH_DIR"/*.patch; do
        [[ -f $p ]] && id+=" $(basename "$p"):$(sha256sum "$p" | cut -c1-16)"
    done
    echo "$id"
}

# has_cap_sys_resource: stock CRIU can read other users' rlimits only with CAP_SYS_RESOURCE.
has_cap_sys_resource() {
    local bnd
    bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
    (( (16#$bnd >> 24) & 1 ))
}

# criu_build: build `criu` from the cached tarball and install the single binary.
criu_build() {
    criu_fetch_source
    local build src log_file=$FERRY_CRIU_SRC/build.log start
    build=$(mktemp -d "$FERRY_CRIU_SRC/build.XXXXXX")
    tar -C "$build" -xf "$FERRY_CRIU_SRC/$FERRY_CRIU_ORIG"
    src=$build/criu-$FERRY_CRIU_VERSION_WANTED
    [[ -d $src ]] || src=$(find "$build" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    local p
    for p in "$FERRY_CRIU_PATCH_DIR"/*.patch; do
        [[ -f $p ]] || continue
        patch -d "$src" -p1 --quiet <"$p" || { rm -rf "$build"; die "criu: patch $(basename "$p") does not apply"; }
        log "criu: applied $(basename "$p")"
    done
    start=$(date +%s%N)
    log "criu: building CRIU $FERRY_CRIU_VERSION_WANTED (make -j$(nproc) criu, log $log_file)"
    if ! make -C "$src" -j"$(nproc)" RUNDIR="$FERRY_CRIU_RUNDIR" criu >"$log_file" 2>&1; then
        tail -n 40 "$log_file" >&2
        rm -rf "$build"
        die "criu: build failed (full log: $log_file)"
    fi
    install -D -m 0755 "$src/criu/criu" "$FERRY_CRIU_BIN.new"
    mv -f "$FERRY_CRIU_BIN.new" "$FERRY_CRIU_BIN"
    criu_build_id >"$FERRY_CRIU_STAMP"
    rm -rf "$build"
    changed "criu: built CRIU $FERRY_CRIU_VERSION_WANTED -> $FERRY_CRIU_BIN ($(elapsed_since "$start") s)"
}

setup_criu() {
    local path_criu how
    FERRY_CRIU=""
    # A system CRIU is used only where it can dump containers with non-root processes: with
    # CAP_SYS_RESOURCE. Without it (these VMs), Ferry's patched build is needed.
    if path_criu=$(command -v criu) && [[ $path_criu != "$FERRY_CRIU_BIN" ]]; then
        if ! has_cap_sys_resource; then
            log "criu: not using $path_criu: without CAP_SYS_RESOURCE only Ferry's patched CRIU can dump non-root processes"
        elif criu_works "$path_criu"; then
            FERRY_CRIU=$path_criu
            how="present on PATH"
        else
            log "criu: $path_criu ($(criu_version "$path_criu")) fails 'criu check'; not using it"
        fi
    fi
    if [[ -z $FERRY_CRIU ]] && criu_works "$FERRY_CRIU_BIN"; then
        if [[ "$(cat "$FERRY_CRIU_STAMP" 2>/dev/null)" == "$(criu_build_id)" ]]; then
            FERRY_CRIU=$FERRY_CRIU_BIN
            how="present"
        else
            log "criu: $FERRY_CRIU_BIN was built from other sources or patches; rebuilding"
        fi
    fi
    if [[ -z $FERRY_CRIU ]]; then
        criu_build
        criu_works "$FERRY_CRIU_BIN" || {
            "$FERRY_CRIU_BIN" check >&2 || true
            die "criu: freshly built $FERRY_CRIU_BIN fails 'criu check'"
        }
        FERRY_CRIU=$FERRY_CRIU_BIN
        how="built"
    fi
    FERRY_CRIU_VERSION=$(criu_version "$FERRY_CRIU")
    log "criu: CRIU $FERRY_CRIU_VERSION $how at $FERRY_CRIU ('criu check': Looks good.)"
    summary criu "$FERRY_CRIU $FERRY_CRIU_VERSION ($how)"
    criu_report_features
}

# criu_feature_names: the names `criu check --feature` accepts, from `criu --help`.
criu_feature_names() {
    "$FERRY_CRIU" --help 2>&1 |
        sed -n '/--feature FEAT.*one of/,/^\* Logging/p' | sed '1d;$d' | tr ',' '\n' | tr -d ' ' |
        grep -E '^[a-z0-9_-]+$' || true
}

# criu_report_features: run every `criu check --feature X` and print the results.
criu_report_features() {
    local f yes=() no=()
    for f in $(criu_feature_names); do
        if "$FERRY_CRIU" check --feature "$f" >/dev/null 2>&1; then yes+=("$f"); else no+=("$f"); fi
    done
    # shellcheck disable=SC2034 # both go to /etc/ferry/host.env (lib/hostenv.sh)
    FERRY_CRIU_FEATURES=$(IFS=,; echo "${yes[*]}")
    # shellcheck disable=SC2034
    FERRY_CRIU_MISSING_FEATURES=$(IFS=,; echo "${no[*]}")
    log "criu: features supported: ${yes[*]:-none}"
    log "criu: features NOT supported: ${no[*]:-none}"
    local key
    for key in mem_dirty_track uffd uffd-noncoop; do
        [[ " ${yes[*]} ${no[*]} " == *" $key "* ]] || continue
        if [[ " ${yes[*]} " == *" $key "* ]]; then summary "  $key" yes; else summary "  $key" no; fi
    done
}

# Step 4: /etc/criu/runc.conf (runc passes it to CRIU on checkpoint/restore). Systemd
# containers mount /dev/hugepages, which CRIU refuses to dump without `enable-fs hugetlbfs`.
# Existing lines are kept; only missing ones are appended.
setup_criu_config() {
    local conf=$FERRY_CRIU_CONF
    mkdir -p "$(dirname "$conf")"
    [[ -f $conf ]] || : >"$conf"
    if grep -Eq '^[[:space:]]*(--)?enable-fs[[:space:]=]+([^#]*,)?(hugetlbfs|all)([,[:space:]#]|$)' "$conf"; then
        log "criu config: $conf already has enable-fs hugetlbfs"
        summary "criu config" "$conf (present)"
    else
        [[ ! -s $conf || -z $(tail -c 1 "$conf") ]] || echo >>"$conf"
        echo "enable-fs hugetlbfs" >>"$conf"
        changed "criu config: added 'enable-fs hugetlbfs' to $conf"
        summary "criu config" "$conf (enable-fs hugetlbfs added)"
    fi
}
