#!/usr/bin/env bash
# Start the machine-wide apt cache for test and lab containers, unless it is
# already answering. Idempotent; safe to call before every test run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if timeout 1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/3143' 2>/dev/null; then
    echo "apt cache: running on :3143"
    exit 0
fi
mkdir -p /var/cache/ie-cluster/apt-cacher-ng /var/log/ie-cluster
chown -R apt-cacher-ng: /var/cache/ie-cluster/apt-cacher-ng /var/log/ie-cluster 2>/dev/null || true
/usr/sbin/apt-cacher-ng -c "$here/apt-cacher-ng" ForeGround=0
for _ in $(seq 20); do
    if timeout 1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/3143' 2>/dev/null; then
        echo "apt cache: started on :3143"
        exit 0
    fi
    sleep 0.5
done
echo "apt cache: apt-cacher-ng did not start; see /var/log/ie-cluster" >&2
exit 1
