#!/usr/bin/env bash
# make lab / make lab-replace HOST=gs02 / make lab-destroy.
#   up       creates the lab containers (skipping those that exist), runs
#            site.yml against production's inventory with the lab layer
#            (inventories/lab) over it, prints a health summary;
#   replace  replaces one server the way docs/admin-guide.md says (container
#            destroyed and made again bare, then site.yml --limit HOST) and
#            checks the result (tools/lab/replace.yml);
#   journey  a student's journey end to end (tools/lab/journey.yml);
#   fidelity runs site.yml --check --diff and then for real with the same
#            arguments (a changed variable) and compares the changed tasks
#            (tools/lab/check_fidelity.py); `make lab` changes it back;
#   destroy  removes everything `up` made.
# Each prints the time each phase took.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# The lab is production with the lab layer read after it (the layer's every
# variable is a documented difference: docs/admin-guide.md).
inv=(-i inventories/production -i inventories/lab)
vault=(--vault-password-file inventories/lab-vault-password.LAB-ONLY-NOT-SECRET)
# The lab's containers: Podman's connection with pipelining (one podman exec
# a task instead of five), never on a production run's plugin paths.
export ANSIBLE_CONNECTION_PLUGINS="$root/tools/harness/connection_plugins"
# Lab and production share host names: keep their fact caches apart.
export ANSIBLE_CACHE_PLUGIN_CONNECTION="$root/.cache/facts/lab"
log_dir="$root/.cache/lab"
mkdir -p "$log_dir"
# The lab admin's key pair: production's admin account (ieops) accepts it in
# the lab (admin_ssh_public_keys, inventories/lab), so that
#   ssh -i .cache/lab/admin_ed25519 ieops@10.213.0.11
# works as it does in production.
export IE_LAB_ADMIN_KEY="$log_dir/admin_ed25519"
[[ -f $IE_LAB_ADMIN_KEY ]] || ssh-keygen -q -t ed25519 -N '' -C ie-lab-admin -f "$IE_LAB_ADMIN_KEY"

phases=()
phase() {  # phase NAME COMMAND...
    local name=$1; shift
    local start=$SECONDS
    echo "==> $name"
    "$@"
    phases+=("$(printf '%-28s %6ds' "$name" $((SECONDS - start)))")
}

converge() {
    ansible-playbook "${inv[@]}" "${vault[@]}" site.yml "$@" | tee "$log_dir/site.log"
    local changed
    changed=$(awk '/PLAY RECAP/{r=1} r && /changed=/{sub(/.*changed=/,""); split($0,a," "); s+=a[1]} END{print s+0}' "$log_dir/site.log")
    echo "$changed" > "$log_dir/changed"
}

recreate() {  # recreate HOST: the server comes back with a bare OS
    podman rm -f "ie-lab-$1" >/dev/null
    # Its cached facts describe the old machine: gather them again (the
    # admin guide's step 1; Ansible names the cache's files itself).
    ansible "${inv[@]}" "${vault[@]}" "$1" -m ansible.builtin.meta -a clear_facts
    ansible-playbook "${inv[@]}" "${vault[@]}" tools/lab/containers.yml
}

report() {  # report [NOTE]: the phase times; with a NOTE, site.yml's changed tasks
    echo
    echo "Phase times:"
    printf '  %s\n' "${phases[@]}"
    [[ -z ${1:-} ]] || echo "site.yml changed tasks: $(cat "$log_dir/changed")$1"
}

case "${1:-up}" in
up)
    phase "containers" ansible-playbook "${inv[@]}" "${vault[@]}" tools/lab/containers.yml
    phase "site.yml" converge
    phase "health summary" ansible-playbook "${inv[@]}" "${vault[@]}" tools/lab/health.yml
    report " (0 on a re-run means idempotent)"
    ;;
replace)
    host=${2:-}
    if [[ -z $host ]] || ! ansible-inventory "${inv[@]}" "${vault[@]}" --host "$host" >/dev/null 2>&1; then
        echo "usage: make lab-replace HOST=<a lab host, e.g. gs02>" >&2
        exit 2
    fi
    if ! podman container exists "ie-lab-$host"; then
        echo "there is no lab container ie-lab-$host to replace: run make lab first" >&2
        exit 2
    fi
    check=(ansible-playbook "${inv[@]}" "${vault[@]}" tools/lab/replace.yml
        -e "lab_replace_host=$host" -e "lab_replace_record=$log_dir/replace-before.json")
    phase "record the other hosts" "${check[@]}" --tags before
    phase "recreate $host bare" recreate "$host"
    phase "site.yml --limit $host" converge --limit "$host"
    phase "check the replacement" "${check[@]}" --tags after
    report " (on $host)"
    ;;
journey)
    phase "a student's journey" ansible-playbook "${inv[@]}" "${vault[@]}" tools/lab/journey.yml
    report
    ;;
fidelity)
    shift
    python3 tools/lab/check_fidelity.py "${inv[@]}" "${vault[@]}" site.yml "$@"
    ;;
destroy)
    containers=$(podman ps -a --filter label=ie-cluster=lab --format '{{.Names}}')
    [[ -z $containers ]] || podman rm -f $containers >/dev/null
    podman network exists ie-lab && podman network rm ie-lab >/dev/null
    rm -rf "$root/.cache/facts/lab" "$log_dir"
    echo "lab removed"
    ;;
*)
    echo "usage: $0 up|replace HOST|journey|fidelity [ansible-playbook args]|destroy" >&2
    exit 2
    ;;
esac
