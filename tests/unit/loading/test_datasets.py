"""Dataset files: every format, start lines, selection, and errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_evals.datasets import RawDatapoint, Selection, read_dataset
from pytest_evals.errors import EvalInputError


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_skips_blank_lines_and_keeps_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", '{"id": "a", "input": 1}\n\n{"input": 2}\n')
    rows = read_dataset(path)
    assert [(r.index, r.line, dict(r.data)) for r in rows] == [
        (0, 1, {"id": "a", "input": 1}),
        (1, 3, {"input": 2}),
    ]


def test_jsonl_bad_line_names_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", '{"input": 1}\n{"input": \n')
    with pytest.raises(EvalInputError) as caught:
        read_dataset(path)
    assert caught.value.line == 2 and "invalid JSON" in str(caught.value)
    assert str(caught.value).startswith(f"{path}:2: ")


def test_json_list_or_cases_mapping(tmp_path: Path) -> None:
    assert len(read_dataset(_write(tmp_path, "a.json", '[{"x": 1}, {"x": 2}]'))) == 2
    rows = read_dataset(_write(tmp_path, "b.json", '{"cases": [{"x": 1}]}'))
    assert rows[0].data == {"x": 1}
    with pytest.raises(EvalInputError, match="expected a list of datapoints"):
        read_dataset(_write(tmp_path, "c.json", '{"x": 1}'))


def test_yaml_rows_carry_their_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.yaml", "# comment\n- {input: a}\n-\n  input: b\n  expected: c\n")
    rows = read_dataset(path)
    assert [r.line for r in rows] == [2, 4]
    assert rows[1].data == {"input": "b", "expected": "c"}


def test_csv_rows_are_strings_with_their_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", 'id,input,expected\nq1,"two\nlines",42\nq2,b,7\n')
    rows = read_dataset(path)
    assert [r.line for r in rows] == [2, 4]
    assert rows[0].data == {"id": "q1", "input": "two\nlines", "expected": "42"}


def test_csv_row_with_too_many_cells(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", "id,input\nq1,a\nq2,b,extra\n")
    with pytest.raises(EvalInputError, match="more cells than the header") as caught:
        read_dataset(path)
    assert caught.value.line == 3


def test_non_mapping_row_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(EvalInputError, match="datapoint 1 must be a mapping"):
        read_dataset(_write(tmp_path, "d.jsonl", '{"a": 1}\n[1, 2]\n'))
    with pytest.raises(EvalInputError, match=r"unsupported dataset format '\.txt'"):
        read_dataset(_write(tmp_path, "d.txt", "hello"))
    with pytest.raises(EvalInputError, match="file not found"):
        read_dataset(tmp_path / "missing.jsonl")


ROWS = [RawDatapoint(i, {"n": i}, i + 1) for i in range(20)]


def test_limit_keeps_the_first_rows() -> None:
    assert [r.index for r in Selection(limit=3).apply(ROWS)] == [0, 1, 2]


def test_sample_is_seeded_and_keeps_file_order() -> None:
    first = [r.index for r in Selection(sample=5, seed=3).apply(ROWS)]
    again = [r.index for r in Selection(sample=5, seed=3).apply(ROWS)]
    other = [r.index for r in Selection(sample=5, seed=4).apply(ROWS)]
    assert first == again and first == sorted(first) and len(first) == 5
    assert first != other
    assert [r.index for r in Selection(sample=5, seed=3, limit=2).apply(ROWS)] == first[:2]
    assert len(Selection(sample=50).apply(ROWS)) == 20
