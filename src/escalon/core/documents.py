"""Reading untrusted YAML and JSON within bounds: size, nesting depth, aliases and expansion.

A document's text is small, but what it stands for can be huge: YAML aliases let 400 bytes mean
ten million values, and nesting a few thousand levels deep exhausts the interpreter's stack.
Every reader of a document someone sent (policies, rosters, calendars, request bodies) checks
these bounds first and, past one, says which one it was. See docs/policies.md ("Limits").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

Limit = Literal["size", "depth", "aliases", "values"]
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a document is read: its bytes, its nesting, its aliases and its values."""

    max_bytes: int = 1_000_000
    max_depth: int = 64
    max_aliases: int = 1_000
    # Values once every alias and merge key (`<<`) is replaced by what it refers to.
    max_values: int = 100_000


class LimitExceeded(ValueError):
    """A document goes past one of its limits: `limit` names which, `line` where (if known)."""

    def __init__(self, limit: Limit, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.message = message
        self.line = line


# A policy is a page or two; a roster may list 10,000 agents, often sharing working hours by
# alias; a calendar is a week and its holidays.
POLICY = Limits()
ROSTER = Limits(max_bytes=20_000_000, max_aliases=100_000, max_values=2_000_000)
CALENDAR = Limits()


def check_size(text: str, limits: Limits) -> None:
    """Refuse text longer than `limits.max_bytes` (UTF-8)."""
    # Characters never outnumber bytes: most texts are judged without encoding them.
    if len(text) <= limits.max_bytes // 4:
        return
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise LimitExceeded(
            "size", f"is {size:,} bytes; at most {limits.max_bytes:,} are read (size limit)"
        )


def depth_problem(limits: Limits) -> str:
    """What to say of a document nested past its depth limit."""
    return f"nests deeper than {limits.max_depth} levels (depth limit)"


# -- JSON ----------------------------------------------------------------------------------------

# Strings first (a bracket inside one is text), then every byte but a bracket goes.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_RUNS = re.compile(rb"[\[{]+|[\]}]+")


def json_too_deep(data: bytes | str, max_depth: int) -> bool:
    """Whether JSON text nests arrays and objects more than `max_depth` levels deep.

    Only brackets outside strings count, a run of them at a time (the regular expressions do
    the byte-by-byte work). Unclosed brackets count too: a parser descends into them as well.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False
    depth = 0
    for run in _RUNS.finditer(_JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)):
        size = run.end() - run.start()
        if run.group()[0] in b"[{":
            depth += size
            if depth > max_depth:
                return True
        else:
            depth -= size
    return False


def load_json(text: str, limits: Limits) -> Any:
    """`json.loads` within the limits (size, depth); LimitExceeded past one."""
    check_size(text, limits)
    if json_too_deep(text, limits.max_depth):
        raise LimitExceeded("depth", depth_problem(limits))
    return json.loads(text)


# -- YAML ----------------------------------------------------------------------------------------


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing documents nested or aliased past the limits.

    It bounds composition (nesting, aliases) and merge keys, whose copies multiply when merges
    are chained; whoever walks the composed nodes charges each visit with `spend`.
    """

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text)
        self.limits = limits
        self._depth = 0
        self._aliases = 0
        self._values = 0
        self._merging = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose one node, counting aliases and nesting on the way."""
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                line = self._line()
                raise LimitExceeded(
                    "aliases",
                    f"uses more than {self.limits.max_aliases:,} aliases (alias limit)",
                    line,
                )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > self.limits.max_depth:
                line = self._line()
                raise LimitExceeded("depth", depth_problem(self.limits), line)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _line(self) -> int | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        return None if event.start_mark is None else event.start_mark.line + 1

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Replace merge keys by the merged pairs, counting the copies before making them."""
        sources = [
            source
            for key, value in node.value
            if key.tag == MERGE_TAG
            for source in (value.value if isinstance(value, yaml.SequenceNode) else [value])
            if isinstance(source, yaml.MappingNode)
        ]
        if sources:
            self._merging += 1
            try:
                if self._merging > self.limits.max_depth:
                    raise LimitExceeded(
                        "depth", depth_problem(self.limits), node.start_mark.line + 1
                    )
                for source in sources:
                    self.flatten_mapping(source)
            finally:
                self._merging -= 1
            self.spend(sum(len(source.value) for source in sources), node)
        super().flatten_mapping(node)

    def spend(self, count: int, node: yaml.Node) -> None:
        """Charge `count` values read (or copied) to the document's expansion budget."""
        self._values += count
        if self._values > self.limits.max_values:
            raise LimitExceeded(
                "values",
                f"stands for more than {self.limits.max_values:,} values once its aliases "
                "and merges are expanded (expansion limit)",
                node.start_mark.line + 1,
            )


def load_yaml(text: str, limits: Limits) -> Any:
    """A YAML (or JSON) document as plain data, within the limits; LimitExceeded past one.

    Aliases are expanded into copies while counting, so what comes back is a tree that walking
    cannot blow up. YAML errors are PyYAML's (`yaml.YAMLError`).
    """
    check_size(text, limits)
    loader = BoundedLoader(text, limits)
    try:
        node = loader.get_single_node()
        return None if node is None else _plain(loader, node, 1)
    finally:
        loader.dispose()


def _plain(loader: BoundedLoader, node: yaml.Node, depth: int) -> Any:
    loader.spend(1, node)
    if depth > loader.limits.max_depth:
        # Aliases nest what refers to them: the composed text may be shallow, its meaning not.
        raise LimitExceeded("depth", depth_problem(loader.limits), node.start_mark.line + 1)
    if isinstance(node, yaml.SequenceNode):
        return [_plain(loader, item, depth + 1) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a name, not a list or mapping", key_node.start_mark
                )
            result[_plain(loader, key_node, depth + 1)] = _plain(loader, value_node, depth + 1)
        return result
    return loader.construct_object(node, deep=True)


def describe(value: object) -> str:
    """A value from a document as an error message names it: "a mapping", "a list", "nothing"."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    return repr(value)
