"""ie-usage-report: the teacher's weekly report of each student's use, from
Prometheus (a CSV and an SVG bar chart, readable by root and one group)."""

import csv
import grp
import io
import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scripts import load_script

report = load_script(
    Path(__file__).resolve().parents[3] / "roles/prometheus/files/ie_usage_report.py",
    "ie_usage_report",
)
AT = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # a Monday morning: week 48 ended


def prometheus(answers):
    """A stand-in for Prometheus.query: the answers by metric name in the query."""
    asked = []

    def ask(expr, at):
        asked.append((expr, at))
        return next((v for k, v in answers.items() if k in expr), {})

    return ask, asked


# What Prometheus answers (the queries turn seconds into hours, bytes into GiB).
ANSWERS = {
    "ie_student_cpu_seconds": {"student1": 2.0, "student2": 0.01},
    "ie_student_gpu_seconds": {"student1": 1.5},
    "ie_student_containers": {"student2": 3.0},
    "ie_student_vms": {"student3": 1.0},
    "ie_student_home_bytes": {"student1": 1.5, "student2": 0.000001},
}


def test_one_row_per_student_with_any_use_and_zero_for_what_they_did_not_use():
    ask, asked = prometheus(ANSWERS)
    table = report.rows(ask, AT, 7)
    assert [r["user"] for r in table] == ["student1", "student2", "student3"]
    one, two, three = table
    assert (one["cpu_hours"], one["gpu_hours"], one["home_gib"]) == (2.0, 1.5, 1.5)
    assert (two["containers_max"], two["gpu_hours"], three["vms_max"]) == (3.0, 0.0, 1.0)
    # every query at the report's time, over the week
    assert {at for _, at in asked} == {AT}
    assert asked[0][0] == 'sum by (user) (ie_student_cpu_seconds{window="7d"}) / 3600'
    assert asked[4][0] == "max by (user) (ie_student_home_bytes) / 2^30"
    assert "max_over_time(ie_student_containers[7d])" in asked[2][0]


def test_the_csv_has_its_columns_and_rounded_values():
    ask, _ = prometheus(ANSWERS)
    rows = list(csv.reader(io.StringIO(report.to_csv(report.rows(ask, AT, 7)))))
    assert rows[0] == ["user", "cpu_hours", "gpu_hours", "containers_max", "vms_max", "home_gib"]
    assert rows[1] == ["student1", "2.00", "1.50", "0", "0", "1.50"]
    assert rows[2] == ["student2", "0.01", "0.00", "3", "0", "0.00"]
    assert report.to_csv([]).splitlines() == [",".join(report.COLUMNS)]


def test_the_chart_is_svg_with_a_bar_pair_per_student_and_names_as_text():
    table = [
        {"user": "a<b>&c", "cpu_hours": 10.0, "gpu_hours": 0.0, "containers_max": 0,
         "vms_max": 0, "home_gib": 0},
        {"user": "student2", "cpu_hours": 5.0, "gpu_hours": 2.0, "containers_max": 0,
         "vms_max": 0, "home_gib": 0},
    ]  # fmt: skip
    svg = ET.fromstring(report.to_svg(table, "week 48 & more"))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in svg.iter(f"{ns}text")]
    assert "a<b>&c" in texts and "week 48 & more" in texts  # escaped, read back as text
    bars = [float(r.get("width")) for r in svg.iter(f"{ns}rect") if r.get("height") == "12"]
    assert bars == [360.0, 0.0, 180.0, 360.0]  # each kind on its own scale
    assert ET.fromstring(report.to_svg([], "empty")) is not None


def test_main_writes_both_files_of_the_week_for_root_and_the_group_only(tmp_path, monkeypatch):
    secret = tmp_path / "web.password"
    secret.write_text("s3cret\n")
    ask, _ = prometheus(ANSWERS)
    seen = {}

    def query(self, expr, at):
        seen["password"] = self.headers["Authorization"]
        return ask(expr, at)

    monkeypatch.setattr(report.graphs.Prometheus, "query", query)
    group = grp.getgrgid(os.getgid()).gr_name
    argv = ["--password-file", str(secret), "--ca-file", "/etc/ssl/certs/ca-certificates.crt",
            "--out-dir", str(tmp_path), "--group", group, "--at", AT.isoformat()]  # fmt: skip
    (tmp_path / "usage-2026-W48.csv").symlink_to("/etc/passwd")  # replaced, never followed
    assert report.main(argv) == 0
    for name in ("usage-2026-W48.csv", "usage-2026-W48.svg"):
        path = tmp_path / name
        assert not path.is_symlink() and path.stat().st_mode & 0o777 == 0o640
        assert path.stat().st_gid == os.getgid()
    assert (tmp_path / "usage-2026-W48.csv").read_text().startswith("user,cpu_hours")
    assert seen["password"] == "Basic YWRtaW46czNjcmV0"  # admin:s3cret
    assert "student1" in (tmp_path / "usage-2026-W48.svg").read_text()


def test_it_says_when_prometheus_cannot_be_asked(tmp_path, capsys):
    argv = ["--password-file", str(tmp_path / "none"), "--out-dir", str(tmp_path)]
    assert report.main(argv) == 2
    assert "cannot ask Prometheus" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "at, week",
    [("2026-11-30T06:00:00+00:00", "2026-W48"), ("2027-01-04T00:00:00+00:00", "2026-W53")],
)
def test_the_files_are_named_after_the_week_that_ended(tmp_path, monkeypatch, at, week):
    secret = tmp_path / "pw"
    secret.write_text("x")
    monkeypatch.setattr(report.graphs.Prometheus, "query", lambda self, expr, at: {})
    group = grp.getgrgid(os.getgid()).gr_name
    argv = ["--password-file", str(secret), "--ca-file", "/etc/ssl/certs/ca-certificates.crt",
            "--out-dir", str(tmp_path), "--group", group, "--at", at]  # fmt: skip
    assert report.main(argv) == 0
    assert (tmp_path / f"usage-{week}.csv").exists()
