#!/bin/bash
# Recipe for the "debian-12" base image: Debian bookworm minbase with systemd as init,
# made to boot as a system container under runc.
# Usage: debian-12.sh ROOTFS [MIRROR]   (MIRROR defaults to $FERRY_DEBIAN_MIRROR, then
# http://deb.debian.org/debian; host-setup.sh passes the mirror apt is configured with)
set -euo pipefail

root=${1:?usage: debian-12.sh ROOTFS [MIRROR]}
mirror=${2:-${FERRY_DEBIAN_MIRROR:-http://deb.debian.org/debian}}

umask 022
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,procps \
    bookworm "$root" "$mirror"

# Units that fail in a container: debugfs/tracefs cannot be mounted in a user namespace
# (and should not be the host's anyway). Nothing else needs masking: udev is not installed
# (minbase), getty@ needs /dev/tty0 and console-getty /dev/console, absent under runc with
# terminal=false.
for unit in sys-kernel-debug.mount sys-kernel-tracing.mount; do
    ln -sfn /dev/null "$root/etc/systemd/system/$unit"
done

# CRIU cannot dump nested UTS namespaces ("Can't dump nested uts namespace"): services
# with ProtectHostname=yes (systemd-logind, -localed, -timedated) get it turned off.
find "$root/usr/lib/systemd/system" -maxdepth 1 -type f -name '*.service' \
    -exec grep -l '^ProtectHostname=yes' {} + | while read -r f; do
    unit=$(basename "$f")
    mkdir -p "$root/etc/systemd/system/$unit.d"
    printf '# Ferry: CRIU cannot checkpoint nested UTS namespaces.\n[Service]\nProtectHostname=no\n' \
        >"$root/etc/systemd/system/$unit.d/ferry-criu.conf"
done

# Empty machine-id: each container gets its own at first boot.
: >"$root/etc/machine-id"
mkdir -p "$root/var/lib/dbus"
ln -sfn /etc/machine-id "$root/var/lib/dbus/machine-id"

# No password login for root.
chroot "$root" passwd -l root

# Do not carry the build host's identity or resolver into the image.
rm -f "$root/etc/hostname"
cat >"$root/etc/hosts" <<'EOT'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOT
: >"$root/etc/resolv.conf"

# Smaller image: no package caches or lists, empty logs.
chroot "$root" apt-get clean
find "$root/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete
rm -f "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old "$root"/var/log/bootstrap.log
find "$root/var/log" -type f -exec truncate -s 0 {} +

# The runtime provides /dev (a tmpfs with the standard nodes): an image carries no device
# nodes, and Ferry's image store refuses archives that do.
find "$root/dev" -mindepth 1 -delete
