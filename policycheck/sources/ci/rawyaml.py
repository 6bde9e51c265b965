"""YAML values as written, each knowing its line: for files whose scalars are text.

A CI matrix lists ``redis-version: [6.2, 7.10]``; built as YAML values these are the
floats 6.2 and 7.1, and ``7.10`` is lost. CI files are read here as text instead: every
scalar is a ``Text`` (the characters written, with its line), every mapping a
``RawMap`` (with the line of each key), every sequence a ``RawList``. Merge keys
(``<<: *defaults``) merge as YAML says; an alias is built once and shared, so the work
is linear in the document, however often an anchor is reused.
"""

from __future__ import annotations

from typing import Any

import yaml

from policycheck.yamlload import Located

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"


class Text(str):
    """A scalar exactly as written, with the 1-based line it starts on."""

    line: int = 0


class RawMap(dict[str, Any]):
    """A mapping with string keys, its own line and the line of each key."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        """The line of ``key``, or of the mapping when it has no such key."""
        return self.key_lines.get(key, self.line)


class RawList(list[Any]):
    """A sequence with its own line."""

    line: int = 0


def raw_documents(docs: list[Located]) -> list[Any]:
    """Each loaded document's node tree as text values (see the module docstring)."""
    return [_Builder().build(doc.root) if doc.root is not None else None for doc in docs]


def line_of(value: Any, default: int | None = None) -> int | None:
    """The line a raw value starts on."""
    line = getattr(value, "line", 0)
    return line or default


class _Builder:
    def __init__(self) -> None:
        self.built: dict[int, Any] = {}

    def build(self, node: yaml.Node) -> Any:
        known = self.built.get(id(node))
        if known is not None:
            return known
        value: Any
        if isinstance(node, yaml.MappingNode):
            value = RawMap()
            self.built[id(node)] = value  # before the children: a cycle ends here
            self._fill(value, node)
        elif isinstance(node, yaml.SequenceNode):
            value = RawList()
            self.built[id(node)] = value
            value.extend(self.build(child) for child in node.value)
        elif node.tag == _NULL_TAG:
            value = None
        else:
            value = Text(node.value)
            self.built[id(node)] = value
        if value is not None:
            value.line = node.start_mark.line + 1
        return value

    def _fill(self, out: RawMap, node: yaml.MappingNode) -> None:
        merged: list[RawMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                merged.extend(m for m in map(self.build, sources) if isinstance(m, RawMap))
                continue
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
            out[key] = self.build(value_node)
            out.key_lines[key] = key_node.start_mark.line + 1
        for source in merged:  # explicit keys win; earlier merges win over later ones
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    out.key_lines[key] = source.key_lines.get(key, source.line)
