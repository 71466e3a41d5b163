#!/usr/bin/env bash
# make lab / make lab-destroy. Creates the lab containers (skipping those that
# exist), runs site.yml against inventories/lab, prints a health summary and
# the time each phase took.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
inv=inventories/lab
vault=(--vault-password-file inventories/lab-vault-password.LAB-ONLY-NOT-SECRET)
# Lab and production share host names: keep their fact caches apart.
export ANSIBLE_CACHE_PLUGIN_CONNECTION="$root/.cache/facts/lab"
log_dir="$root/.cache/lab"
mkdir -p "$log_dir"

phases=()
phase() {  # phase NAME COMMAND...
    local name=$1; shift
    local start=$SECONDS
    echo "==> $name"
    "$@"
    phases+=("$(printf '%-28s %6ds' "$name" $((SECONDS - start)))")
}

converge() {
    ansible-playbook -i "$inv" "${vault[@]}" site.yml "$@" | tee "$log_dir/site.log"
    local changed
    changed=$(awk '/PLAY RECAP/{r=1} r && /changed=/{sub(/.*changed=/,""); split($0,a," "); s+=a[1]} END{print s+0}' "$log_dir/site.log")
    echo "$changed" > "$log_dir/changed"
}

case "${1:-up}" in
up)
    phase "containers" ansible-playbook -i "$inv" "${vault[@]}" tools/lab/containers.yml
    phase "site.yml" converge
    phase "health summary" ansible-playbook -i "$inv" "${vault[@]}" tools/lab/health.yml
    echo
    echo "Phase times:"
    printf '  %s\n' "${phases[@]}"
    echo "site.yml changed tasks: $(cat "$log_dir/changed") (0 on a re-run means idempotent)"
    ;;
destroy)
    containers=$(podman ps -a --filter label=ie-cluster=lab --format '{{.Names}}')
    [[ -z $containers ]] || podman rm -f $containers >/dev/null
    podman network exists ie-lab && podman network rm ie-lab >/dev/null
    rm -rf "$root/.cache/facts/lab" "$log_dir"
    echo "lab removed"
    ;;
*)
    echo "usage: $0 up|destroy" >&2
    exit 2
    ;;
esac
