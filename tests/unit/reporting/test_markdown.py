from __future__ import annotations

from pytest_evals.reporting import summary_markdown
from pytest_evals.reporting.markdown import escape

from .helpers import errored, judged, make_run, record


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ")]


def test_header_and_one_row_per_run_with_gate_marks() -> None:
    good = make_run([record("a"), record("b")], run_id="good")
    bad = make_run([record("a"), record("b", passed=False)], run_id="bad", pass_rate=0.9)
    summaries, verdicts = judged([good, bad])
    text = summary_markdown([good, bad], summaries, verdicts)
    assert text.startswith("## Evals summary\n")
    header, rule, *rows = table_rows(text)[:4]
    assert "| Pass rate |" in header and "| Gate |" in header
    assert rule.count("|") == header.count("|")
    assert all(row.count("|") == header.count("|") for row in rows)
    assert rows[0].endswith("| ✅ PASS ≥ 100.0% |")
    assert rows[1].endswith("| ❌ FAIL 50.0% \\< 90.0% |")
    assert "### Failed gates" in text
    assert "- ❌ GATE FAILED bad: pass rate 50.0% \\< required 90.0%" in text


def test_pipes_and_newlines_in_values_cannot_break_the_table() -> None:
    run = make_run([record("a")], run_id="weird|id")
    run.eval = "evil | eval\nname"
    run.model = "conn/model|x"
    summaries, verdicts = judged([run])
    text = summary_markdown([run], summaries, verdicts)
    header, _, row = table_rows(text)[:3]
    assert "evil \\| eval name" in row and "conn/model\\|x" in row
    assert row.replace("\\|", "").count("|") == header.count("|")


def test_escape() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("x\n y") == "x y"
    assert escape("exact_match *bold* [link]") == "exact\\_match \\*bold\\* \\[link\\]"
    assert escape(None) == "None"


def test_tolerance_sentence_and_no_failed_gates_section() -> None:
    run = make_run([record("a"), record("b", passed=False)], pass_rate=0.5)
    summaries, verdicts = judged([run])
    text = summary_markdown([run], summaries, verdicts)
    assert "### Failed gates" not in text
    assert text.rstrip().endswith("1 datapoint failure tolerated: the eval gate holds")


def test_scorers_and_errored_datapoints_sections() -> None:
    run = make_run([record("a"), errored("b|c", "Boom: bad\nsecond line")])
    summaries, verdicts = judged([run])
    text = summary_markdown([run], summaries, verdicts)
    assert "### Scorers" in text
    assert "| capitals\\[local/gpt-4o-mini\\] | exact\\_match | 1.000 | 1/1 |" in text
    assert "### Errored datapoints" in text
    assert "- b\\|c: Boom: bad" in text
    assert "second line" not in text


def test_no_runs() -> None:
    assert summary_markdown([], {}, []) == "## Evals summary\n\nNo eval ran.\n"
