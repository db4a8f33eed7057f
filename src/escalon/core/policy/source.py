"""YAML text to plain data, remembering the line of every field so errors can point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from escalon.core.documents import (
    POLICY,
    BoundedLoader,
    LimitExceeded,
    Limits,
    check_size,
    depth_problem,
)

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a policy: where it is and what it is."""

    source: str
    line: int | None
    path: str
    message: str
    # Which reading limit the document went past (size, depth, aliases, values), if any.
    limit: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass(slots=True)
class SourceMap:
    """Line numbers of the fields of one YAML document, by field path."""

    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of a field, or of its nearest enclosing field when it is absent."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def format_path(path: Path) -> str:
    """`('rules', 3, 'do', 0)` -> `rules[3].do[0]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class _Reader:
    """Walks composed YAML nodes into plain data while recording each node's line."""

    def __init__(self, loader: BoundedLoader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.map = SourceMap()
        self.problems: list[Problem] = []
        self._active: set[int] = set()

    def read(self, node: yaml.Node, path: Path) -> Any:
        # Every visit counts, so an alias read a million times costs a million values.
        self.loader.spend(1, node)
        if len(path) > self.loader.limits.max_depth:
            # Aliases nest what refers to them: the text may be shallow and its meaning not.
            line = node.start_mark.line + 1
            raise LimitExceeded("depth", depth_problem(self.loader.limits), line)
        self.map.lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in self._active:
            self.problems.append(
                Problem(
                    self.source, node.start_mark.line + 1, format_path(path), "refers to itself"
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            self._active.add(id(node))
            try:
                return self._mapping(node, path)
            finally:
                self._active.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self._active.add(id(node))
            try:
                return [self.read(item, (*path, index)) for index, item in enumerate(node.value)]
            finally:
                self._active.discard(id(node))
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:
            # An impossible unquoted date (2026-13-01): PyYAML raises while building it. Kept
            # as the text it was written as, so the field's own check says what is wrong.
            if node.tag == "tag:yaml.org,2002:timestamp":
                return node.value
            raise

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                self.problems.append(
                    Problem(
                        self.source, line, format_path(path), f"a key must be a name, not {kind}"
                    )
                )
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                self.problems.append(
                    Problem(
                        self.source, line, format_path(path), f"a key must be a name, not {key!r}"
                    )
                )
                continue
            if isinstance(key, bool) and key_node.value.lower() in {
                "on",
                "off",
                "yes",
                "no",
                "y",
                "n",
            }:
                # YAML 1.1 reads these bare words as booleans; keep the word the author wrote.
                key = key_node.value
            if key in first_line:
                self.problems.append(
                    Problem(
                        self.source,
                        line,
                        format_path((*path, key if not isinstance(key, float) else str(key))),
                        f"duplicate key (first given on line {first_line[key]})",
                    )
                )
                continue
            first_line[key] = line
            child: Path = (*path, str(key))
            self.map.lines[child] = line
            result[key] = self.read(value_node, child)
        return result


def read_yaml(
    text: str, source: str, limits: Limits = POLICY
) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse one YAML (or JSON) document into plain data with its source map and problems.

    The document is read within `limits` (size, depth, aliases, expanded values): past one, the
    only problem is the limit, with `Problem.limit` naming it.
    """
    try:
        check_size(text, limits)
    except LimitExceeded as error:
        return None, SourceMap(), [_limit_problem(source, error)]
    try:
        loader = BoundedLoader(text, limits)
    except yaml.reader.ReaderError as error:
        # The reader refuses control characters (and lone surrogates) before parsing starts.
        where = text.count("\n", 0, error.position) + 1
        problem = f"not valid YAML: {error.reason} (character #x{error.character:04x})"
        return None, SourceMap(), [Problem(source, where, "", problem)]
    try:
        try:
            node = loader.get_single_node()
        except LimitExceeded as error:
            return None, SourceMap(), [_limit_problem(source, error)]
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark is not None else None
            message = " ".join(part for part in (error.context, error.problem) if part)
            return None, SourceMap(), [Problem(source, line, "", f"not valid YAML: {message}")]
        except yaml.YAMLError as error:
            return None, SourceMap(), [Problem(source, None, "", f"not valid YAML: {error}")]
        if node is None:
            return None, SourceMap(), [Problem(source, None, "", "the file is empty")]
        reader = _Reader(loader, source)
        try:
            data = reader.read(node, ())
        except LimitExceeded as error:
            return None, reader.map, [_limit_problem(source, error)]
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark
            line = mark.line + 1 if mark is not None else None
            return None, reader.map, [Problem(source, line, "", f"not valid YAML: {error.problem}")]
        return data, reader.map, reader.problems
    finally:
        loader.dispose()


def _limit_problem(source: str, error: LimitExceeded) -> Problem:
    return Problem(source, error.line, "", f"the document {error.message}", limit=error.limit)
