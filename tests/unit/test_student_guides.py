"""The Japanese student guide (docs/ja) stays the English one's translation:
the same sections and the same commands, option by option."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "docs" / "student-guide.md"
JAPANESE = ROOT / "docs" / "ja" / "student-guide.md"


def commands(text: str) -> list[str]:
    """Each command line of the shell blocks, without its comment."""
    found = []
    for block in re.findall(r"```(?:sh|bash)\n(.*?)```", text, re.S):
        for line in block.splitlines():
            code = re.split(r"\s#\s", line)[0].strip()
            if code and not code.startswith("#"):
                found.append(" ".join(code.split()))
    return found


def headings(text: str) -> list[int]:
    return [len(m) for m in re.findall(r"^(#+) ", text, re.M)]


def test_the_japanese_guide_shows_the_same_commands_as_the_english_one():
    english, japanese = ENGLISH.read_text(), JAPANESE.read_text()
    assert commands(japanese) == commands(english)
    assert len(commands(english)) > 30


def test_the_japanese_guide_has_the_same_sections_and_links_back():
    english, japanese = ENGLISH.read_text(), JAPANESE.read_text()
    assert headings(japanese) == headings(english)
    assert "(../student-guide.md)" in japanese and "(ja/student-guide.md)" in english
    # every option the English guide names in running text is in the Japanese one
    options = set(re.findall(r"`(--?[a-z][a-z-]*)", english))
    missing = sorted(o for o in options if f"`{o}" not in japanese and o not in japanese)
    assert not missing, missing


def test_every_runnable_block_is_run_by_a_scenario():
    """The guides' blocks marked runnable (tools/docs/runnable.py) are the
    ones a scenario runs; a marked block no scenario runs fails here."""
    from tools.docs import runnable

    english, japanese = runnable.blocks(ENGLISH), runnable.blocks(JAPANESE)
    assert (
        set(english)
        == set(japanese)
        == {
            "ie-podman",
            "ie-virsh",
            "registry",
            "sharing",
            "sample-job",
            "slurm",
            "apptainer",
            "define",
            "templates",
        }
    )
    runners = runnable.runners(ENGLISH)
    assert set(runners) == set(english) and runnable.runners(JAPANESE) == runners
    for name in english:
        assert commands(f"```sh\n{english[name]}```") == commands(f"```sh\n{japanese[name]}```")
        assert runners[name].is_relative_to(ROOT / "molecule"), runners[name]
        runner = runners[name].read_text()
        assert f'"{name}"' in runner, f"{runners[name]} does not run the block {name}"


def test_every_runnable_block_of_the_admin_guide_is_run_by_a_scenario():
    from tools.docs import runnable

    admin = ROOT / "docs" / "admin-guide.md"
    blocks, runners = runnable.blocks(admin), runnable.runners(admin)
    assert (
        set(blocks)
        == set(runners)
        == {"new-vault", "ie-podman-admin", "restore-home", "restore-secrets"}
    )
    for name, runner in runners.items():
        # a scenario's test, or a unit test where the control node is enough
        assert runner.is_relative_to(ROOT / "molecule") or runner.parent == ROOT / "tests" / "unit"
        assert f"'{name}'" in runner.read_text() or f'"{name}"' in runner.read_text()


# Commands of the admin guide's shell blocks that no test runs as written,
# each with the reason.
NOT_RUN = {
    # Ceph's own read-only listing, where the admin reads the failed OSD's
    # number; molecule/ceph finds it with `ceph osd ls-tree` before it runs
    # the playbook the next lines show.
    "ceph osd tree",
}


def test_every_command_of_the_admin_guide_is_run_or_checked():
    """Each command line of the admin guide's shell blocks is in a runnable
    block, or an ansible-playbook command (tests/unit/
    test_admin_guide_commands.py checks those against the production
    inventory, and the scenarios run the playbooks), or listed above."""
    from tools.docs import runnable

    admin = ROOT / "docs" / "admin-guide.md"
    text = admin.read_text()
    runnable_lines = set(
        commands("\n".join(f"```sh\n{b}```" for b in runnable.blocks(admin).values()))
    )
    unchecked = [
        line
        for line in commands(re.sub(r"^ +", "", text, flags=re.M))
        if line not in runnable_lines
        and not line.startswith("ansible-playbook ")
        and line not in NOT_RUN
    ]
    assert not unchecked, unchecked
