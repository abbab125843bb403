"""The eval name each spec file on disk declares, read without loading the file.

Run ids tell spec files that share a name apart by their path (``qa (evals/en/qa.eval.yaml)``),
and must do so whatever was collected: ``--lf`` skips whole files whose datapoints all
passed, and a file's run id must not change because its namesake was skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from .model import SPEC_SUFFIXES, default_name, is_spec_path

_TOP_LEVEL_NAME = re.compile(r"^name[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE)


def declared_name(path: Path) -> str:
    """The file's top-level ``name:``, or its default (the file name without
    ``.eval.yaml``). A file that can't be read here is named by default: loading it reports
    what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return default_name(path)
    match = _TOP_LEVEL_NAME.search(text)
    if match is None:
        return default_name(path)
    try:
        value = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return default_name(path)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return default_name(path)


def spec_files(roots: Iterable[Path]) -> Iterator[Path]:
    """Every spec file under ``roots`` (folders or files), outside hidden folders."""
    for root in roots:
        if root.is_file():
            if is_spec_path(root.name):
                yield root
            continue
        for suffix in SPEC_SUFFIXES:
            for path in root.rglob(f"*{suffix}"):
                relative = path.relative_to(root).parts[:-1]
                if not any(part.startswith(".") for part in relative):
                    yield path
