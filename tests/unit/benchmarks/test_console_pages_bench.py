"""The console benchmark: it times at a shell exactly what each page runs,
interleaved, and reports medians, added time and ratio."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks import console_pages
from ie_console.pages import KINDS


def test_each_page_is_compared_with_the_commands_the_console_runs_for_it():
    for page, commands in console_pages.PAGES.items():
        kind = KINDS[page]
        runs = [kind.listing]
        if kind.choices and kind.choices[0] != kind.listing:
            runs.append(kind.choices[0])
        typed = [" ".join(argv).replace("ie-podman", "sudo -n ie-podman") for argv in runs]
        typed = [t.replace("ie-virsh", "sudo -n ie-virsh") for t in typed]
        assert commands == typed, page


class FakePage:
    def __init__(self, path, status=200):
        self.status, self.url = status, "https://console" + path


class FakeBrowser:
    def __init__(self, status=200):
        self.asked, self.status = [], status

    def get(self, path):
        self.asked.append(path)
        return FakePage(path, self.status)


def test_pages_and_shell_commands_alternate_as_the_student(monkeypatch):
    order = []
    browser = FakeBrowser()
    monkeypatch.setattr(
        console_pages.Host, "seconds", lambda self, command: order.append(command) or 0.05
    )
    times = console_pages.measure(console_pages.Host(None), browser, "alice", 2)
    assert browser.asked == ["/" + page for page in console_pages.PAGES] * 2
    assert len(order) == 2 * len(console_pages.PAGES)
    assert order[0] == (
        "runuser -u alice -- sh -c 'cd ~ && sudo -n ie-podman ps --all --format json; "
        "sudo -n ie-podman images --format json'"
    )
    assert set(times) == set(console_pages.PAGES)
    assert all(len(c) == len(s) == 2 for c, s in times.values())


def test_a_page_that_is_not_the_students_stops_the_run(monkeypatch):
    monkeypatch.setattr(console_pages.Host, "seconds", lambda self, command: 0.05)
    with pytest.raises(SystemExit, match="/containers: 302"):
        console_pages.measure(console_pages.Host(None), FakeBrowser(302), "alice", 1)


def test_the_report_gives_medians_added_milliseconds_and_ratio(capsys):
    console_pages.report({"jobs": ([0.30, 0.20, 0.25], [0.10, 0.10, 0.20])}, 3, "here")
    out = capsys.readouterr().out
    assert "median of 3" in out
    assert "jobs" in out and "0.250" in out and "0.100" in out and "150" in out and "2.50" in out
