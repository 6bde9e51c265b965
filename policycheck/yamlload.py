"""YAML loading that remembers where every value came from.

JSON Schema reports errors by path (``rules/3/verdict``); users need a line number.
We compose the YAML node tree once, build plain Python values from it and keep the
tree, so the line of any path (a schema error's, a container image's) can be found.
"""

from __future__ import annotations

import datetime
import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from policycheck.errors import InputError

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_LIBYAML = hasattr(yaml, "CSafeLoader")
_SafeLoader: type[yaml.SafeLoader] = yaml.CSafeLoader if _LIBYAML else yaml.SafeLoader  # type: ignore[assignment]
#: SafeLoader's implicit types, by the first character of a plain scalar.
_IMPLICIT = {
    first: tuple(resolvers) + tuple(_SafeLoader.yaml_implicit_resolvers.get(None, ()))
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
    if first is not None
}
_NO_IMPLICIT = tuple(_SafeLoader.yaml_implicit_resolvers.get(None, ()))


class _Loader(_SafeLoader):  # type: ignore[misc,valid-type]
    """The safe loader (libyaml's when installed), resolving tags with less overhead.

    libyaml's composer asks this Python method for the tag of every node; PyYAML's
    version rebuilds a list of candidate patterns per scalar and checks for path
    resolvers the safe loader never has. Same answers, a fifth less time to compose.
    It also tells the resolver of every node entered and left, for path resolvers,
    which the safe loader has none of: those two calls do nothing here.
    """

    def descend_resolver(self, current_node: yaml.Node | None, current_index: object) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], _NO_IMPLICIT):
                    if regexp.match(value):
                        return str(tag)
            return _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


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
        if key_node.tag == _STR_TAG and type(key_node) is _SCALAR:  # most keys: as written
            if key_node.value == part:
                return key_node, value_node
        elif key_node.tag != _MERGE_TAG and _key(key_node) == part:
            return key_node, value_node
    return None


_MERGE_TAG = "tag:yaml.org,2002:merge"

#: Nodes that aliases may add to one document, beyond the nodes written in it. YAML
#: lets a few hundred bytes of aliases of aliases stand for billions of nodes; each
#: aliased node is built once and shared, but whoever walks the value meets it once per
#: alias, so the expansion is counted and capped. Real files reuse a few anchors
#: (compose ``x-`` blocks, Helm defaults), far below this.
MAX_ALIAS_NODES = 100_000
#: Environment variable that overrides MAX_ALIAS_NODES (a whole number of nodes).
ALIAS_LIMIT_VARIABLE = "POLICYCHECK_MAX_ALIAS_NODES"
#: Deepest nesting of mappings and sequences accepted. The deepest real manifests
#: (CRD schemas) nest a few dozen levels; the readers after this one recurse through
#: the value, so a bound here keeps them all far from Python's recursion limit.
MAX_DEPTH = 100

_ALIAS_HINT = (
    "anchors and aliases here expand to more than a real file needs; if the file is "
    f"genuine, raise the limit with {ALIAS_LIMIT_VARIABLE}=N"
)
_SCALAR, _MAPPING = yaml.ScalarNode, yaml.MappingNode
_BUSY = object()  # marks a collection being built, to catch an alias inside its own anchor


def alias_node_limit() -> int:
    """The alias expansion cap in force: ALIAS_LIMIT_VARIABLE when set, else the default."""
    text = os.environ.get(ALIAS_LIMIT_VARIABLE)
    if text is None:
        return MAX_ALIAS_NODES
    try:
        limit = int(text.strip().replace("_", ""))
    except ValueError:
        limit = -1
    if limit < 0:
        raise InputError(
            f"{ALIAS_LIMIT_VARIABLE}={text!r} is not a number of nodes",
            hint=f"set it to a whole number, e.g. {ALIAS_LIMIT_VARIABLE}={MAX_ALIAS_NODES}",
        )
    return limit


class _Builder:
    """Builds plain values from one document's node tree in time linear in its text.

    An aliased node is the same node object wherever it is used; it is built once and
    the value shared. ``count`` runs over every node as a reader of the value will meet
    it, so a shared value adds its whole size each time it is used again; that addition
    is what ``limit`` bounds.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.limit: int | None = None  # read when the first alias is met
        self.count = 0
        self.aliased = 0
        self.built: dict[int, Any] = {}  # id(node) -> (value, size) or _BUSY

    def value(self, node: yaml.Node, depth: int, at: yaml.Node) -> Any:
        """The value of ``node``; ``at`` is where it is used (its key, its sequence)."""
        if type(node) is _SCALAR:
            self.count += 1
            return _scalar(node)
        done = self.built.get(id(node))
        if done is not None:
            return self.reuse(node, done, at)
        if depth >= MAX_DEPTH:
            raise InputError(
                f"nests too deeply (more than {MAX_DEPTH} levels)",
                self.source,
                node.start_mark.line + 1,
                "flatten the structure; no manifest or policy needs this depth",
            )
        self.built[id(node)] = _BUSY
        before = self.count
        if type(node) is _MAPPING:
            value: Any = self.mapping(node, depth + 1)
        else:
            value = self.sequence(node, depth + 1)
        self.count += 1
        self.built[id(node)] = (value, self.count - before)
        return value

    def reuse(self, node: yaml.Node, done: Any, at: yaml.Node) -> Any:
        if done is _BUSY:
            raise InputError(
                "an alias refers to the node that contains it: the value contains itself",
                self.source,
                node.start_mark.line + 1,
                "an alias may only repeat a node that is complete where the alias stands",
            )
        value, size = done
        self.count += size
        self.aliased += size
        if self.limit is None:
            self.limit = alias_node_limit()
        if self.aliased > self.limit:
            raise InputError(
                f"alias expansion exceeds {self.limit:,} nodes",
                self.source,
                at.start_mark.line + 1,
                _ALIAS_HINT,
            )
        return value

    def sequence(self, node: yaml.Node, depth: int) -> list[Any]:
        items: list[Any] = []
        scalars = 0
        for child in node.value:
            if type(child) is _SCALAR:  # most nodes: inlined, as is the str case of _scalar
                scalars += 1
                items.append(child.value if child.tag == _STR_TAG else _scalar(child))
            else:
                items.append(self.value(child, depth, node))
        self.count += scalars
        return items

    def mapping(self, node: yaml.MappingNode, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        scalars = 0
        for key_node, value_node in node.value:
            if type(key_node) is not _SCALAR:
                key = self.value(key_node, depth, key_node)
            elif key_node.tag == _STR_TAG:
                scalars += 1
                key = key_node.value
            elif key_node.tag == _MERGE_TAG:
                self.merge(value_node, depth, key_node, merged)
                continue
            else:
                scalars += 1
                key = _scalar(key_node)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise InputError(
                    "mapping keys must be plain scalars",
                    self.source,
                    key_node.start_mark.line + 1,
                )
            if key in out:
                raise InputError(
                    f"duplicate key {key!r}",
                    self.source,
                    key_node.start_mark.line + 1,
                    "remove one of the two entries",
                )
            k = key if isinstance(key, str | int) else str(key)
            if type(value_node) is _SCALAR:
                scalars += 1
                out[k] = value_node.value if value_node.tag == _STR_TAG else _scalar(value_node)
            else:
                out[k] = self.value(value_node, depth, key_node)
        self.count += scalars
        return {**merged, **out} if merged else out

    def merge(
        self, node: yaml.Node, depth: int, key_node: yaml.Node, merged: dict[Any, Any]
    ) -> None:
        """Merge (``<<: *base``) the mappings ``node`` names into ``merged``, first wins."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for src in sources:
            built = self.value(src, depth, key_node)
            if isinstance(built, dict):
                for k, v in built.items():
                    merged.setdefault(k, v)


def _build(node: yaml.Node, source: str) -> Any:
    """The plain value of a document's root node (see ``_Builder``)."""
    return _Builder(source).value(node, 0, node)


class PartialDocument:
    """One YAML document whose parts are built on request, under one alias cap.

    For a reader that needs a few parts of a large document (the packages of an SBOM
    that could be engines): composing the text is unavoidable, building every value is
    not. Aliases are counted across every part built; depth counts from the part.
    """

    def __init__(self, text: str, source: str) -> None:
        docs = yaml.compose_all(text, Loader=_Loader)
        try:
            self.root: yaml.Node | None = next(docs, None)
            if next(docs, None) is not None:
                raise InputError("expected one YAML document, found several", source, None)
        except yaml.YAMLError as exc:
            raise _syntax_error(exc, source, text) from None
        self.source = source
        self.text = text
        self._builder = _Builder(source)

    def build(self, node: yaml.Node) -> Any:
        """The plain value of ``node``, as ``load_text`` would build it."""
        try:
            return self._builder.value(node, 0, node)
        except yaml.YAMLError as exc:  # a tag YAML does not define
            raise _syntax_error(exc, self.source, self.text) from None

    def text_of(self, node: yaml.Node) -> str:
        """The text ``node`` was composed from (aliases in it stand for text elsewhere)."""
        return self.text[node.start_mark.index : node.end_mark.index]

    def entries(self, node: yaml.Node | None) -> list[tuple[Any, yaml.Node]] | None:
        """A mapping's keys (built) and value nodes (not), or None when ``node`` is not a
        mapping or merges others (``<<``), whose entries only building can tell."""
        if not isinstance(node, yaml.MappingNode):
            return None
        out: list[tuple[Any, yaml.Node]] = []
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                return None
            key = self.build(key_node)
            if not isinstance(key, str | int | float | bool) and key is not None:
                return None  # building the mapping reports it
            k = key if isinstance(key, str | int) else str(key)
            if k in seen:
                return None  # building the mapping reports it
            seen.add(k)
            out.append((k, value_node))
        return out


_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SAFE = yaml.constructor.SafeConstructor
#: Tags whose text is the value we keep (see ``_scalar``).
_AS_WRITTEN = frozenset(
    {
        _STR_TAG,
        "tag:yaml.org,2002:timestamp",
        "tag:yaml.org,2002:binary",
        "tag:yaml.org,2002:merge",  # ``<<`` anywhere but a key: PyYAML has no value for it
        "tag:yaml.org,2002:value",  # ``=``: likewise
    }
)
#: The JSON types YAML resolves plain scalars to, and their constructors.
_TYPED: dict[str, Callable[[Any, Any], Any]] = {
    "tag:yaml.org,2002:null": _SAFE.construct_yaml_null,
    "tag:yaml.org,2002:bool": _SAFE.construct_yaml_bool,
    "tag:yaml.org,2002:int": _SAFE.construct_yaml_int,
    "tag:yaml.org,2002:float": _SAFE.construct_yaml_float,
}


def _scalar(node: yaml.Node) -> Any:
    """A scalar as null, bool, int, float or str, built only as far as that needs.

    Strings, most scalars of a manifest, are taken as they are: the resolver already
    decided their tag. Dates stay the ISO text written, so JSON Schema sees what the
    user wrote and a policy can say ``2024-02-30`` is no date (YAML would fail on it);
    ``!!binary`` stays its base64 text, as bytes are no JSON value; ``<<`` and ``=``
    outside a key are text (PyYAML fails on them). A scalar its type
    rejects (an integer longer than Python converts from text, ``!!int twelve``) stays
    the text written, as Kubernetes' own YAML reader keeps what it cannot type. Tags
    YAML does not define are errors.
    """
    tag = node.tag
    if tag in _AS_WRITTEN:
        return node.value
    construct = _TYPED.get(tag)
    if construct is not None:
        try:
            return construct(_CONSTRUCTOR, node)
        except (ValueError, KeyError):  # the type rejects the text: see docstring
            return node.value
    try:
        value = _CONSTRUCTOR.construct_object(node, deep=True)  # raises for unknown tags
    finally:
        _CONSTRUCTOR.constructed_objects.clear()
        _CONSTRUCTOR.recursive_objects.clear()
    return node.value if isinstance(value, bytes | datetime.date) else value


def _syntax_error(exc: yaml.YAMLError, source: str, text: str) -> InputError:
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_error(exc, source, text)
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    return InputError(
        f"YAML syntax error: {problem}",
        source,
        line,
        "check indentation and quoting on that line",
    )


def _reader_error(exc: yaml.reader.ReaderError, source: str, text: str) -> InputError:
    """A character YAML does not allow, by line and column rather than stream position.

    libyaml counts the position in bytes of the UTF-8 text, PyYAML in characters.
    """
    position = exc.position
    if _LIBYAML:
        position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
    return InputError(
        f"unacceptable character {character} at column {column}: {exc.reason}",
        source,
        line,
        "remove it, or write it as an escape (\\x00) inside a double-quoted string",
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
    """Yield every document of a (possibly multi-document) YAML stream.

    The garbage collector is paused while a document is composed and built (not while
    the caller works on it): see ``collector_paused``.
    """
    nodes = yaml.compose_all(text, Loader=_Loader)
    while True:
        collecting = gc.isenabled()  # see collector_paused, inlined: one call per document
        gc.disable()
        try:
            node = next(nodes)
            if node is None:
                continue
            value = _build(node, source)
        except StopIteration:
            return
        except yaml.YAMLError as exc:
            raise _syntax_error(exc, source, text) from None
        except RecursionError:  # pragma: no cover - PyYAML without libyaml composes recursively
            raise InputError(
                "nests too deeply to read", source, hint="flatten the structure"
            ) from None
        finally:
            if collecting:
                gc.enable()
        yield Located(value, source, node)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large input is parsed.

    Parsing allocates a few objects per character of input and frees none, and the
    collector walks every live object each time enough have been allocated: reading a
    10 MB document took four times as long with it running, and 100 MB files far longer.
    Parsed trees hold no reference cycles for it to free, and it runs again afterwards.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def read_text(path: Path, display: str | None = None) -> str:
    """Read a UTF-8 text file, turning every failure into an InputError naming the path."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", name) from None
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise InputError(f"binary file, expected text (NUL byte at column {column})", name, line)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("file is not valid UTF-8", name, line, "save it as UTF-8") from None


def load_file(path: Path, display: str | None = None) -> Located:
    """Load a YAML file into a Located value."""
    name = display or str(path)
    return load_text(read_text(path, name), name)
