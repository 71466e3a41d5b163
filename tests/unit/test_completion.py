"""The bash completion of both wrappers (roles/ie_program/files/ie-completion.bash,
issue 25), run in a real bash with a stand-in sudo: verbs, and the names the
wrapper's ``__complete`` gives (which lists the caller's own only: the
wrappers' manners tests)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1].parent
SCRIPT = ROOT / "roles" / "ie_program" / "files" / "ie-completion.bash"


STUB = """
sudo() {  # sudo -n CMD __complete KIND: what the wrapper would print for alice
    [[ $1 == -n && $3 == __complete ]] || return 1
    case "$2 $4" in
        "ie-podman containers") printf '%s\\n' ended up ;;
        "ie-podman running") printf '%s\\n' up ;;
        "ie-podman images") printf '%s\\n' web:latest tools:1 ;;
        "ie-virsh vms") printf '%s\\n' a1 a2 ;;
        "ie-virsh running") printf '%s\\n' a2 ;;
        "ie-virsh templates") printf '%s\\n' debian-13 tiny ;;
    esac
}
compopt() { :; }
"""


def complete(words: str) -> list[str]:
    """COMPREPLY for the command line ``words`` (the last word is being
    completed; a trailing space means an empty word)."""
    parts = shlex.split(words) + ([""] if words.endswith(" ") else [])
    function = "_ie_podman" if parts[0] == "ie-podman" else "_ie_virsh"
    script = (
        f"{STUB}\nsource {shlex.quote(str(SCRIPT))}\n"
        f"COMP_WORDS=({' '.join(shlex.quote(p) for p in parts)})\n"
        f"COMP_CWORD={len(parts) - 1}\n{function}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("ie-podman ", None),
        ("ie-podman ex", ["exec"]),
        ("ie-podman exec ", ["up"]),
        ("ie-podman stop ", ["up"]),
        ("ie-podman rm ", ["ended", "up"]),
        ("ie-podman logs e", ["ended"]),
        ("ie-podman rmi ", ["tools:1", "web:latest"]),
        ("ie-podman run -d --name x ", ["tools:1", "web:latest"]),
        ("ie-podman run --name ", []),  # a value of the user's own
        ("ie-podman registry ", ["push", "search", "share", "unshare"]),
        ("ie-podman registry push w", ["web:latest"]),
        ("ie-podman registry share ", ["tools:1", "web:latest"]),
        ("ie-podman registry share web:latest ", []),  # no list of students
        ("ie-virsh st", ["start"]),
        ("ie-virsh start ", ["a1", "a2"]),
        ("ie-virsh console ", ["a2"]),
        ("ie-virsh define vm --template ", ["debian-13", "tiny"]),
    ],
)
def test_the_bash_script_completes_verbs_and_the_callers_names(words, expected):
    got = complete(words)
    if expected is None:
        assert "run" in got and "exec" in got and "admin" not in got
    else:
        assert sorted(got) == expected


def test_the_script_is_valid_bash_and_binds_both_commands():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    out = subprocess.run(
        ["bash", "-c", f"source {shlex.quote(str(SCRIPT))}; complete -p ie-podman ie-virsh"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-F _ie_podman ie-podman" in out and "-F _ie_virsh ie-virsh" in out


def test_the_verbs_offered_are_the_wrappers_commands():
    from ie_podman import helppage
    from ie_virsh import options as virsh_options

    podman = {name for name, _ in helppage.COMMAND_LIST} - {"admin"}
    assert set(complete("ie-podman ")) == podman
    parser = virsh_options.parser()
    (commands,) = parser._subparsers._group_actions
    virsh = {a.dest for a in commands._get_subactions()}
    assert set(complete("ie-virsh ")) == virsh
