"""Test-session rules shared by every test path (tests/, doctests, notebooks).

``BNNCORE_NO_SKIP=1`` (set by ``.ci/run``): a skipped test fails the session. Outside CI a
test whose requirement is absent (Fashion-MNIST, Chromium, a built site) skips with a
reason that says what to install; in CI everything is installed, so a skip there means a
test did not run and is reported as a failure.
"""

from __future__ import annotations

import os

import pytest

_SKIPPED: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):     # an xfail reports "skipped"
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
        _SKIPPED.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("BNNCORE_NO_SKIP") == "1" and _SKIPPED:
        lines = "\n  ".join(_SKIPPED)
        print(f"\nBNNCORE_NO_SKIP=1: {len(_SKIPPED)} test(s) skipped, which fails the run:"
              f"\n  {lines}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
