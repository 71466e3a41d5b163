#!/bin/bash
# Validate the files tools/render/render.py rendered (DIR/<host>/<role>/<file>)
# each with its own tool, inside a throw-away Debian container of the test
# image (tools/render/check.sh starts it). Prints one line per file: result,
# validator, file. Exit status 1 if any file fails; with --expect-failures
# (tests/render/broken: one broken file per validator), if any file passes.
set -uo pipefail
expect=ok
if [[ ${1:-} == --expect-failures ]]; then expect=FAILED; shift; fi
dir=${1:-/render}
export DEBIAN_FRONTEND=noninteractive
# The test image comes without apt lists: update them unless an earlier run
# in this container installed the list below (promtool: its last package).
command -v promtool >/dev/null || apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends openssh-server sudo chrony rsnapshot sssd-tools \
    ceph-common logrotate lua5.4 python3-yaml prometheus prometheus-alertmanager >/dev/null || exit 2
ssh-keygen -A >/dev/null

failed=0
check() {  # check FILE VALIDATOR COMMAND...
    local file=$1 what=$2; shift 2
    local out result=ok
    out=$("$@" 2>&1) || result=FAILED
    printf '%-7s %-34s %s\n' "$result" "$what" "${file#"$dir"/}"
    if [[ $result != "$expect" ]]; then
        failed=1
        [[ $result == FAILED ]] && head -20 <<<"$out"
        [[ $result == ok ]] && echo "  ^ this broken file passed its validator"
    fi
}
stub_execs() {  # the programs a unit starts are installed by the roles, not here
    grep -hoE '^Exec[A-Za-z]*=[-+!@]*/[^ ]+' "$@" | sed -E 's/^[^=]+=[-+!@]*//' | sort -u | while read -r bin; do
        [[ -e $bin ]] || { mkdir -p "$(dirname "$bin")"; printf '#!/bin/sh\n' > "$bin"; chmod 755 "$bin"; }
    done
}
apt_check() {  # apt_check FILE sources|preferences: apt reads it as such a part, silently
    local d opts err; d=$(mktemp -d)
    if [[ $2 == sources ]]; then
        cp "$1" "$d/x.sources"; opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$d")
    else
        cp "$1" "$d/x.pref"; opts=(-o Dir::Etc::PreferencesParts="$d")
    fi
    err=$(apt-cache "${opts[@]}" policy 2>&1 >/dev/null) && [[ -z $err ]] || { echo "$err"; return 1; }
}
unit_check() {  # unit_check FILE UNIT-NAME: systemd-analyze verify, programs stubbed
    local d; d=$(mktemp -d); cp "$1" "$d/$2"
    stub_execs "$d/$2"
    systemd-analyze verify --man=no "$d/$2"
}
socket_check() {  # socket_check FILE: a .socket and its .service, verified together
    local d base; d=$(mktemp -d); base=${1%.*}
    cp "$base.socket" "$base.service" "$d/"
    stub_execs "$d/$(basename "$base").service"
    systemd-analyze verify --man=no "$d/$(basename "$base").socket" "$d/$(basename "$base").service"
}

while IFS= read -r -d '' f; do
    rel=${f#"$dir"/}; role=$(cut -d/ -f2 <<<"$rel"); name=$(basename "$f")
    case "$role/$name" in
    base/sshd-ie-cluster.conf)
        cp "$f" /etc/ssh/sshd_config.d/ie-cluster.conf
        check "$f" "sshd -t (as a drop-in)" sshd -t ;;
    base/sudoers-admins)          check "$f" "visudo -c" visudo -cf "$f" ;;
    base/chrony.conf)             check "$f" "chronyd -p" chronyd -p -f "$f" ;;
    */*.sources*)                 check "$f" "apt-cache (deb822 sources)" apt_check "$f" sources ;;
    base/preferences|nvidia/nvidia.pref) check "$f" "apt-cache (preferences)" apt_check "$f" preferences ;;
    ceph/ceph.conf)               check "$f" "ceph-conf" ceph-conf -c "$f" --lookup fsid ;;
    ceph_mon/*.keyring)           check "$f" "ceph-authtool -l" ceph-authtool -l "$f" ;;
    identity/sssd.conf)
        install -m 0600 "$f" /etc/sssd/sssd.conf
        check "$f" "sssctl config-check" sh -c 'sssctl config-check | tee /dev/stderr | grep -q "^Issues identified by validators: 0"' ;;
    identity/ie-mkhomedir)        check "$f" "pam-auth-update profile fields" grep -qzE 'Name: .*Session-Type: .*Session:' "$f" ;;
    podman/*.conf)                check "$f" "TOML (containers-*.conf)" python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$f" ;;
    registry/config.yml.*)        check "$f" "YAML (registry config)" python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f" ;;
    rsnapshot/ie-rsnapshot.timer.*) check "$f" "systemd-analyze verify" unit_check "$f" "ie-rsnapshot-${name##*.}.timer" ;;
    ie_console/ie-console.socket|ie_console/ie-console.service)
        check "$f" "systemd-analyze verify (socket and service)" socket_check "$f" ;;
    */*.service|*/*.timer)        check "$f" "systemd-analyze verify" unit_check "$f" "$name" ;;
    slurm_compute/ie-configless.conf)
        mkdir -p /etc/systemd/system/slurmd.service.d
        printf '[Service]\nExecStart=/bin/true\n' > /etc/systemd/system/slurmd.service
        cp "$f" /etc/systemd/system/slurmd.service.d/ie-configless.conf
        check "$f" "systemd-analyze verify (drop-in)" systemd-analyze verify --man=no /etc/systemd/system/slurmd.service ;;
    prometheus/prometheus.yml)    check "$f" "promtool check config" promtool check config --syntax-only "$f" ;;
    node_exporter/target.yml)     check "$f" "YAML (file_sd targets)" python3 -c 'import sys, yaml; t = yaml.safe_load(open(sys.argv[1])); assert all(isinstance(g["targets"], list) for g in t)' "$f" ;;
    alertmanager/alertmanager.yml)
        # with the role's mail templates where the configuration reads them
        cp /am-templates/*.tmpl /etc/prometheus/alertmanager_templates/ 2>/dev/null
        check "$f" "amtool check-config" amtool check-config "$f" ;;
    */prometheus.default|*/prometheus-node-exporter.default|*/prometheus-alertmanager.default) check "$f" "bash -n" bash -n "$f" ;;
    ie_podman/logrotate)          check "$f" "logrotate -d" logrotate -d "$f" ;;
    */ie-registry-gc|*/ie-backup-status.sh|*/ie-secrets-pack|slurm_compute/slurmd.default) check "$f" "bash -n" bash -n "$f" ;;
    slurm_controller/job_submit.lua) check "$f" "luac -p" luac5.4 -p "$f" ;;
    rsnapshot/rsnapshot.conf)
        # the snapshot root is the backup server's own disk, mounted there
        root=$(awk -F'\t' '$1 == "snapshot_root" {print $2}' "$f")
        [[ -z $root ]] || mkdir -p "$root"
        check "$f" "rsnapshot configtest" rsnapshot -c "$f" configtest ;;
    slurm_controller/*|slurmdbd/*)
        # Slurm has no check of a configuration file without its daemons;
        # molecule/slurm runs slurmctld and slurmdbd on these same templates.
        printf 'n/a     %-34s %s\n' "(none; daemons in molecule/slurm)" "$rel" ;;
    *)  check "$f" "no validator for this file" false ;;
    esac
done < <(find "$dir" -type f -print0 | sort -z)
exit $failed
