"""YAML loading that remembers where every value came from.

JSON Schema reports errors by path (``rules/3/verdict``); users need a line number.
We compose the YAML node tree once, build plain Python values from it and keep the
tree, so the line of any path (a schema error's, a container image's) can be found.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from policycheck.errors import InputError

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - pure-Python PyYAML
    _Loader = yaml.SafeLoader

PathKey = tuple[str | int, ...]


@dataclass
class Located:
    """A loaded YAML document that can tell the 1-based line of any path inside it.

    Lines are looked up in the node tree on demand: scanners ask for a handful of
    paths (the image of each container), so recording the line of every node while
    building the value would cost more than all the lookups.
    """

    value: Any
    source: str
    root: yaml.Node | None = None

    def line_of(self, path: PathKey) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one.

        A mapping entry's line is its key's line; a path through a merge key (``<<``)
        stops at the mapping that merges, as the merged entries live elsewhere.
        """
        node = self.root
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for part in path:
            if isinstance(node, yaml.MappingNode):
                entry = _entry(node, part)
                if entry is None:
                    return line
                key_node, node = entry
                line = key_node.start_mark.line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def _key(key_node: yaml.Node) -> Any:
    """A mapping key as ``_build`` stores it: str and int as they are, others as text."""
    key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
    return key if isinstance(key, str | int) else str(key)


def _entry(node: yaml.MappingNode, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE_TAG and _key(key_node) == part:
            return key_node, value_node
    return None


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _build(node: yaml.Node, source: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for src in sources:
                    built = _build(src, source)
                    if isinstance(built, dict):
                        merged = {**built, **merged}
                continue
            key = _build(key_node, source)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise InputError(
                    "mapping keys must be plain scalars",
                    source,
                    key_node.start_mark.line + 1,
                )
            if key in out:
                raise InputError(
                    f"duplicate key {key!r}",
                    source,
                    key_node.start_mark.line + 1,
                    "remove one of the two entries",
                )
            k = key if isinstance(key, str | int) else str(key)
            out[k] = _build(value_node, source)
        return {**merged, **out} if merged else out
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, source) for child in node.value]
    return _scalar(node)


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


_STR_TAG = "tag:yaml.org,2002:str"


def _scalar(node: yaml.Node) -> Any:
    """Construct a scalar; dates stay ISO strings so JSON Schema sees what the user wrote.

    Strings, most scalars of a manifest, are taken as they are: the resolver already
    decided their tag, and the constructor would only hand back the same text.
    """
    if node.tag == _STR_TAG:
        return node.value
    value = _CONSTRUCTOR.construct_object(node, deep=True)
    _CONSTRUCTOR.constructed_objects.clear()
    if isinstance(value, datetime.date):
        return node.value
    return value


def _syntax_error(exc: yaml.YAMLError, source: str) -> InputError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    return InputError(
        f"YAML syntax error: {problem}",
        source,
        line,
        "check indentation and quoting on that line",
    )


def load_text(text: str, source: str) -> Located:
    """Load a single YAML document from text."""
    docs = list(iter_documents(text, source))
    if not docs:
        return Located(None, source)
    if len(docs) > 1:
        raise InputError("expected one YAML document, found several", source, None)
    return docs[0]


def iter_documents(text: str, source: str) -> Iterator[Located]:
    """Yield every document of a (possibly multi-document) YAML stream."""
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            yield Located(_build(node, source), source, node)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, source) from None


def read_text(path: Path, display: str | None = None) -> str:
    """Read a UTF-8 text file, turning every failure into an InputError naming the path."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", name) from None
    if b"\x00" in data[:8192]:
        raise InputError("binary file, expected text", name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("file is not valid UTF-8", name, line, "save it as UTF-8") from None


def load_file(path: Path, display: str | None = None) -> Located:
    """Load a YAML file into a Located value."""
    name = display or str(path)
    return load_text(read_text(path, name), name)
