"""The flags and ini keys, and the settings they resolve to."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_evals.plugin.options import resolve_settings


def test_nothing_asked_is_inert(pytester: pytest.Pytester) -> None:
    settings = resolve_settings(pytester.parseconfig())
    assert not settings.active
    assert settings.cache_mode == "on"


def test_flags_resolve(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig(
        "--evals",
        "evals",
        "--evals",
        "evals",
        "--evals-fail-under",
        "90%",
        "--evals-max-cost",
        "$2.5",
        "--evals-concurrency",
        "4",
        "--evals-cache",
        "replay",
        "--evals-json",
        "out/r.json",
    )
    settings = resolve_settings(config)
    assert settings.paths == ((pytester.path / "evals").resolve(),)
    assert settings.fail_under == pytest.approx(0.9)
    assert settings.max_cost_usd == 2.5
    assert settings.concurrency == 4
    assert settings.cache_mode == "replay"
    assert settings.json_path == Path(config.invocation_params.dir) / "out/r.json"


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--evals-fail-under", "1.5", "expected a rate between 0 and 1"),
        ("--evals-fail-under", "most", "expected a rate such as 0.9 or 90%"),
        ("--evals-concurrency", "0", "expected a number of at least 1"),
        ("--evals-retries", "-1", "expected a number of at least 0"),
        ("--evals-timeout", "0", "expected seconds above 0"),
        ("--evals-max-cost", "free", "expected an amount in USD"),
        ("--evals-model", "gpt-4o", "expected CONNECTION/MODEL"),
    ],
)
def test_bad_flag_values_are_usage_errors(
    pytester: pytest.Pytester, flag: str, value: str, message: str
) -> None:
    result = pytester.runpytest(flag, value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_ini_keys_are_the_defaults(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nevals_paths = evals\nevals_concurrency = 3\nevals_cache = off\n"
        "evals_cache_dir = recorded\n"
    )
    settings = resolve_settings(pytester.parseconfig("--evals"))
    assert settings.paths == ((pytester.path / "evals").resolve(),)
    assert settings.concurrency == 3
    assert settings.cache_mode == "off"
    assert settings.cache_dir == pytester.path / "recorded"


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        ("evals_concurrency = many", "ini option evals_concurrency"),
        ("evals_cache = sometimes", "ini option evals_cache: expected one of on, off"),
    ],
)
def test_bad_ini_values_are_usage_errors(pytester: pytest.Pytester, ini: str, message: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    with pytest.raises(pytest.UsageError, match=message):
        resolve_settings(pytester.parseconfig("--evals", "."))


def test_a_bare_evals_flag_needs_the_ini_paths(pytester: pytest.Pytester) -> None:
    with pytest.raises(pytest.UsageError, match="'evals_paths' is empty"):
        resolve_settings(pytester.parseconfig("--evals"))
