"""Stand-in for get-pip.py, used by ansible-test to bootstrap pip in the
virtual environments it makes for sanity tests.

ansible-test downloads get-pip.py from a host this project's machines cannot
reach, and says the script may instead be saved in its cache
(~/.ansible/test/cache/get_pip_<version>.py); setup-host.sh puts this file
there. It does the same job with what Python ships: ``ensurepip`` installs the
bundled pip, which then installs the exact pip version ansible-test asked for
from the package index. Arguments are those ansible-test passes to get-pip.py.
"""

import ensurepip
import os
import subprocess
import sys

args = sys.argv[1:]
drop = {"--no-setuptools": "setuptools", "--no-wheel": "wheel"}
pip_args = [a for a in args if a not in drop]

# ensurepip points PIP_CONFIG_FILE at /dev/null in this process to isolate
# itself; the pip that follows must see the machine's pip configuration
# (index, certificates) again, as the real get-pip.py would.
environ = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
pip = [sys.executable, "-m", "pip"]
subprocess.check_call([*pip, "install", *pip_args], env=environ)  # noqa: S603
unwanted = [pkg for flag, pkg in drop.items() if flag in args]
if unwanted:
    subprocess.check_call([*pip, "uninstall", "-y", "-q", *unwanted], env=environ)  # noqa: S603
