"""Spec names read off disk without loading the file (``spec.names``)."""

from __future__ import annotations

from pathlib import Path

from pytest_evals.spec.names import declared_name, spec_files


def test_the_top_level_name_or_the_file_name(tmp_path: Path) -> None:
    cases = {
        "plain": ("name: qa\ncases: []\n", "qa"),
        "quoted": ("cases: []\nname: 'q a'  # why\n", "q a"),
        "nested": ("model: {name: m}\nscorers:\n  - {type: x, name: n}\n  name: y\n", "nested"),
        "blank": ("name:\ncases: []\n", "blank"),
        "not text": ("name: [1, 2]\n", "not text"),
    }
    for stem, (text, expected) in cases.items():
        path = tmp_path / f"{stem}.eval.yaml"
        path.write_text(text)
        assert declared_name(path) == expected, stem
    assert declared_name(tmp_path / "missing.eval.yaml") == "missing"


def test_spec_files_skip_hidden_folders(tmp_path: Path) -> None:
    for name in ("a.eval.yaml", "sub/b.eval.yml", ".venv/c.eval.yaml", "d.yaml"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("cases: []\n")
    found = {p.relative_to(tmp_path).as_posix() for p in spec_files([tmp_path])}
    assert found == {"a.eval.yaml", "sub/b.eval.yml"}
    assert list(spec_files([tmp_path / "a.eval.yaml"])) == [tmp_path / "a.eval.yaml"]
