"""YAML loading that remembers where every value came from.

JSON Schema reports errors by path (``rules/3/verdict``); users need a line number.
We compose the YAML node tree once, build plain Python values from it and keep a map
from each path to the line of its node, so schema errors can point at the line.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
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
    """A loaded YAML document with the 1-based line of every path inside it."""

    value: Any
    source: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]


def _build(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for src in sources:
                    built = _build(src, path, {}, source)
                    if isinstance(built, dict):
                        merged = {**built, **merged}
                continue
            key = _build(key_node, (*path, "<key>"), {}, source)
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
            out[k] = _build(value_node, (*path, k), lines, source)
            lines[(*path, k)] = key_node.start_mark.line + 1
        return {**merged, **out} if merged else out
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, (*path, i), lines, source) for i, child in enumerate(node.value)]
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
        return Located(None, source, {})
    if len(docs) > 1:
        raise InputError("expected one YAML document, found several", source, None)
    return docs[0]


def iter_documents(text: str, source: str) -> Iterator[Located]:
    """Yield every document of a (possibly multi-document) YAML stream."""
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            lines: dict[PathKey, int] = {}
            yield Located(_build(node, (), lines, source), source, lines)
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
