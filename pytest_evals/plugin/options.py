"""Command-line flags and ini keys (SPEC §6), and the settings they resolve to."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..calls.cache import CACHE_MODES, CacheMode

# `--evals` given without a path: use the ini `evals_paths` list.
USE_INI_PATHS = ""


def _whole_number(text: str, *, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a number of at least {minimum}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, minimum=1)


def _non_negative_int(text: str) -> int:
    return _whole_number(text, minimum=0)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected seconds above 0, got {value}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a rate such as 0.9 or 90%, got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a rate between 0 and 1, got {text}")
    return value


def _model(text: str) -> str:
    if "/" not in text.strip("/"):
        raise argparse.ArgumentTypeError(
            f"expected CONNECTION/MODEL such as openai/gpt-4o-mini, got {text!r}"
        )
    return text


def _usd(text: str) -> float:
    try:
        value = float(text.lstrip("$"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an amount in USD, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected an amount above 0, got {text}")
    return value


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("evals", "LLM evaluations (pytest-evals)")
    group.addoption(
        "--evals",
        action="append",
        nargs="?",
        const=USE_INI_PATHS,
        default=None,
        metavar="PATH",
        dest="evals_paths",
        help="collect eval specs (*.eval.yaml) under PATH (file or folder; repeatable). "
        "Without PATH, the ini 'evals_paths' list.",
    )
    group.addoption(
        "--evals-model",
        dest="evals_model",
        type=_model,
        metavar="CONN/MODEL",
        help="run every model-based eval against this model instead of the spec's",
    )
    group.addoption(
        "--evals-judge-model",
        dest="evals_judge_model",
        type=_model,
        metavar="CONN/MODEL",
        help="the judge of judge scorers that name no model (default: judge_model in "
        "[tool.pytest-evals]); --evals-model never changes a judge",
    )
    group.addoption(
        "--evals-concurrency",
        dest="evals_concurrency",
        type=_positive_int,
        metavar="N",
        help="cap on model calls in flight per process (default: each connection's "
        "max_concurrency)",
    )
    group.addoption(
        "--evals-timeout",
        dest="evals_timeout",
        type=_positive_seconds,
        metavar="S",
        help="per-attempt timeout of every model call, overriding connections and specs",
    )
    group.addoption(
        "--evals-retries",
        dest="evals_retries",
        type=_non_negative_int,
        metavar="N",
        help="retries of every model call, overriding connections and specs",
    )
    group.addoption(
        "--evals-repeat",
        dest="evals_repeat",
        type=_positive_int,
        metavar="N",
        help="run each datapoint N times, overriding every eval's 'repeat'",
    )
    group.addoption(
        "--evals-json",
        dest="evals_json",
        metavar="PATH",
        help="write the session's eval runs and results as JSON to PATH",
    )
    group.addoption(
        "--evals-summary-md",
        dest="evals_summary_md",
        metavar="PATH",
        help="write the evals summary as Markdown to PATH (fits $GITHUB_STEP_SUMMARY)",
    )
    group.addoption(
        "--evals-fail-under",
        dest="evals_fail_under",
        type=_rate,
        metavar="RATE",
        help="fail the run when any eval's pass rate is below RATE (0.9 or 90%%)",
    )
    group.addoption(
        "--evals-strict",
        dest="evals_strict",
        action="store_true",
        default=False,
        help="every failing datapoint fails the run, whatever the gates say",
    )
    parser.addini(
        "evals_paths",
        type="paths",
        default=[],
        help="eval spec paths used by a bare --evals",
    )
    parser.addini(
        "evals_concurrency",
        type="string",
        default="",
        help="default for --evals-concurrency",
    )
    parser.addini("evals_json", type="string", default="", help="default for --evals-json")
    group.addoption(
        "--evals-cache",
        dest="evals_cache",
        choices=CACHE_MODES,
        default=None,
        help="response cache: on (default: read and write), off, refresh (call and "
        "overwrite), replay (cached responses only; a miss is an error)",
    )
    group.addoption(
        "--evals-cache-dir",
        dest="evals_cache_dir",
        metavar="DIR",
        default=None,
        help="where cached responses live (default: .pytest-evals/cache at the rootdir)",
    )
    group.addoption(
        "--evals-max-cost",
        dest="evals_max_cost",
        type=_usd,
        metavar="USD",
        default=None,
        help="stop starting new calls once the session has spent USD; runs end cancelled",
    )
    parser.addini("evals_cache", type="string", default="", help="default for --evals-cache")
    parser.addini(
        "evals_cache_dir", type="string", default="", help="default for --evals-cache-dir"
    )


@dataclass(frozen=True)
class EvalsSettings:
    """The flags and ini keys, resolved once at configure time."""

    paths: tuple[Path, ...]
    model_override: str | None
    concurrency: int | None
    timeout_s: float | None
    retries: int | None
    repeat: int | None
    json_path: Path | None
    summary_md_path: Path | None
    fail_under: float | None
    strict: bool
    cache_mode: CacheMode = "on"
    cache_dir: Path | None = None
    max_cost_usd: float | None = None
    judge_model: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.paths)


def resolve_settings(config: pytest.Config) -> EvalsSettings:
    """Read the options; raise pytest.UsageError for a bad ini value."""
    invocation_dir = config.invocation_params.dir
    requested: list[str] | None = config.getoption("evals_paths")
    paths: list[Path] = []
    for entry in requested or ():
        if entry == USE_INI_PATHS:
            ini_paths: list[Path] = config.getini("evals_paths")
            if not ini_paths:
                raise pytest.UsageError(
                    "--evals was given without a PATH and the ini option 'evals_paths' is empty"
                )
            paths.extend(ini_paths)
        else:
            paths.append(invocation_dir / entry)

    concurrency: int | None = config.getoption("evals_concurrency")
    ini_concurrency = str(config.getini("evals_concurrency")).strip()
    if concurrency is None and ini_concurrency:
        try:
            concurrency = _positive_int(ini_concurrency)
        except argparse.ArgumentTypeError as exc:
            raise pytest.UsageError(f"ini option evals_concurrency: {exc}") from None

    json_option: str | None = config.getoption("evals_json") or (
        str(config.getini("evals_json")).strip() or None
    )
    md_option: str | None = config.getoption("evals_summary_md")
    cache_mode = (
        config.getoption("evals_cache") or str(config.getini("evals_cache")).strip() or "on"
    )
    if cache_mode not in CACHE_MODES:
        raise pytest.UsageError(
            f"ini option evals_cache: expected one of {', '.join(CACHE_MODES)}, got {cache_mode!r}"
        )
    cache_dir_option: str | None = config.getoption("evals_cache_dir")
    ini_cache_dir = str(config.getini("evals_cache_dir")).strip()
    if cache_dir_option:
        cache_dir: Path | None = invocation_dir / cache_dir_option
    elif ini_cache_dir:
        base = config.inipath.parent if config.inipath else config.rootpath
        cache_dir = base / ini_cache_dir
    else:
        cache_dir = None
    return EvalsSettings(
        paths=tuple(dict.fromkeys(p.resolve() for p in paths)),
        model_override=config.getoption("evals_model"),
        concurrency=concurrency,
        timeout_s=config.getoption("evals_timeout"),
        retries=config.getoption("evals_retries"),
        repeat=config.getoption("evals_repeat"),
        json_path=invocation_dir / json_option if json_option else None,
        summary_md_path=invocation_dir / md_option if md_option else None,
        fail_under=config.getoption("evals_fail_under"),
        strict=bool(config.getoption("evals_strict")),
        cache_mode=cache_mode,
        cache_dir=cache_dir,
        max_cost_usd=config.getoption("evals_max_cost"),
        judge_model=config.getoption("evals_judge_model"),
    )


def rerun_flag(config: pytest.Config) -> str | None:
    """``--lf`` or ``--sw`` when pytest runs only some datapoints again, else None."""
    option = config.option
    if getattr(option, "lf", False):
        return "--lf"
    if getattr(option, "stepwise", False) or getattr(option, "stepwise_skip", False):
        return "--sw"
    return None
