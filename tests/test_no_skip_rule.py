"""The CI rule of the repository's conftest.py: with BNNCORE_NO_SKIP=1 a skip fails the run.

Run on the real conftest source in a separate pytest process (pytester), so the rule that
guards CI is itself tested: a skip fails it, an xfail and a pass do not, and outside CI a
skip stays a skip.
"""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

RULES = (Path(__file__).resolve().parents[1] / "conftest.py").read_text()
TESTS = """
import pytest

def test_passes():
    assert True

@pytest.mark.xfail(reason="known", strict=True)
def test_known_failure():
    assert False

def test_skips():
    pytest.skip("Fashion-MNIST is not installed")
"""


@pytest.mark.parametrize("strict", [True, False])
def test_a_skip_fails_the_run_only_under_the_ci_flag(pytester, monkeypatch, strict):
    pytester.makeconftest(RULES)
    pytester.makepyfile(test_sample=TESTS)
    monkeypatch.setenv("BNNCORE_NO_SKIP", "1" if strict else "0")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1, xfailed=1)
    if strict:
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(["*1 test(s) skipped, which fails the run*",
                                     "*test_skips: Skipped: Fashion-MNIST is not installed*"])
    else:
        assert result.ret == pytest.ExitCode.OK


def test_xfail_alone_passes_under_the_ci_flag(pytester, monkeypatch):
    pytester.makeconftest(RULES)
    pytester.makepyfile(test_sample=TESTS.split("def test_skips")[0])
    monkeypatch.setenv("BNNCORE_NO_SKIP", "1")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
