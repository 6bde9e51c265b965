"""Rendering the ``image:`` value of a Helm template from the chart's own defaults.

``image: {{ template "redis.image" . }}`` or ``"{{ .Values.image.repository }}:{{
.Values.image.tag | default .Chart.AppVersion }}"`` deploys what the chart's
values.yaml and Chart.yaml say, unless the installer overrides them. This module
evaluates the small part of Go templates (with Sprig functions) that charts use to
build an image reference: ``.Values`` and ``.Chart.AppVersion`` fields, string
literals, ``default``, ``coalesce``, ``printf``, ``quote``/``toString``/``trim``, and
``include``/``template`` of the chart's helpers, including Bitnami's convention of
passing an image entry as ``(dict "imageRoot" .Values.image ...)``. Anything else
(``tpl``, variables, conditionals, ``.Release``) is unknown and makes the part of the
image it produces unknown; nothing is guessed.

The result also says which values entries the repository and the tag came from: a
template that takes both from one entry deploys exactly what that entry declares
(and is reported there once); one that takes the tag from ``.Chart.AppVersion``
deploys the appVersion, whatever the entry's tag says.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from policycheck.sources._helper_files import inside, read_helper
from policycheck.sources.compose import MISSING
from policycheck.sources.helm.chart import (
    Chart,
    Values,
    load_chart,
    load_values,
    values_mention_engine,
    values_stamp,
)
from policycheck.sources.helm.values import ImageSpot, scalar_text, spot_in_values
from policycheck.sources.interface import mentions_engine
from policycheck.yamlload import PathKey

#: Helpers followed into helpers, at most.
MAX_DEPTH = 8
_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.DOTALL)
_COMMENT = re.compile(r"^\s*/\*.*\*/\s*$", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<field>\$?(?:\.[A-Za-z0-9_]+)+|\.)
    | (?P<var>\$[A-Za-z0-9_]*)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>[()|,]|:?=)
    )""",
    re.VERBOSE,
)
_BLOCK_START = ("if", "with", "range", "define", "block")
_IMAGE_FIELDS = ("repository", "tag", "registry", "digest")


class ChartContext:
    """The chart a template belongs to: its values, Chart.yaml and helpers, each read
    when first needed (most templates of a monorepo never need the values)."""

    def __init__(self, root: Path, display_root: str) -> None:
        self.root = root
        self.display_root = display_root
        self._rendered: dict[str, Rendered] = {}

    def render(self, value: str) -> Rendered:
        """``render_image`` of ``value``, once per chart: a chart's templates repeat the
        same image expressions (a Deployment and a StatefulSet, a main and a metrics
        container), and a rendering depends only on the value and the chart."""
        if value not in self._rendered:
            self._rendered[value] = render_image(value, self)
        return self._rendered[value]

    def display(self, name: str) -> str:
        return str(PurePosixPath(self.display_root) / name)

    @cached_property
    def chart(self) -> Chart | None:
        return load_chart(self.root, self.display("Chart.yaml"))

    @cached_property
    def values(self) -> Values | None:
        return load_values(self.root, self.display("values.yaml"))

    def values_problem(self) -> str:
        """Why the chart's values.yaml gives no values."""
        helper = read_helper(self.root / "values.yaml", self.root, self.display("values.yaml"))
        if helper.text is None:
            return f"the chart's values.yaml could not be read ({helper.problem})"
        return "the chart's values.yaml is malformed or empty"

    @cached_property
    def defines(self) -> Mapping[str, str]:
        return _defines(self.root, _mtime(self.root))

    def may_deploy_engine(self, value: str) -> bool:
        """Whether rendering ``value`` can give an engine image: an engine is named in
        the value, the chart's values.yaml or its helpers. Decided on bytes, without
        parsing: most charts of a collection deploy no engine."""
        return self.names_engine or mentions_engine(value.encode("utf-8", "surrogatepass").lower())

    @cached_property
    def names_engine(self) -> bool:
        """Whether the chart's values.yaml or helpers name an engine (asked once per
        chart: its every templated image asks)."""
        if values_mention_engine(self.root / "values.yaml"):
            return True
        return _helpers_mention_engine(self.root, _mtime(self.root))


def chart_context(template: Path, display: str) -> ChartContext | None:
    """The chart whose ``templates/`` folder holds ``template``, or None (one object
    per chart, so that what it reads is read once)."""
    text = os.fspath(template)
    marker = text.rfind(f"{os.sep}templates{os.sep}")
    if marker < 0 and not text.startswith(f"templates{os.sep}"):
        return None
    root = text[:marker] if marker >= 0 else "."
    below = text[marker + len("/templates/") :] if marker >= 0 else text[len("templates/") :]
    depth = below.count(os.sep) + 2  # the file, its folders up to and including templates/
    parts = display.split("/")
    display_root = "/".join(parts[:-depth]) if len(parts) > depth else "."
    folder = Path(root or os.sep)
    stamps = (
        _mtime(folder),
        values_stamp(folder / "values.yaml"),
        values_stamp(folder / "Chart.yaml"),
    )
    return _context(folder, display_root, stamps)


@lru_cache(maxsize=16)
def _context(root: Path, display_root: str, _stamps: object) -> ChartContext:
    return ChartContext(root, display_root)


def _mtime(root: Path) -> int:
    try:
        return (root / "templates").stat().st_mtime_ns
    except OSError:
        return 0


@lru_cache(maxsize=64)
def _defines(root: Path, _stamp: int) -> Mapping[str, str]:
    """``{{ define "name" }}`` bodies of the chart's helper files (``*.tpl``, ``_*``);
    a helper file that could not be read is listed under the key UNREAD, with why."""
    found: dict[str, str] = {}
    unread: list[str] = []
    for path in _helper_files(root, _stamp):
        relative = os.path.relpath(path, root)
        helper = read_helper(path, root, relative)
        if helper.text is not None:
            found.update(iter_defines(helper.text))
        else:
            unread.append(f"{relative}: {helper.problem}")
    if unread:
        found[UNREAD] = "; ".join(unread)
    return found


#: Not a valid define name: where ``_defines`` says which helper files it could not read.
UNREAD = "\x00unread"


@lru_cache(maxsize=64)
def _helpers_mention_engine(root: Path, _stamp: int) -> bool:
    """Whether any helper file of the chart names an engine (on bytes, unparsed)."""
    for path in _helper_files(root, _stamp):
        if inside(path, root):
            try:
                if mentions_engine(path.read_bytes().lower()):
                    return True
            except OSError:
                continue
    return False


@lru_cache(maxsize=64)
def _helper_files(root: Path, _stamp: int) -> tuple[Path, ...]:
    """The chart's helper files: ``templates/**/*.tpl`` and ``templates/**/_*``, in
    sorted order (symlinked folders are not entered)."""
    found: list[str] = []
    for folder, subfolders, files in os.walk(os.path.join(root, "templates")):
        subfolders.sort()
        found.extend(
            os.path.join(folder, name)
            for name in files
            if name.endswith(".tpl") or name.startswith("_")
        )
    return tuple(Path(p) for p in sorted(found))


def iter_defines(text: str) -> Iterator[tuple[str, str]]:
    """(name, body) of every top-level ``define`` block in a template file."""
    depth = 0
    name: str | None = None
    start = 0
    for match in _ACTION.finditer(text):
        # The first two words decide; a comment's first word starts with "/*", never a
        # keyword. Helper files are mostly actions, so each is split no further.
        words = match.group(2).split(None, 2)
        if not words:
            continue
        if words[0] in _BLOCK_START:
            if depth == 0 and words[0] == "define" and len(words) > 1:
                name, start = words[1].strip('"'), match.end()
            depth += 1
        elif words[0] == "end":
            depth -= 1
            if depth == 0 and name is not None:
                yield name, text[start : match.start()]
                name = None
            depth = max(depth, 0)


@dataclass(frozen=True)
class Value:
    """A template value: its text (MISSING where a part is unknown, with the reason)
    and the values image entries it was read from, as (entry path, field) pairs."""

    text: str
    refs: frozenset[tuple[PathKey, str]] = frozenset()
    reason: str | None = None
    node: PathKey | None = None  # a .Values path whose value is a mapping
    entry: PathKey | None = None  # a whole image entry (imageRoot), rendered

    @staticmethod
    def unknown(reason: str, refs: frozenset[tuple[PathKey, str]] = frozenset()) -> Value:
        return Value(MISSING, refs, reason)

    @property
    def known(self) -> bool:
        return MISSING not in self.text


@dataclass
class Rendered:
    """An image value rendered with the chart's defaults.

    ``text`` has MISSING where a part is unknown (``reason`` says why). ``entry`` is the
    values image entry the repository and the tag both came from, when they did;
    ``app_version`` is true when the tag is the chart's appVersion.
    """

    text: str
    reason: str | None
    entry: PathKey | None
    app_version: bool
    spots: dict[PathKey, ImageSpot] = field(default_factory=dict)


def render_image(value: str, context: ChartContext) -> Rendered:
    """Render a templated ``image:`` value (see the module docstring)."""
    evaluator = _Evaluator(context)
    result = evaluator.render(value.strip().strip("\"'"), 0)
    refs = result.refs
    repos = {p for p, f in refs if f in ("repository", "image")}
    tags = {p for p, f in refs if f in ("tag", "image", "digest")}
    entry = next(iter(repos)) if len(repos) == 1 and repos <= tags else None
    if result.entry is not None:
        entry = result.entry
    return Rendered(
        text=result.text,
        reason=result.reason,
        entry=entry,
        app_version=evaluator.used_app_version,
        spots=evaluator.spots,
    )


class _Evaluator:
    def __init__(self, context: ChartContext) -> None:
        self.context = context
        self.used_app_version = False
        self.spots: dict[PathKey, ImageSpot] = {}

    # --- text with actions ------------------------------------------------------

    def render(self, text: str, depth: int) -> Value:
        """Literal text and actions, concatenated; unknown if any part is.

        When the text is a single action that renders a whole values image entry
        (``imageRoot``), the result keeps that entry.
        """
        pieces: list[str] = []
        refs: frozenset[tuple[PathKey, str]] = frozenset()
        reason: str | None = None
        entries: list[PathKey] = []
        actions = 0
        position = 0
        trim_next = False
        for match in _ACTION.finditer(text):
            literal = text[position : match.start()]
            literal = literal.lstrip() if trim_next else literal
            pieces.append(literal.rstrip() if match.group(1) else literal)
            position, trim_next = match.end(), bool(match.group(3))
            if _COMMENT.match(match.group(2)):
                continue
            actions += 1
            value = self.action(match.group(2), depth)
            refs |= value.refs
            if value.entry is not None:
                entries.append(value.entry)
            if not value.known:
                reason = reason or value.reason
            pieces.append(value.text)
        tail = text[position:]
        pieces.append(tail.lstrip() if trim_next else tail)
        rendered = "".join(pieces)
        entry = entries[0] if actions == 1 and len(entries) == 1 else None
        return Value(rendered, refs, reason if MISSING in rendered else None, entry=entry)

    def action(self, body: str, depth: int) -> Value:
        try:
            tokens = _tokens(body)
            if (
                tokens
                and tokens[0][0] == "ident"
                and tokens[0][1] in (*_BLOCK_START, "end", "else")
            ):
                return Value.unknown("the image is built with a conditional or loop")
            if any(kind == "punct" and text in ("=", ":=") for kind, text in tokens):
                return Value.unknown("the image is built with template variables")
            parser = _Parser(tokens)
            pipeline = parser.pipeline()
            if not parser.done():
                raise ValueError(body)
        except ValueError:
            return Value.unknown(f"template action {{{{{body.strip()}}}}} is not understood")
        return self.pipeline(pipeline, depth)

    # --- pipelines and commands -------------------------------------------------

    def pipeline(self, commands: list[list[Any]], depth: int) -> Value:
        result: Value | None = None
        for command in commands:
            result = self.command(command, result, depth)
        return result if result is not None else Value("")

    def command(self, args: list[Any], piped: Value | None, depth: int) -> Value:
        head = args[0]
        if head[0] == "ident" and head[1] not in ("true", "false", "nil"):
            return self.call(head[1], args[1:], piped, depth)
        if len(args) != 1 or piped is not None:
            return Value.unknown("template action is not understood")
        return self.term(head, depth)

    def term(self, term: tuple[str, Any], depth: int) -> Value:
        kind, data = term
        if kind == "str":
            return Value(data)
        if kind == "num":
            return Value(data)
        if kind == "pipe":
            return self.pipeline(data, depth)
        if kind == "field":
            return self.field(data)
        if kind == "ident" and data in ("true", "false"):
            return Value(data)
        if kind == "ident" and data == "nil":
            return Value("")
        return Value.unknown("the image uses template variables")

    def field(self, path: tuple[str, ...]) -> Value:
        if path[:1] == ("Values",):
            return self.values_field(path[1:])
        if path == ("Chart", "AppVersion"):
            self.used_app_version = True
            chart = self.context.chart
            version, reason = chart.app_version_or_reason() if chart else (None, "no Chart.yaml")
            return Value(version) if version is not None else Value.unknown(reason or "")
        if path == ():
            return Value.unknown("the template passes its whole context")
        return Value.unknown(f".{'.'.join(path)} is only known when the chart is installed")

    def values_field(self, path: tuple[str, ...]) -> Value:
        values = self.context.values
        if values is None:
            return Value.unknown(self.context.values_problem())
        found = values.get(path)
        ref = _ref(values, path)
        refs = frozenset({ref}) if ref else frozenset()
        if isinstance(found, Mapping):
            return Value(MISSING, refs, "a values mapping is printed", node=path)
        if isinstance(found, list):
            return Value.unknown("a values list is printed", refs)
        line = values.doc.line_of(path)
        return Value(scalar_text(found, values.lines, line, str(path[-1]) if path else ""), refs)

    # --- functions --------------------------------------------------------------

    def call(self, name: str, args: list[Any], piped: Value | None, depth: int) -> Value:
        if name in ("include", "template"):
            return self.include(args, depth)
        values = [self.term(a, depth) for a in args]
        if piped is not None:
            values.append(piped)
        if name == "default" and len(values) == 2:
            fallback, given = values
            if not given.known:
                return given
            if given.text:
                return given
            return Value(fallback.text, fallback.refs | given.refs, fallback.reason)
        if name == "coalesce":
            refs: frozenset[tuple[PathKey, str]] = frozenset()
            for value in values:
                refs |= value.refs
                if not value.known:
                    return Value.unknown(value.reason or "", refs)
                if value.text:
                    return Value(value.text, refs)
            return Value("", refs)
        if name in ("quote", "squote", "toString", "trim", "toYaml") and len(values) == 1:
            value = values[0]
            return Value(value.text.strip(), value.refs, value.reason)
        if name == "printf" and values and values[0].known:
            return _printf(values[0].text, values[1:])
        return Value.unknown(f"the image is built with {name}, which is not evaluated here")

    def include(self, args: list[Any], depth: int) -> Value:
        if not args or args[0][0] != "str":
            return Value.unknown("a helper is included by a computed name")
        name = args[0][1]
        root = _image_root(args[1:]) if len(args) > 1 else None
        if root is not None:
            return self.image_entry(root)
        if len(args) > 1 and not (args[1][0] == "field" and args[1][1] == ()):
            return Value.unknown(f"helper {name!r} is given something other than the chart")
        body = self.context.defines.get(name)
        if body is None:
            unread = self.context.defines.get(UNREAD)
            return Value.unknown(
                f"helper {name!r} is not defined in the chart's templates"
                + (f" (not read: {unread})" if unread else "")
            )
        if depth >= MAX_DEPTH:
            return Value.unknown(f"helper {name!r} nests too deeply")
        return self.render(body.strip(), depth + 1)

    def image_entry(self, path: tuple[str, ...]) -> Value:
        """``(dict "imageRoot" .Values.<path> ...)``: that values image, whole."""
        values = self.context.values
        if values is None:
            return Value.unknown(self.context.values_problem())
        spot = spot_in_values(values, path)
        if spot is None:
            return Value.unknown(f"values.yaml has no image at {'.'.join(path)}")
        self.spots[path] = spot
        refs = frozenset({(path, "repository"), (path, "tag")})
        if spot.tag_is_empty:
            chart = self.context.chart
            version, reason = chart.app_version_or_reason() if chart else (None, "no Chart.yaml")
            self.used_app_version = True
            if version is None:
                return Value(spot.reference() + ":" + MISSING, refs, reason, entry=path)
            return Value(spot.reference(version), refs, entry=path)
        return Value(spot.reference(), refs, entry=path)


def _ref(values: Values, path: tuple[str, ...]) -> tuple[PathKey, str] | None:
    """(image entry, field) for a values path that is part of an image."""
    if not path:
        return None
    if path[-1] in _IMAGE_FIELDS and len(path) > 1:
        owner = values.get(path[:-1])
        string_image = isinstance(owner, Mapping) and isinstance(owner.get("image"), str)
        if string_image and "repository" not in owner:
            return (*path[:-1], "image"), path[-1]
        return path[:-1], path[-1]
    if path[-1] == "image" and isinstance(values.get(path), str):
        return path, "image"
    return None


def _image_root(args: list[Any]) -> tuple[str, ...] | None:
    """The ``.Values`` path passed as ``"imageRoot"`` in ``(dict ...)``, if it is."""
    if len(args) != 1 or args[0][0] != "pipe":
        return None
    commands = args[0][1]
    if len(commands) != 1 or commands[0][0] != ("ident", "dict"):
        return None
    pairs = commands[0][1:]
    for key, value in zip(pairs[::2], pairs[1::2], strict=False):
        if key == ("str", "imageRoot") and value[0] == "field" and value[1][:1] == ("Values",):
            return tuple(value[1][1:])
    return None


def _printf(form: str, args: list[Value]) -> Value:
    refs: frozenset[tuple[PathKey, str]] = frozenset()
    for arg in args:
        refs |= arg.refs
        if not arg.known:
            return Value.unknown(arg.reason or "", refs)
    pieces = iter(a.text or "" for a in args)
    try:
        text = re.sub(r"%[svd]", lambda _m: next(pieces), form.replace("%%", "\x00"))
    except StopIteration:
        return Value.unknown("printf has fewer arguments than its format", refs)
    return Value(text.replace("\x00", "%"), refs)


# --- parsing actions ------------------------------------------------------------------


def _tokens(body: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    position = 0
    text = body.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(text[position:])
        position = match.end()
        kind = match.lastgroup or ""
        raw = match.group(kind)
        if kind == "str":
            tokens.append(("str", raw[1:-1].encode().decode("unicode_escape")))
        elif kind == "raw":
            tokens.append(("str", raw[1:-1]))
        elif kind == "field":
            parts = tuple(p for p in raw.lstrip("$").split(".") if p)
            tokens.append(("field", parts))
        else:
            tokens.append((kind, raw))
    return tokens


class _Parser:
    """pipeline := command ('|' command)*; command := term+; term := '(' pipeline ')' | token."""

    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.position = 0

    def done(self) -> bool:
        return self.position == len(self.tokens)

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def pipeline(self) -> list[list[Any]]:
        commands = [self.command()]
        while self.peek() == ("punct", "|"):
            self.position += 1
            commands.append(self.command())
        return commands

    def command(self) -> list[Any]:
        terms: list[Any] = []
        while (token := self.peek()) is not None and token not in (("punct", "|"), ("punct", ")")):
            self.position += 1
            if token == ("punct", "("):
                inner = self.pipeline()
                if self.peek() != ("punct", ")"):
                    raise_unbalanced()
                self.position += 1
                terms.append(("pipe", inner))
            elif token[0] == "punct":
                raise_unbalanced()
            else:
                terms.append(token)
        if not terms:
            raise_unbalanced()
        return terms


class _Unbalanced(ValueError):
    pass


def raise_unbalanced() -> None:
    raise _Unbalanced("unbalanced template action")
