#!/usr/bin/env bash
# Build localhost/ie-debian:trixie-packages: the base image
# (build-image.sh) with the roles' packages installed (packages-image.list)
# and nothing configured. Molecule scenarios that do not test installation
# start from it (IE_TEST_IMAGE in their molecule.yml), so each of their
# containers does not unpack Ceph, Slurm, QEMU and Podman again. Skips the
# work when the image was built from this recipe: this script, the list and
# the base image.
#
#   build-packages-image.sh [BASE] [IMAGE]
#     defaults: localhost/ie-debian:trixie localhost/ie-debian:trixie-packages
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=${1:-localhost/ie-debian:trixie}
image=${2:-localhost/ie-debian:trixie-packages}
list=$here/packages-image.list

# One build at a time on this machine (make test's first job, and
# molecule/site's side effect, which needs the image for its added node).
exec 9>/run/lock/ie-packages-image.lock
flock 9

base_id=$(podman image inspect --format '{{.Id}}' "$base")
recipe=$(cat "$0" "$list" <(echo "$base_id") | sha256sum | cut -c1-16)
source "$here/image-recipe.sh"
image_is_current "$image" "$recipe" && exit 0

plain=$(sed -e 's/#.*//' -e '/^+/d' "$list" | xargs)
recommends=$(sed -n 's/^+recommends //p' "$list" | xargs)
disabled=$(sed -n 's/^+disabled //p' "$list" | xargs)
name=ie-packages-build-$$
trap 'podman rm --force --time 0 --ignore "$name" >/dev/null' EXIT
# The suites the base role configures (trixie, -updates, -security), only
# for the build: the base role writes its own sources on each host.
mirror=${IE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
podman run --name "$name" --env DEBIAN_FRONTEND=noninteractive "$base" bash -euo pipefail -c "
    echo 'deb $mirror trixie-updates main' > /etc/apt/sources.list.d/ie-image.list
    echo 'deb http://deb.debian.org/debian-security trixie-security main' >> /etc/apt/sources.list.d/ie-image.list
    # The accounts the munge and slurm_common roles make before installing,
    # with their default IDs, so the packages find them as they do there.
    groupadd --system --gid 64031 munge
    useradd --system --uid 64031 --gid munge --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin munge
    groupadd --system --gid 64030 slurm
    useradd --system --uid 64030 --gid slurm --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin slurm
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $plain >/dev/null
    apt-get install -y -qq $recommends >/dev/null
    # Installed, not configured: the daemons whose role configures and
    # enables them do not start at boot with the packages' defaults (slurmd
    # alone would wait 90 s for a controller and fail).
    systemctl disable --quiet $disabled
    rm -f /etc/apt/sources.list.d/ie-image.list /var/cache/apt/archives/*.deb
    rm -rf /var/lib/apt/lists/*
    touch -d @0 /var/lib/apt/lists
    : > /etc/machine-id
"
podman commit --quiet --change "LABEL ie.recipe=$recipe" "$name" "$image" >/dev/null
echo "image $image: built"
