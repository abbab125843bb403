"""Dataset files into raw datapoints with 1-based start lines, and the limit/sample/seed draw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_evals.errors import EvalInputError
from pytest_evals.spec.datasets import RawDatapoint, Selection, read_dataset


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _rows(path: Path) -> list[tuple[int, dict[str, Any], int | None]]:
    return [(row.index, dict(row.data), row.line) for row in read_dataset(path)]


def _error(path: Path) -> EvalInputError:
    with pytest.raises(EvalInputError) as caught:
        read_dataset(path)
    return caught.value


# --- JSON Lines -------------------------------------------------------------------------


def test_jsonl_rows_keep_their_lines_across_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", '{"id": "a"}\n\n   \n{"id": "b", "n": 2}\n{"id": "c"}\n\n')
    assert _rows(path) == [(0, {"id": "a"}, 1), (1, {"id": "b", "n": 2}, 4), (2, {"id": "c"}, 5)]


def test_jsonl_with_crlf_line_ends(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", '{"a": 1}\r\n\r\n{"a": 2}\r\n')
    assert [(r.line, r.data["a"]) for r in read_dataset(path)] == [(1, 1), (3, 2)]


def test_jsonl_bad_line_names_that_line_and_its_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", '{"a": 1}\n\n{"a": }\n{"a": 3}\n')
    error = _error(path)
    assert (error.path, error.line) == (str(path), 3)
    # The decoder's "line 1" would contradict the file line: only the column is shown.
    assert str(error) == f"{path}:3: invalid JSON: Expecting value (column 7)"


def test_jsonl_row_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", '{"a": 1}\n["a", 1]\n')
    error = _error(path)
    assert error.line == 2
    assert error.message == "datapoint 1 must be a mapping of fields, got list"


@pytest.mark.parametrize(("row", "kind"), [("3", "int"), ('"text"', "str"), ("null", "NoneType")])
def test_jsonl_scalar_rows_are_refused(tmp_path: Path, row: str, kind: str) -> None:
    error = _error(_write(tmp_path, "d.jsonl", row + "\n"))
    assert error.line == 1 and error.message.endswith(f"got {kind}")


def test_jsonl_empty_file_has_no_rows(tmp_path: Path) -> None:
    assert read_dataset(_write(tmp_path, "d.jsonl", "\n\n")) == []


# --- JSON -------------------------------------------------------------------------------


def test_json_array_elements_start_on_their_lines(tmp_path: Path) -> None:
    rows = [{"id": "a", "input": "x"}, {"id": "b", "input": ["y", {"z": "]"}]}, {}]
    path = _write(tmp_path, "d.json", json.dumps(rows, indent=2))
    # [ / { "id": "a", "input": "x" } / { "id": "b", "input": [ "y", { "z": "]" } ] } / {}
    assert _rows(path) == [(0, rows[0], 2), (1, rows[1], 6), (2, {}, 15)]


def test_json_compact_array_is_all_on_line_one(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.json", '[{"a": 1}, {"a": "x,\\"]"}]')
    assert _rows(path) == [(0, {"a": 1}, 1), (1, {"a": 'x,"]'}, 1)]


@pytest.mark.parametrize("key", ["cases", "data", "datapoints"])
def test_json_mapping_holding_the_list(tmp_path: Path, key: str) -> None:
    text = '{\n  "meta": {"cases": "not this"},\n  "%s": [\n    {"a": 1},\n\n    {"a": 2}\n  ]\n}'
    path = _write(tmp_path, "d.json", text % key)
    assert _rows(path) == [(0, {"a": 1}, 4), (1, {"a": 2}, 6)]


def test_json_mapping_prefers_cases_and_takes_the_last_duplicate(tmp_path: Path) -> None:
    text = '{"data": [{"n": 0}],\n "cases": [{"n": 1}],\n "cases": [\n{"n": 2}]}'
    assert _rows(_write(tmp_path, "d.json", text)) == [(0, {"n": 2}, 4)]


def test_json_invalid_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.json", '[\n  {"a": 1},\n  {"a": 2,}\n]\n')
    error = _error(path)
    assert error.line == 3
    # Python's own explanation, whose wording (and column) changed in 3.13.
    assert error.message in (
        "invalid JSON: Expecting property name enclosed in double quotes (column 11)",
        "invalid JSON: Illegal trailing comma before end of object (column 10)",
    )


def test_json_without_a_list_is_refused(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "d.json", '{"rows": [{"a": 1}]}'))
    assert error.line is None
    assert error.message == "expected a list of datapoints (or a mapping with a 'cases' list)"


def test_json_non_mapping_element_names_its_line(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "d.json", '[\n  {"a": 1},\n  "oops"\n]'))
    assert (error.line, error.message) == (3, "datapoint 1 must be a mapping of fields, got str")


# --- YAML -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["d.yaml", "d.yml", "D.YAML"])
def test_yaml_list_rows_have_lines(tmp_path: Path, name: str) -> None:
    text = "# rows\n- id: a\n  input: x\n\n- {id: b}\n-\n  id: c\n"
    assert _rows(_write(tmp_path, name, text)) == [
        (0, {"id": "a", "input": "x"}, 2),
        (1, {"id": "b"}, 5),
        (2, {"id": "c"}, 7),
    ]


def test_yaml_mapping_with_cases(tmp_path: Path) -> None:
    text = "source: export\ncases:\n  - {id: a}\n  - id: b\n"
    assert _rows(_write(tmp_path, "d.yaml", text)) == [(0, {"id": "a"}, 3), (1, {"id": "b"}, 4)]


def test_yaml_non_mapping_row(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "d.yaml", "- {id: a}\n- just text\n"))
    assert (error.line, error.message) == (2, "datapoint 1 must be a mapping of fields, got str")


def test_yaml_duplicate_key_in_a_row(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.yml", "- id: a\n  id: b\n")
    error = _error(path)
    assert str(error) == f"{path}:2: key 'id': duplicate key 'id' (first on line 1)"


@pytest.mark.parametrize("text", ["", "# nothing\n", "just: a mapping\n"])
def test_yaml_without_a_list_is_refused(tmp_path: Path, text: str) -> None:
    error = _error(_write(tmp_path, "d.yaml", text))
    assert error.message == "expected a list of datapoints (or a mapping with a 'cases' list)"


def test_yaml_invalid_names_the_line(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "d.yaml", "- {id: a}\n- {id: b\n- {id: c}\n"))
    assert error.line == 3 and "expected ',' or '}'" in error.message


# --- CSV --------------------------------------------------------------------------------


def test_csv_rows_start_after_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", 'id,input,expected\na,What?,x\nb,"Hi, you",y\n')
    assert _rows(path) == [
        (0, {"id": "a", "input": "What?", "expected": "x"}, 2),
        (1, {"id": "b", "input": "Hi, you", "expected": "y"}, 3),
    ]


def test_csv_quoted_newlines_and_blank_lines_keep_later_lines_right(tmp_path: Path) -> None:
    text = 'id,input\n\na,"two\nlines"\n\n\nb,x\n'
    assert _rows(_write(tmp_path, "d.csv", text)) == [
        (0, {"id": "a", "input": "two\nlines"}, 3),
        (1, {"id": "b", "input": "x"}, 7),
    ]


def test_csv_with_crlf_and_a_byte_order_mark(tmp_path: Path) -> None:
    # Spreadsheet exports: the BOM must not become part of the first column's name.
    path = tmp_path / "d.csv"
    path.write_bytes("\ufeffid,input\r\na,x\r\nb,y\r\n".encode())
    assert _rows(path) == [(0, {"id": "a", "input": "x"}, 2), (1, {"id": "b", "input": "y"}, 3)]


def test_csv_values_stay_strings_and_empty_cells_are_empty_strings(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", "id,n,extra\n1,2.5,\n")
    assert _rows(path) == [(0, {"id": "1", "n": "2.5", "extra": ""}, 2)]


def test_csv_row_with_too_many_or_too_few_cells(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", "id,input\na,x\nb,y,surplus\n")
    assert str(_error(path)) == (
        f"{path}:3: this row has more cells than the header has columns (3 cells, 2 columns); "
        "an empty value is an empty cell (a,,c)"
    )
    path = _write(tmp_path, "e.csv", "id,input,expected\na,x,y\nb,x\n")
    assert str(_error(path)) == (
        f"{path}:3: this row has fewer cells than the header has columns (2 cells, 3 columns); "
        "an empty value is an empty cell (a,,c)"
    )


def test_csv_header_naming_a_column_twice(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "d.csv", "id,input,input\na,x,y\n"))
    assert (error.line, error.message) == (1, "the header names column(s) 'input' more than once")


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_csv_without_a_header(tmp_path: Path, text: str) -> None:
    assert _error(_write(tmp_path, "d.csv", text)).message == "the CSV file has no header row"


def test_csv_header_only_has_no_rows(tmp_path: Path) -> None:
    assert read_dataset(_write(tmp_path, "d.csv", "id,input\n")) == []


# --- every format ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["d.jsonl", "d.json"])
def test_json_formats_accept_a_byte_order_mark(tmp_path: Path, name: str) -> None:
    body = '{"a": 1}\n' if name.endswith("l") else '[{"a": 1}]'
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    assert _rows(path) == [(0, {"a": 1}, 1)]


@pytest.mark.parametrize("name", ["d.txt", "d.tsv", "data", "d.jsonl.gz"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, "x")
    error = _error(path)
    suffix = Path(name).suffix
    assert error.path == str(path)
    assert error.message == (
        f"unsupported dataset format '{suffix}' (use one of .jsonl, .json, .yaml, .yml, .csv)"
    )


def test_suffix_case_does_not_matter(tmp_path: Path) -> None:
    assert _rows(_write(tmp_path, "D.JSONL", '{"a": 1}\n')) == [(0, {"a": 1}, 1)]


def test_missing_file(tmp_path: Path) -> None:
    error = _error(tmp_path / "gone.jsonl")
    assert str(error) == f"{tmp_path / 'gone.jsonl'}: file not found"


def test_a_folder_is_not_a_dataset(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").mkdir()
    error = _error(tmp_path / "rows.csv")
    assert error.message.startswith("cannot read the file: ")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("id,input\na,caf\xe9\n".encode("latin-1"))
    assert _error(path).message.startswith("not UTF-8 text: ")


# --- Selection --------------------------------------------------------------------------

ROWS = [RawDatapoint(i, {"id": str(i)}, i + 1) for i in range(20)]


def _ids(rows: list[RawDatapoint]) -> list[int]:
    return [row.index for row in rows]


def test_no_selection_keeps_everything() -> None:
    assert Selection().apply(ROWS) == ROWS


def test_limit_keeps_the_first_rows() -> None:
    assert _ids(Selection(limit=3).apply(ROWS)) == [0, 1, 2]
    assert _ids(Selection(limit=50).apply(ROWS)) == list(range(20))


def test_sample_is_deterministic_and_keeps_file_order() -> None:
    first = _ids(Selection(sample=5, seed=7).apply(ROWS))
    again = _ids(Selection(sample=5, seed=7).apply(list(ROWS)))
    assert first == again
    assert len(first) == 5 and len(set(first)) == 5
    assert first == sorted(first)
    assert set(first) <= set(range(20))
    assert first != [0, 1, 2, 3, 4]


def test_default_seed_is_zero() -> None:
    assert Selection(sample=5).apply(ROWS) == Selection(sample=5, seed=0).apply(ROWS)


def test_the_seed_changes_the_draw() -> None:
    draws = {tuple(_ids(Selection(sample=5, seed=seed).apply(ROWS))) for seed in range(5)}
    assert len(draws) > 1


def test_sample_then_limit() -> None:
    sampled = Selection(sample=8, seed=3).apply(ROWS)
    assert _ids(sampled[:2]) != [0, 1]  # otherwise limit-then-sample would look the same
    assert Selection(sample=8, limit=2, seed=3).apply(ROWS) == sampled[:2]


def test_sample_larger_than_the_data_keeps_everything_in_order() -> None:
    assert Selection(sample=20, seed=9).apply(ROWS) == ROWS
    assert Selection(sample=99, seed=9).apply(ROWS) == ROWS


def test_selection_leaves_its_input_alone() -> None:
    rows = tuple(ROWS)
    chosen = Selection(sample=3, limit=2).apply(rows)
    assert isinstance(chosen, list) and rows == tuple(ROWS)


def test_jsonl_strings_may_hold_unicode_line_separators(tmp_path: Path) -> None:
    rows = [{"input": "one\u2028two", "expected": "a\u2029b"}, {"input": "next\x85line"}]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    path = _write(tmp_path, "rows.jsonl", text)
    loaded = read_dataset(path)
    assert [dict(r.data) for r in loaded] == rows
    assert [r.line for r in loaded] == [1, 2]
