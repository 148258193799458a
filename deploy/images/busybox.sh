#!/bin/bash
# Recipe for the "busybox" base image: a tiny rootfs from Debian's busybox-static.
# Usage: busybox.sh ROOTFS   (ROOTFS: an empty directory; run as root)
# /sbin/init is busybox init; /etc/inittab runs /etc/init.d/rcS once and starts no getty
# (a container has no console).
set -euo pipefail

root=${1:?usage: busybox.sh ROOTFS}
bb=${BUSYBOX:-/bin/busybox}
[[ -x $bb ]] || { echo "busybox.sh: $bb missing (apt-get install busybox-static)" >&2; exit 1; }

umask 022
mkdir -p "$root"
cd "$root"
mkdir -p bin sbin usr/bin usr/sbin etc/init.d proc sys dev tmp run var/log var/tmp root home
chmod 1777 tmp var/tmp
chmod 0700 root

install -m 0755 "$bb" bin/busybox
# One symlink per applet, where busybox itself would put it (like `busybox --install -s`).
"$bb" --list-full | while read -r applet; do
    [[ $applet == bin/busybox ]] && continue
    mkdir -p "$(dirname "$applet")"
    ln -sfn /bin/busybox "$applet"
done
ln -sfn /bin/busybox sbin/init

cat >etc/inittab <<'EOT'
# busybox init: no getty (a container has no console).
::sysinit:/etc/init.d/rcS
::restart:/sbin/init
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/umount -a -r
EOT

cat >etc/init.d/rcS <<'EOT'
#!/bin/sh
# Runs once at boot (::sysinit in /etc/inittab).
[ -e /proc/self/stat ] || mount -t proc proc /proc
# Needs CAP_SYS_ADMIN in the container's UTS namespace; runc sets the hostname anyway.
if [ -s /etc/hostname ]; then
    hostname -F /etc/hostname 2>/dev/null || true
fi
EOT
chmod 0755 etc/init.d/rcS

cat >etc/passwd <<'EOT'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOT
cat >etc/group <<'EOT'
root:x:0:
nogroup:x:65534:
EOT
cat >etc/shadow <<'EOT'
root:!:1::::::
nobody:!:1::::::
EOT
chmod 0640 etc/shadow
echo busybox >etc/hostname
cat >etc/hosts <<'EOT'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOT
: >etc/resolv.conf

# Sanity: the applets init and the rcS script need.
for f in sbin/init bin/sh bin/mount bin/hostname bin/umount; do
    [[ -L $f ]] || { echo "busybox.sh: $f missing" >&2; exit 1; }
done
