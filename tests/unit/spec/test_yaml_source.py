"""YAML text into data plus the line of every key and list entry; bad YAML is one located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_evals.errors import EvalInputError
from pytest_evals.spec.yaml_source import LineIndex, parse_yaml, read_yaml

SOURCE = Path("evals/geo.eval.yaml")


def _parse_error(text: str) -> EvalInputError:
    with pytest.raises(EvalInputError) as caught:
        parse_yaml(text, source=SOURCE)
    return caught.value


def test_keys_and_list_entries_have_their_lines() -> None:
    text = """\
# a comment
name: geo

cases:
  - id: france
    input: Capital of France?
  - id: peru
    input: Capital of Peru?
    expected:
      - Lima
      - lima
"""
    data, index = parse_yaml(text, source=SOURCE)
    assert data["cases"][1]["expected"] == ["Lima", "lima"]
    assert index.line("name") == 2
    assert index.line("cases") == 4
    assert index.line("cases", 0) == 5
    assert index.line("cases", 0, "input") == 6
    assert index.line("cases", 1) == 7
    assert index.line("cases", 1, "expected") == 9
    assert index.line("cases", 1, "expected", 0) == 10
    assert index.line("cases", 1, "expected", 1) == 11


def test_flow_entries_are_on_the_line_they_are_written() -> None:
    text = "cases:\n  - {id: a, input: x}\n  - {id: b,\n     input: y}\ntags: [smoke, fast]\n"
    _, index = parse_yaml(text, source=SOURCE)
    assert index.line("cases", 0) == 2
    assert index.line("cases", 1) == 3
    assert index.line("cases", 1, "input") == 4
    assert index.line("tags", 1) == 5


def test_a_key_is_on_its_own_line_even_when_its_value_starts_below() -> None:
    text = "prompt: |\n  line one\n  line two\nscorers:\n\n  - exact_match\n"
    data, index = parse_yaml(text, source=SOURCE)
    assert data["prompt"] == "line one\nline two\n"
    assert index.line("prompt") == 1
    assert index.line("scorers") == 4
    assert index.line("scorers", 0) == 6


def test_document_marker_and_leading_comments_count() -> None:
    _, index = parse_yaml("# header\n\n---\nname: geo\n", source=SOURCE)
    assert index.line("name") == 4


def test_an_unknown_path_falls_back_to_its_nearest_ancestor() -> None:
    _, index = parse_yaml("x: 1\ncases:\n  - id: a\n  - id: b\n", source=SOURCE)
    assert index.line("cases", 1, "no-such-key", 3) == 4
    assert index.line("cases", 7) == 2
    assert index.line("nothing") == 1  # the document itself
    assert index.line() == 1


def test_an_empty_index_knows_no_line() -> None:
    assert LineIndex({}).line("cases", 0) is None
    assert LineIndex({}).line() is None


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "null\n", "~\n"])
def test_empty_documents_are_none(text: str) -> None:
    data, index = parse_yaml(text, source=SOURCE)
    assert data is None
    assert index.line("cases", 0) in (None, 1, 2)


def test_a_bare_empty_text_has_no_lines_at_all() -> None:
    data, index = parse_yaml("", source=SOURCE)
    assert data is None and index.lines == {}


def test_duplicate_top_level_key_names_both_lines() -> None:
    error = _parse_error("name: a\nprompt: x\nname: b\n")
    assert (error.path, error.line, error.key) == (str(SOURCE), 3, "name")
    assert str(error) == f"{SOURCE}:3: key 'name': duplicate key 'name' (first on line 1)"


def test_duplicate_key_inside_a_datapoint_is_found() -> None:
    text = "cases:\n  - id: a\n    input: x\n    input: y\n"
    error = _parse_error(text)
    assert error.line == 4
    assert error.message == "duplicate key 'input' (first on line 3)"


def test_duplicate_key_in_a_flow_mapping_is_found() -> None:
    error = _parse_error("cases:\n  - {id: a, id: b}\n")
    assert error.line == 2 and error.key == "id"


def test_same_key_in_sibling_mappings_is_not_a_duplicate() -> None:
    data, _ = parse_yaml("cases:\n  - {id: a}\n  - {id: b}\n", source=SOURCE)
    assert [c["id"] for c in data["cases"]] == ["a", "b"]


def test_a_merged_key_may_be_overridden() -> None:
    # `<<: *base` then a key of base: YAML's override, not a duplicate.
    text = """\
cases:
  - &base {input: a, expected: b}
  - <<: *base
    input: c
"""
    data, index = parse_yaml(text, source=SOURCE)
    assert data["cases"][1] == {"input": "c", "expected": "b"}
    assert index.line("cases", 1, "input") == 4
    assert index.line("cases", 1, "expected") == 3  # merged: shown at the entry


def test_an_explicit_duplicate_next_to_a_merge_is_still_refused() -> None:
    text = "base: &b {k: 1}\nuse:\n  <<: *b\n  x: 1\n  x: 2\n"
    error = _parse_error(text)
    assert error.line == 5 and error.key == "x"


def test_nested_aliases_are_indexed_once() -> None:
    # 8 aliases per level, 7 levels: millions of paths if each alias were walked again.
    lines = ["a0: &a0 [x, y, z, w, v, u, t, s]"]
    for level in range(1, 7):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 8) + "]")
    data, index = parse_yaml("\n".join(lines) + "\n", source=SOURCE)
    assert data["a6"][7][7][7][7][7][7][7] == "s"
    assert len(index.lines) < 200
    assert index.line("a6", 7, 7) == 6  # below a repeated alias: the anchor's line


# libyaml and the pure-Python loader word problems a little differently: match a fragment.
@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("cases:\n  - [1, 2\nname: x\n", 3, "expected ',' or ']'"),
        ("name: a\n  prompt: b\n", 2, "mapping values are not allowed"),
        ("name: a\nprompt: @x\n", 2, "cannot start any token"),
        ("name: a\ncases: *nope\n", 2, "found undefined alias"),
        ("name: 'unclosed\n", 2, "found unexpected end of stream"),
    ],
)
def test_invalid_yaml_names_the_line(text: str, line: int, problem: str) -> None:
    error = _parse_error(text)
    assert error.line == line
    assert error.message.startswith("invalid YAML: ") and problem in error.message
    assert str(error) == f"{SOURCE}:{line}: {error.message}"
    assert error.key is None and error.datapoint_id is None


def test_a_tab_indent_names_its_line() -> None:
    # The wording differs between libyaml and the pure-Python loader; the line does not.
    error = _parse_error("name: a\ncases:\n\t- x\n")
    assert error.line == 3 and error.message.startswith("invalid YAML: ")


def test_a_second_document_is_refused() -> None:
    error = _parse_error("name: a\n---\nname: b\n")
    assert error.line == 2 and "another document" in error.message


def test_python_tags_are_not_constructed() -> None:
    error = _parse_error("name: !!python/object/apply:os.system ['echo pwned']\n")
    assert error.line == 1
    assert "could not determine a constructor" in error.message


def test_an_unhashable_key_is_invalid_yaml() -> None:
    error = _parse_error("? [1, 2]\n: v\n")
    assert error.line == 1 and error.message.startswith("invalid YAML: found unhashable key")


def test_read_yaml_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "geo.eval.yaml"
    path.write_text("name: geo\ncases:\n  - {input: é}\n", encoding="utf-8")
    data, index = read_yaml(path)
    assert data == {"name": "geo", "cases": [{"input": "é"}]}
    assert index.line("cases", 0) == 3


def test_read_yaml_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "geo.eval.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(EvalInputError) as caught:
        read_yaml(path)
    assert caught.value.path == str(path) and caught.value.line == 2


def test_read_yaml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EvalInputError) as caught:
        read_yaml(tmp_path / "gone.eval.yaml")
    assert caught.value.path == str(tmp_path / "gone.eval.yaml")
    assert caught.value.message == "cannot read the file: No such file or directory"


def test_read_yaml_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.eval.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(EvalInputError) as caught:
        read_yaml(path)
    assert caught.value.path == str(path)
    assert caught.value.message.startswith("not UTF-8 text: ")
