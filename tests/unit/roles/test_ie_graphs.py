"""ie-graphs: the admins' page of graphs, drawn as inline SVG from
Prometheus's range queries, served by Prometheus as a console page."""

import re
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

FILES = Path(__file__).resolve().parents[3] / "roles/prometheus/files"
sys.path.insert(0, str(FILES))  # ie_usage_report beside it, as on the host
from scripts import load_script  # noqa: E402

graphs = load_script(FILES / "ie_graphs.py", "ie_graphs")
END = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def series(metric, values):
    start = (END - timedelta(hours=24)).timestamp()
    return {"metric": metric, "values": [[start + 300 * i, str(v)] for i, v in enumerate(values)]}


def svgs(page):
    return [ET.fromstring(m) for m in re.findall(r"<svg xmlns=.*?</svg>", page, re.S)]


def test_every_panel_is_asked_for_the_last_day_and_drawn():
    asked = []

    def ask(expr, start, end, step):
        asked.append((expr, start, end, step))
        return [series({"user": "student1"}, [0, 1, 2]), series({"user": "student2"}, [3, 3])]

    page, every = graphs.page(ask, END)
    assert every
    assert [a[0] for a in asked] == [p[2] for p in graphs.PANELS]
    assert {(a[1], a[2], a[3]) for a in asked} == {(END - timedelta(hours=24), END, 300)}
    drawn = svgs(page)
    assert len(drawn) == len(graphs.PANELS)
    lines = [pl.get("points").split() for pl in drawn[0].iter(f"{SVG}polyline")]
    assert [len(line) for line in lines] == [3, 2]  # one point per sample
    for section in ("Cluster", "Ceph", "Slurm", "Backups", "Students", "GPUs"):
        assert f"<h2>{section}</h2>" in page
    assert "student1" in page and "<script" not in page


def test_a_value_from_the_metrics_cannot_open_a_go_template_action_or_html():
    def ask(expr, start, end, step):
        return [series({"user": '{{ template "x" }}<b>'}, [1, 2])]

    page, _ = graphs.page(ask, END)
    assert "{{" not in page and "<b>" not in page
    assert "&#123;&#123; template" in page


def test_a_panel_that_cannot_be_asked_says_why_and_the_others_are_drawn():
    def ask(expr, start, end, step):
        if "ceph" in expr:
            raise OSError("connection refused")
        return [series({}, [1, 2])]

    page, every = graphs.page(ask, END)
    assert not every
    assert page.count("cannot ask Prometheus: connection refused") == sum(
        "ceph" in p[2] for p in graphs.PANELS
    )
    assert len(svgs(page)) == len(graphs.PANELS) - 3


def test_main_writes_the_page_for_root_and_its_group(tmp_path, monkeypatch):
    import grp
    import os

    secret = tmp_path / "pw"
    secret.write_text("x\n")
    prometheus = sys.modules["ie_common.graphs"].Prometheus  # the one ie_graphs imported
    monkeypatch.setattr(prometheus, "query_range", lambda self, e, s, t, st: [series({}, [1, 2])])
    out = tmp_path / "ie-cluster.html"
    group = grp.getgrgid(os.getgid()).gr_name
    argv = ["--password-file", str(secret), "--ca-file", "/etc/ssl/certs/ca-certificates.crt",
            "--out", str(out), "--group", group]  # fmt: skip
    assert graphs.main(argv) == 0
    assert out.stat().st_mode & 0o777 == 0o640 and out.read_text().startswith("<!DOCTYPE html>")
    assert graphs.main(["--password-file", str(tmp_path / "none"), "--out", str(out)]) == 2
