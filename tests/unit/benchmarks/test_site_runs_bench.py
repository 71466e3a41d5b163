"""benchmarks/site_runs.py: lab.sh's reports read right, ratios to the cold run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("site_runs", ROOT / "benchmarks/site_runs.py")
site_runs = importlib.util.module_from_spec(spec)
sys.modules["site_runs"] = site_runs
spec.loader.exec_module(site_runs)


def report(phase: str, seconds: int, changed: int) -> str:
    """What tools/lab/lab.sh prints at its end."""
    return (
        "PLAY RECAP ***\nie-lab-gs01 : ok=3 changed=0\n\nPhase times:\n"
        f"  containers                       6s\n  {phase:<28} {seconds:6d}s\n"
        f"  health summary                   9s\nsite.yml changed tasks: {changed} (note)\n"
    )


def test_a_report_gives_site_yml_seconds_and_changed_tasks():
    assert site_runs.site_seconds(report("site.yml", 786, 513)) == (786, 513)
    assert site_runs.site_seconds(report("site.yml --limit gs02", 316, 87)) == (316, 87)
    with pytest.raises(ValueError):
        site_runs.site_seconds("Phase times:\n  containers  6s\n")


def test_the_three_runs_in_order_and_their_ratios():
    calls = []
    outputs = {
        ("lab-destroy",): "lab removed\n",
        ("lab",): [report("site.yml", 800, 520), report("site.yml", 160, 0)],
        ("lab-replace", "HOST=gs02"): report("site.yml --limit gs02", 240, 87),
    }

    def fake(*target):
        calls.append(target)
        out = outputs[target]
        return out.pop(0) if isinstance(out, list) else out

    rows = site_runs.measure("gs02", fake)
    assert calls == [("lab-destroy",), ("lab",), ("lab",), ("lab-replace", "HOST=gs02")]
    assert rows == [("cold", 800, 520), ("re-run", 160, 0), ("replacement", 240, 87)]
    text = site_runs.table(rows)
    assert "| cold | 800 | 520 | 1.00 | baseline |" in text
    assert "| re-run | 160 | 0 | 0.20 | <= 0.20 met |" in text
    assert "| replacement | 240 | 87 | 0.30 | <= 0.25 not met |" in text
