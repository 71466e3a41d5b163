"""Every file of the repository that a Molecule scenario names through the
repository's root (``lookup('env', 'IE_REPO_ROOT')`` or molecule/site's
``__site_repo``) is there. Such a path is only read when its task runs,
deep in a scenario's side effect, so a file moved without its callers
would otherwise fail an hour into `make test`."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(
    r"(?:lookup\('env', 'IE_REPO_ROOT'\) \}\}|__site_repo \}\}|__site_repo ~ ')"
    r"(/[A-Za-z0-9_./-]+)"
)


def named_paths() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    scenarios = sorted(ROOT.glob("molecule/**/*.yml")) + sorted(
        ROOT.glob("roles/*/molecule/**/*.yml")
    )
    for path in scenarios:
        for name in NAMED.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_repository_file_a_scenario_names_is_there():
    named = named_paths()
    assert "/tools/harness/clear-facts.yml" in named and "/tools/lab/replace.yml" in named
    missing = {name: where for name, where in named.items() if not (ROOT / name[1:]).is_file()}
    assert missing == {}


def test_the_pattern_reads_each_form_of_the_root():
    text = (
        "a: \"{{ lookup('env', 'IE_REPO_ROOT') }}/tools/x.yml\"\n"
        'b: "{{ __site_repo }}/tools/y.yml"\n'
        "c: \"{{ [__site_repo ~ '/tools/z.yml'] }}\"\n"
    )
    assert NAMED.findall(text) == ["/tools/x.yml", "/tools/y.yml", "/tools/z.yml"]
