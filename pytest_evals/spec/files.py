"""Why a path a user gave as a file is not one: the message of every file key (a dataset,
context files and documents, a connection's certificates). No pytest import."""

from __future__ import annotations

from pathlib import Path


def file_problem(path: Path) -> str | None:
    """What is wrong with ``path`` as a file to read, or None when it is one. A folder is
    named as one: "no such file" sends the user looking for a typo that isn't there."""
    if path.is_file():
        return None
    if path.is_dir():
        return f"{path} is a directory, not a file"
    return f"no such file: {path}"
