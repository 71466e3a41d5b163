#!/usr/bin/env bash
# Install what the lab and the tests need on this machine, skipping what is
# already there: Debian packages, the Python virtualenv (pinned), the local
# base image and the apt cache for containers. Run as root on Debian 12/13.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

# lua5.4: the unit tests run the rendered job_submit.lua (tests/unit/roles).
# chromium, chromium-driver and a Japanese font: the web console's browser
# journey and its screenshots (molecule/site/tests/test_console.py).
packages=(podman runc debootstrap uidmap slirp4netns apt-cacher-ng python3-venv make git openssh-client gettext lua5.4
          chromium chromium-driver fonts-ipafont-gothic)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    # apt-cacher-ng's own service, if the package starts it, listens on 3142;
    # the project's cache (aptcache.sh) is a separate instance on 3143.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "setup: Debian packages present"
fi

# The wrappers extract students' archives with tarfile's data filter (PEP
# 706: Python 3.12, backported to 3.11.4), and the unit tests run them with
# the virtualenv's Python. Debian 13's python3 has it; Debian 12's (3.11.2)
# does not. IE_PYTHON names a Python to use.
has_filter() {
    "$1" -c 'import sys, tarfile; sys.exit(not (sys.version_info >= (3, 11) and hasattr(tarfile, "data_filter")))' 2>/dev/null
}
pick_python() {
    local candidate
    for candidate in ${IE_PYTHON:-} python3 python3.13 python3.12 "$HOME"/.pyenv/versions/3.1[1-3]*/bin/python3; do
        if command -v "$candidate" >/dev/null 2>&1 && has_filter "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}
if [[ -x .venv/bin/python ]] && ! has_filter .venv/bin/python; then
    echo "setup: the virtualenv's Python has no tarfile data filter (PEP 706): building it again"
    rm -rf .venv
fi

stamp=.venv/.ie-requirements.sha256
want=$(cat requirements/dev.txt requirements/constraints.txt | sha256sum | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    echo "setup: building the virtualenv .venv"
    if [[ ! -x .venv/bin/python ]]; then
        if ! python=$(pick_python); then
            echo "setup: no Python 3.11.4 or newer with tarfile's data filter (PEP 706) found;" \
                "Debian 12's python3 is 3.11.2. Install one (Debian 13's python3 has it) and" \
                "run again with IE_PYTHON=/path/to/python3" >&2
            exit 1
        fi
        echo "setup: the virtualenv's Python is $python"
        "$python" -m venv .venv
    fi
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -r requirements/dev.txt -c requirements/constraints.txt
    echo "$want" > "$stamp"
else
    echo "setup: virtualenv .venv up to date"
fi

# ansible-test's pip bootstrap script cannot be downloaded here; put the
# project's stand-in where ansible-test looks for a saved copy.
pip_version=$(.venv/bin/python -c '
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
import sys
print(get_venv_packages(NativePythonConfig(version="%d.%d" % sys.version_info[:2]))["pip"])')
get_pip=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
if ! cmp -s tools/harness/ansible_test_get_pip.py "$get_pip"; then
    install -D -m 0644 tools/harness/ansible_test_get_pip.py "$get_pip"
    echo "setup: ansible-test pip $pip_version bootstrap installed"
fi

export CONTAINERS_CONF="$root/tools/harness/containers.conf"
tools/harness/build-image.sh trixie localhost/ie-debian:trixie
tools/harness/aptcache.sh
