"""YAML documents as plain data plus the line of every key and list entry, so that
errors can point at the line to fix. No pytest import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import EvalInputError

# The C loader is several times faster on large datasets; fall back when libyaml is absent.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class LineIndex:
    """1-based line numbers by path into the document (``("cases", 3, "input")``)."""

    lines: Mapping[PathKey, int]

    def line(self, *path: str | int) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        key: PathKey = tuple(path)
        while key:
            found = self.lines.get(key)
            if found is not None:
                return found
            key = key[:-1]
        return self.lines.get(())


def _index(
    node: yaml.Node, path: PathKey, lines: dict[PathKey, int], source: Path, seen_nodes: set[int]
) -> None:
    lines[path] = node.start_mark.line + 1
    # An alias is the anchored node itself: walk it once, or nested aliases make a few lines
    # of YAML cost exponential time. Paths below a repeat fall back to the anchor's line.
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen and key != "<<":
                raise EvalInputError(
                    f"duplicate key '{key}' (first on line {seen[key]})",
                    path=source,
                    line=line,
                    key=key,
                )
            seen[key] = line
            key_path = (*path, key)
            _index(value_node, key_path, lines, source, seen_nodes)
            lines[key_path] = line
    elif isinstance(node, yaml.SequenceNode):
        for position, child in enumerate(node.value):
            _index(child, (*path, position), lines, source, seen_nodes)


def parse_yaml(text: str, *, source: Path) -> tuple[Any, LineIndex]:
    """Parse one YAML document; EvalInputError with the line when it is not valid YAML."""
    loader = _Loader(text)
    lines: dict[PathKey, int] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineIndex({})
        # Indexed before construction: constructing resolves merge keys (``<<: *base``) by
        # rewriting the node tree, which would make an overridden merged key look duplicated.
        _index(node, (), lines, source, set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        raise EvalInputError(
            f"invalid YAML: {problem}", path=source, line=None if mark is None else mark.line + 1
        ) from None
    except yaml.YAMLError as exc:
        raise EvalInputError(f"invalid YAML: {exc}", path=source) from None
    finally:
        loader.dispose()
    return data, LineIndex(lines)


def read_yaml(path: Path) -> tuple[Any, LineIndex]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"not UTF-8 text: {exc.reason}", path=path) from None
    except OSError as exc:
        raise EvalInputError(f"cannot read the file: {exc.strerror}", path=path) from None
    return parse_yaml(text, source=path)
