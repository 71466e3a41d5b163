#!/bin/sh
# A CephFS client that keeps writing and reading while a test restarts the
# cluster under it (molecule/ceph's rolling upgrade; molecule/site's planned
# reboot, as a student through su).
#
#   cephfs-writer.sh DIR LOG SUMS STOP        (absolute paths)
#
# Each round: 64 KiB from urandom written to a new file DIR/fN and read back;
# a timeout turns a hang into an error. A good round adds "SHA256  fN" to
# SUMS (for `cd DIR && sha256sum -c SUMS` on another host); a bad one adds
# to LOG the line "error fN: write status W, read status R at HH:MM:SS"
# (124: that step's timeout). It stops when the file STOP exists and then
# writes "finished" to LOG, so a LOG of that one line means no error.
set -u
dir=$1 log=$2 sums=$3 stop=$4
chunk=$(mktemp)
mkdir -p "$dir" && cd "$dir" || exit 1
: > "$log"
: > "$sums"
i=0
while [ ! -e "$stop" ]; do
    i=$((i + 1))
    head -c 65536 /dev/urandom > "$chunk"
    sum=$(sha256sum < "$chunk" | cut -d' ' -f1)
    timeout 60 cp "$chunk" "f$i"; wrote=$?
    got=$(timeout 60 sha256sum < "f$i"); readback=$?
    if [ "$wrote" != 0 ] || [ "$readback" != 0 ] || [ "${got%% *}" != "$sum" ]; then
        echo "error f$i: write status $wrote, read status $readback at $(date +%T)" >> "$log"
    else
        echo "$sum  f$i" >> "$sums"
    fi
    sleep 0.5
done
rm -f "$chunk"
echo finished >> "$log"
