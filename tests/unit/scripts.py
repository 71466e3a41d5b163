"""Load a program file that has no .py name (tools/new-vault, a role's
files/stemplates) as a module, for its unit tests; and read what a metrics
collector (a role's files/ie_*_metrics.py) would write."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType


def load_script(path: Path, name: str) -> ModuleType:
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def samples(registry) -> dict:
    """{(metric, ((label, value), ...)): value} of a prometheus_client
    registry, as the textfile collector would read it."""
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
