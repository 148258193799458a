# shellcheck shell=bash
# Step 7: base root filesystems, built locally (there is no container registry), cached as
# $FERRY_IMAGE_CACHE/NAME.tar.zst (tar with numeric owners, zstd) plus NAME.tar.zst.sha256.
# NAME.recipe.sha256 holds the hash of deploy/images/NAME.sh that built it: a changed
# recipe rebuilds. Everything is built in a temporary dir and renamed into place, tarball
# first and stamp last, so an interrupted run never leaves an image that counts as cached.

FERRY_IMAGES=(busybox debian-12)

recipe_of() { echo "$FERRY_DEPLOY_DIR/images/$1.sh"; }
recipe_hash() { sha256sum "$(recipe_of "$1")" | awk '{ print $1 }'; }

# image_cached NAME: tarball, checksum and recipe stamp present and consistent.
image_cached() {
    local name=$1 dir=$FERRY_IMAGE_CACHE
    [[ -f $dir/$name.tar.zst && -f $dir/$name.tar.zst.sha256 && -f $dir/$name.recipe.sha256 ]] || return 1
    [[ $(cat "$dir/$name.recipe.sha256") == "$(recipe_hash "$name")" ]] || return 1
    (cd "$dir" && sha256sum -c --status "$name.tar.zst.sha256")
}

# build_image NAME: run deploy/images/NAME.sh ROOTFS, then tar + compress + checksum.
build_image() {
    local name=$1 dir=$FERRY_IMAGE_CACHE work start log_file=/var/log/ferry-image-$1.log
    start=$(date +%s%N)
    work=$(mktemp -d "$dir/.build-$name.XXXXXX")
    add_cleanup "remove_tree '$work'"
    mkdir -m 0755 "$work/rootfs"
    log "images: building $name (recipe deploy/images/$name.sh, log $log_file)"
    if ! FERRY_DEBIAN_MIRROR=$(debian_mirror) bash "$(recipe_of "$name")" "$work/rootfs" >"$log_file" 2>&1; then
        tail -n 30 "$log_file" >&2
        die "images: recipe for $name failed (log: $log_file)"
    fi
    umount_under "$work/rootfs"
    tar --numeric-owner --xattrs --acls -C "$work/rootfs" -cf - . |
        zstd -q -T0 -o "$work/$name.tar.zst"
    (cd "$work" && sha256sum "$name.tar.zst" >"$name.tar.zst.sha256")
    recipe_hash "$name" >"$work/$name.recipe.sha256"
    mv -f "$work/$name.tar.zst" "$dir/$name.tar.zst"
    mv -f "$work/$name.tar.zst.sha256" "$dir/$name.tar.zst.sha256"
    mv -f "$work/$name.recipe.sha256" "$dir/$name.recipe.sha256"
    remove_tree "$work"
    changed "images: built $name -> $dir/$name.tar.zst ($(du -h "$dir/$name.tar.zst" | cut -f1), $(elapsed_since "$start") s)"
}

setup_images() {
    local name stale
    mkdir -p "$FERRY_IMAGE_CACHE"
    # Leftovers of an interrupted run (never counted as cached).
    for stale in "$FERRY_IMAGE_CACHE"/.build-*; do
        [[ -e $stale ]] || continue
        remove_tree "$stale"
        changed "images: removed leftover $stale"
    done
    for name in "${FERRY_IMAGES[@]}"; do
        if image_cached "$name"; then
            log "images: $name cached ($FERRY_IMAGE_CACHE/$name.tar.zst, checksum ok)"
        else
            build_image "$name"
        fi
        summary "image $name" "$FERRY_IMAGE_CACHE/$name.tar.zst"
    done
}
