#!/usr/bin/env bash
# Build the local Debian base image that every lab and test container runs:
# systemd as PID 1, python3 for Ansible and the SSH server, as Debian's
# installer leaves a server with its "SSH server" task. No registry can be
# reached, so the root filesystem comes from debootstrap. Skips the work when
# the image exists.
#
#   build-image.sh [SUITE] [IMAGE]     defaults: trixie localhost/ie-debian:trixie
set -euo pipefail

suite=${1:-trixie}
image=${2:-localhost/ie-debian:${suite}}
mirror=${IE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The image carries the hash of this script: a changed recipe rebuilds it.
recipe=$(sha256sum "$0" | cut -c1-16)
source "$(dirname "$0")/image-recipe.sh"
image_is_current "$image" "$recipe" && exit 0

rootfs=$(mktemp -d /var/tmp/ie-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

echo "image $image: debootstrap $suite from $mirror"
debootstrap --variant=minbase \
    --include=python3,python3-apt,systemd,systemd-sysv,dbus,iproute2,iputils-ping,sudo,procps,ca-certificates,gnupg,less,openssh-server \
    "$suite" "$rootfs" "$mirror" >/dev/null
# Each container makes its own SSH host keys, so the keys the package made
# here are not shared by every container: Debian's sshd-keygen.service runs
# `ssh-keygen -A` before sshd on a first boot, which a Podman container
# never is; here it runs whenever the keys are missing.
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/sshd-keygen.service.d"
printf '%s\n' '[Unit]' 'ConditionFirstBoot=' 'ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key' \
    > "$rootfs/etc/systemd/system/sshd-keygen.service.d/ie-image.conf"

# The container is not a booted machine: no getty, no udev-triggered units,
# no NVMe over fabrics (nvme-cli, which Ceph pulls in, would connect at boot
# and fail without /dev/nvme-fabrics, leaving systemd "degraded"), and apt
# keeps what it downloads so a shared cache can hold each .deb once.
chroot "$rootfs" systemctl mask getty@tty1.service serial-getty@console.service \
    systemd-udevd.service systemd-udev-trigger.service systemd-remount-fs.service \
    systemd-resolved.service systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount \
    nvmf-autoconnect.service >/dev/null 2>&1 || true
printf 'Binary::apt::APT::Keep-Downloaded-Packages "true";\nAPT::Keep-Downloaded-Packages "true";\n' \
    > "$rootfs/etc/apt/apt.conf.d/10keep-downloads"
rm -f "$rootfs/etc/apt/apt.conf.d/docker-clean"
# A throw-away container need not survive a power cut mid-install: dpkg skips
# its fsync calls, which are most of an install's time on an overlay file system.
echo force-unsafe-io > "$rootfs/etc/dpkg/dpkg.cfg.d/ie-unsafe-io"

# Test image only: use the machine's apt cache (tools/harness/aptcache.sh) at
# the container's gateway when it answers, the mirror directly otherwise.
install -m 0755 /dev/stdin "$rootfs/usr/local/sbin/ie-apt-proxy" <<'SCRIPT'
#!/bin/bash
# apt Acquire::http::Proxy-Auto-Detect helper (ie-cluster test image).
gw=$(ip -4 route show default 2>/dev/null | awk '{print $3; exit}')
if [ -n "$gw" ] && timeout 1 bash -c "exec 3<>/dev/tcp/$gw/3143" 2>/dev/null; then
    echo "http://$gw:3143"
else
    echo DIRECT
fi
SCRIPT
echo 'Acquire::http::Proxy-Auto-Detect "/usr/local/sbin/ie-apt-proxy";' \
    > "$rootfs/etc/apt/apt.conf.d/01ie-apt-proxy"
: > "$rootfs/etc/machine-id"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
# apt's cache_valid_time reads the lists directory's time: make it say "never
# updated", or a container of a new image would skip `apt-get update` for an
# hour and find no packages at all.
touch -d @0 "$rootfs/var/lib/apt/lists"

tar -C "$rootfs" -c . | podman import \
    --change 'CMD ["/sbin/init"]' \
    --change 'ENV container=podman' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change "LABEL ie.recipe=$recipe" \
    - "$image" >/dev/null 2>&1
echo "image $image: built"
