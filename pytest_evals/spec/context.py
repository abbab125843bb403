"""The context a datapoint's output is judged against (``faithfulness``): its ``context``
(text or a list of texts), its ``context_files`` and the spec's ``documents`` (files
relative to the spec: text, Markdown, or PDF with the ``pdf`` extra). Read at collection,
so a missing file is a collection error naming the datapoint. No pytest import."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .files import file_problem

_MAX_DOCUMENT_BYTES = 8 * 1024 * 1024


class ContextError(Exception):
    """A context entry is not text, or names a file that can't be read; ``key`` is where."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


def read_document(path: Path, key: str) -> str:
    """The text of one file: UTF-8 text (Markdown included), or a PDF's extracted text."""
    problem = file_problem(path)
    if problem is not None:
        raise ContextError(problem, key)
    if path.stat().st_size > _MAX_DOCUMENT_BYTES:
        raise ContextError(
            f"{path} is over {_MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB: too large to send a judge",
            key,
        )
    if path.suffix.lower() == ".pdf":
        return _pdf_text(path, key)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContextError(f"{path} is not UTF-8 text (PDFs are read as .pdf)", key) from None
    except OSError as exc:
        raise ContextError(f"cannot read {path}: {exc.strerror or exc}", key) from None


def _pdf_text(path: Path, key: str) -> str:
    if importlib.util.find_spec("pypdf") is None:
        raise ContextError(
            f'{path} is a PDF: reading it needs the pdf extra: pip install "pytest-evals[pdf]"',
            key,
        )
    import pypdf

    try:
        reader = pypdf.PdfReader(str(path))
        return "\n\n".join(page.extract_text() or "" for page in reader.pages).strip()
    except Exception as exc:  # pypdf raises many kinds for a broken file
        raise ContextError(f"cannot read the PDF {path}: {exc}", key) from None


def _paths(value: Any, key: str) -> list[str]:
    entries = [value] if isinstance(value, str) else value
    if (
        not isinstance(entries, list)
        or not entries
        or not all(isinstance(e, str) and e.strip() for e in entries)
    ):
        raise ContextError("must be a file path or a list of file paths", key)
    return entries


def read_documents(value: Any, folder: Path) -> tuple[str, ...]:
    """The spec's ``documents``: their texts, in order."""
    return tuple(
        read_document(folder / entry, f"documents[{position}]")
        for position, entry in enumerate(_paths(value, "documents"))
    )


def datapoint_context(
    data: Mapping[str, Any], folder: Path, documents: Sequence[str]
) -> tuple[str, ...]:
    """The texts one datapoint is judged against: its own ``context``, its
    ``context_files``, then the spec's ``documents``."""
    texts: list[str] = []
    given = data.get("context")
    if given is not None:
        entries = [given] if isinstance(given, str) else given
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ContextError("must be text or a list of texts", "context")
        texts.extend(entries)
    files = data.get("context_files")
    if files is not None:
        texts.extend(
            read_document(folder / entry, f"context_files[{position}]")
            for position, entry in enumerate(_paths(files, "context_files"))
        )
    texts.extend(documents)
    return tuple(t for t in texts if t.strip())
