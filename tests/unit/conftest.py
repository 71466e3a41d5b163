"""Helpers shared by the unit tests."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest


@pytest.fixture
def in_parallel() -> Callable[[Callable[[int], object], int], list[object]]:
    """``in_parallel(fn, n)``: ``fn(0) .. fn(n-1)`` in n threads at once; each
    result, or the exception it raised."""

    def run(fn: Callable[[int], object], n: int) -> list[object]:
        results: list[object] = []
        barrier = threading.Barrier(n)

        def one(i: int) -> None:
            barrier.wait()
            try:
                results.append(fn(i))
            except Exception as exc:
                results.append(exc)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    return run


@pytest.fixture
def in_deleted_directory(tmp_path):
    """The test runs in a working directory that has been deleted (as a
    student's shell can be), and is back where it was afterwards."""
    gone = tmp_path / "gone"
    gone.mkdir()
    here = os.getcwd()
    os.chdir(gone)
    gone.rmdir()
    try:
        yield
    finally:
        os.chdir(here)
