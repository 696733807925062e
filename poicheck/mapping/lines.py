"""The line of a mapping file where a key path (`groups/columns/P{n} [kW]/round`) is written,
for error messages: `at key 'groups/columns/P{n} [kW]/round' (line 42): ...`."""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from poicheck.errors import UsageError

_AT_KEY = re.compile(r"at key '(.*?)': ", re.DOTALL)


def with_line(error: UsageError, path: Path) -> UsageError:
    """`error` with the line of its key in the file at `path` (as it is when not found)."""
    match = _AT_KEY.match(error.message)
    if match is None:
        return error
    try:
        line = key_line(path.read_text(encoding="utf-8"), match.group(1))
    except (OSError, UnicodeDecodeError, YAMLError, RecursionError):
        return error
    if line is None:
        return error
    message = f"at key '{match.group(1)}' (line {line}): {error.message[match.end() :]}"
    return UsageError(message, location=error.location, details=error.details)


def key_line(text: str, key: str) -> int | None:
    """The 1-based line of the deepest part of `key` (parts joined by '/', which headers may
    hold too: the longest key that fits is taken) found in the YAML `text`."""
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    node: Node | None = yaml.compose(text)
    if node is None:
        return None
    line = node.start_mark.line + 1
    rest = "" if key == "(top level)" else key
    while rest and node is not None:
        found = _child(node, rest)
        if found is None:
            break
        node, line, rest = found
    return line


def _child(node: Node, rest: str) -> tuple[Node, int, str] | None:
    """The child of `node` that the path `rest` starts with: (child, its line, the path left)."""
    if isinstance(node, MappingNode):
        best: tuple[Node, int, str] | None = None
        longest = -1
        for key_node, value in node.value:
            name = str(key_node.value)
            if (rest == name or rest.startswith(name + "/")) and len(name) > longest:
                longest = len(name)
                best = (value, key_node.start_mark.line + 1, rest[len(name) + 1 :])
        return best
    if isinstance(node, SequenceNode):
        head, _, tail = rest.partition("/")
        if head.isdigit() and int(head) < len(node.value):
            item = node.value[int(head)]
            return item, item.start_mark.line + 1, tail
    return None
