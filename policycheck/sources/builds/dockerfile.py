"""Dockerfiles and Containerfiles: the engines the built image runs or ships.

Only what ends up in the final image counts: the final stage and the stages it is
built ``FROM``, and what it copies out of other stages or images. A stage used only
as a ``COPY --from`` source of a client (``redis-cli`` out of ``redis:7``) ships no
server; one that copies ``redis-server`` ships the server of that stage or image. A
builder or test stage is never deployed. In a deployed stage, ``RUN`` (and the
``ENV``/``ARG`` values it uses) may build an engine from its published sources or
install it from distribution packages: ``shellwords`` reads that shell text and
``commands`` says what its commands deploy.

Docker substitutes variables only in FROM, ARG, ENV, ADD, COPY, LABEL, EXPOSE, USER,
WORKDIR, VOLUME, STOPSIGNAL and ONBUILD; RUN, CMD, ENTRYPOINT and HEALTHCHECK text
belongs to the shell, so ``${dpkgArch##*-}`` there is never an error. Substitution
follows BuildKit's lexer (quotes, the escape character, ``${X:-d}``, ``${X#p}``,
``${X/p/r}``); it is evaluated where a value matters here (FROM, ARG, ENV, COPY
--from), and an error names the line of the offending text. The build is assumed
to use each ``ARG``'s default; an ``ARG`` without one has no value (``--build-arg``
decides it), which leaves a version unresolved.

Parser: a hand-written line reader, linear in the file. BuildKit's own parser was
evaluated through the ``dockerfile`` package (a Go extension): it agrees on
instructions, continuations and heredocs, but it rejects lines over 64 KiB, its
continuation handling is quadratic (160,000 continuation lines take 10 s), it gives
no line for text inside an instruction, and stage ancestry, ARG scopes and COPY
sources would still be ours. ``dockerfile-parse`` has no heredocs. So this reader
stays, and the tests hold it to BuildKit's parser as an oracle.
"""

from __future__ import annotations

import bisect
import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from policycheck.errors import InputError
from policycheck.images import component_for_image
from policycheck.model import Component, Location
from policycheck.sources.builds.commands import (
    PACKAGE_REASON,
    Reason,
    Scanner,
    default_reason,
    rules,
    server_binaries,
)
from policycheck.sources.builds.dockerlex import SubstitutionError, substitute
from policycheck.sources.builds.shellwords import Scope, Word
from policycheck.sources.compose import MISSING, Interpolated, component_for_template
from policycheck.sources.interface import Source

__all__ = [
    "PACKAGE_REASON",
    "SOURCE",
    "SubstitutionError",
    "parse_instructions",
    "substitute",
    "unresolved_reason",
]

#: Every Dockerfile instruction: a file whose first instruction is none of these is not one.
KEYWORDS = frozenset(
    {
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY",
        "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL",
        "HEALTHCHECK", "SHELL",
    }
)  # fmt: skip
#: Suffixes that say a ``Dockerfile.*`` is something else: a template that generates
#: Dockerfiles (docker-library's jq templates, Jinja, ERB), code, docs or data.
NOT_DOCKERFILE_SUFFIXES = frozenset(
    {
        "template", "tmpl", "tpl", "j2", "jinja", "jinja2", "erb", "in", "mustache", "hbs",
        "gotmpl", "dockerignore", "py", "pyc", "go", "rs", "js", "ts", "java", "rb", "sh",
        "bash", "ps1", "md", "rst", "txt", "adoc", "html", "json", "yaml", "yml", "toml",
        "xml", "ini", "cfg", "lock", "bak", "orig", "swp", "patch", "diff", "snap",
    }
)  # fmt: skip
_NAMES = ("dockerfile", "containerfile")
_DIRECTIVE = re.compile(r"#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$")
_KEYWORD = re.compile(r"(\S+)[ \t]*")
_HEREDOC = re.compile(r"\d*<<(-?)(['\"]?)([^<'\"\s]+)\2$")
_HEREDOC_START = re.compile(r"(?:^|\s)\d*<<[^<]")
_RUN_FLAGS = re.compile(r"(?:\s*--\S+)*\s*")
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
#: Directories whose copy carries every binary installed in them.
_BINARY_DIRECTORIES = frozenset({"", "/usr", "/usr/local", "/opt"})


@dataclass(frozen=True)
class Instruction:
    """One logical instruction: keyword (upper case), arguments, first line, and where
    each part of the arguments was written (continuation lines, heredoc bodies)."""

    keyword: str
    arguments: str
    line: int
    offsets: tuple[int, ...] = (0,)
    lines: tuple[int, ...] = (1,)

    def line_at(self, offset: int) -> int:
        """The file line holding ``arguments[offset]``."""
        index = bisect.bisect_right(self.offsets, offset) - 1
        return self.lines[max(index, 0)]


def parse_instructions(text: str) -> list[Instruction]:
    """Logical instructions of a Dockerfile: continuations joined, comments dropped.

    Heredoc bodies (``RUN <<EOF ... EOF``, several per instruction, ``<<-`` strips
    tabs) are appended to their instruction, one line each, so that a heredoc line is
    never mistaken for an instruction. Each physical line is read once.
    """
    lines = text.splitlines()
    escape = _escape_character(lines)
    instructions: list[Instruction] = []
    index = 0
    while index < len(lines):
        raw = lines[index].strip()
        if not raw or raw.startswith("#"):
            index += 1
            continue
        parts, offsets, numbers, index = _logical_line(lines, index, escape)
        logical = "".join(parts)
        head = _KEYWORD.match(logical)
        if head is None:  # a lone continuation character
            continue
        start = head.end()
        keyword = head.group(1).upper()
        shifted = tuple(max(0, o - start) for o in offsets)
        arguments = logical[start:]
        if keyword in _HEREDOC_KEYWORDS and "<<" in arguments:
            arguments, shifted, numbers, index = _with_heredocs(
                arguments, shifted, numbers, lines, index, escape
            )
        instructions.append(
            Instruction(keyword, arguments.rstrip(), numbers[0], shifted, tuple(numbers))
        )
    return instructions


def _escape_character(lines: list[str]) -> str:
    """The ``# escape=`` parser directive's character (backslash unless set)."""
    for raw in lines:
        match = _DIRECTIVE.match(raw.strip())
        if match is None:
            break
        if match.group(1).lower() == "escape":
            return match.group(2) if match.group(2) in ("\\", "`") else "\\"
    return "\\"


def _logical_line(
    lines: list[str], index: int, escape: str
) -> tuple[list[str], list[int], list[int], int]:
    """The parts of the instruction starting at ``lines[index]``, the offset and line
    number of each, and the index after it. Comment and blank lines inside a
    continuation are skipped, as BuildKit does."""
    parts: list[str] = []
    offsets: list[int] = []
    numbers: list[int] = []
    size = 0
    current, number = lines[index].lstrip(), index + 1
    index += 1
    while True:
        trimmed = current.rstrip(" \t")
        continued = trimmed.endswith(escape)
        body = trimmed[:-1] if continued else current
        parts.append(body)
        offsets.append(size)
        numbers.append(number)
        size += len(body)
        if not continued:
            break
        while index < len(lines) and _skipped_in_continuation(lines[index]):
            index += 1
        if index >= len(lines):
            break
        current, number = lines[index], index + 1
        index += 1
    return parts, offsets, numbers, index


def _skipped_in_continuation(raw: str) -> bool:
    stripped = raw.strip()
    return not stripped or stripped.startswith("#")


def _with_heredocs(
    arguments: str,
    offsets: tuple[int, ...],
    numbers: list[int],
    lines: list[str],
    index: int,
    escape: str,
) -> tuple[str, tuple[int, ...], list[int], int]:
    """Append the bodies of the heredocs the instruction opens, in order."""
    if arguments.lstrip().startswith("[") or _HEREDOC_START.search(arguments) is None:
        return arguments, offsets, numbers, index
    parts = [arguments]
    size = len(arguments)
    new_offsets, new_numbers = list(offsets), list(numbers)
    for word, _ in split_words(arguments, escape):
        match = _HEREDOC.match(word)
        if match is None:
            continue
        strip_tabs, delimiter = bool(match.group(1)), match.group(3)
        while True:
            if index >= len(lines):
                raise InputError(
                    f"heredoc <<{delimiter} is never closed",
                    line=numbers[0],
                    hint=f"end it with a line that is exactly {delimiter!r}",
                )
            raw = lines[index].lstrip("\t") if strip_tabs else lines[index]
            index += 1
            if raw == delimiter:
                break
            parts.append("\n" + raw)
            new_offsets.append(size + 1)
            new_numbers.append(index)
            size += len(raw) + 1
    return "".join(parts), tuple(new_offsets), new_numbers, index


def split_words(text: str, escape: str = "\\") -> list[tuple[str, int]]:
    """Whitespace-separated words with their offsets; quotes and escapes stay in a word."""
    words: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        while i < n and not text[i].isspace():
            c = text[i]
            if c == escape:
                i += 2
            elif c in "'\"":
                i = _quote_end(text, i, escape)
            else:
                i += 1
        words.append((text[start : min(i, n)], start))
    return words


def _quote_end(text: str, i: int, escape: str) -> int:
    quote, i = text[i], i + 1
    while i < len(text):
        if text[i] == escape and quote == '"':
            i += 2
        elif text[i] == quote:
            return i + 1
        else:
            i += 1
    return len(text)


def unresolved_reason(variable: str) -> str:
    """Why a FROM image that uses ``variable`` has no version."""
    return (
        f"build argument {variable} has no default (give ARG {variable} a default or pin the image)"
    )


# --- stages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """A ``COPY --from`` that carries engine binaries: from a stage index or an image."""

    line: int
    text: str
    stage: int | None
    image: str | None
    binaries: tuple[str, ...]
    explicit: bool


@dataclass
class Stage:
    """A build stage: its base as written and resolved, what it builds and copies."""

    base: str
    resolved: Interpolated
    line: int
    name: str | None
    parent: int | None
    scanner: Scanner
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    unset_args: set[str] = field(default_factory=set)
    copies: list[Copy] = field(default_factory=list)

    @property
    def variables(self) -> dict[str, str]:
        """What Docker substitutes in this stage: ARG values, overridden by ENV."""
        return {**self.args, **self.env}


class DockerfileSource(Source):
    """Dockerfiles and Containerfiles: the engine in the image that is deployed."""

    name = "dockerfile"
    priority = 10

    def claims(self, path: Path, head: bytes) -> bool:
        """By name (see ``may_claim``); a variant name (``Dockerfile.alpine``) must also
        start like a Dockerfile, so that code or a template so named is skipped."""
        name = path.name.lower()
        if not self.may_claim(name):
            return False
        return name in _NAMES or looks_like_dockerfile(head)

    def may_claim(self, name: str) -> bool:
        """``Dockerfile``, ``Dockerfile.*``/``-*``/``_*``, ``*.Dockerfile``, ``Containerfile``,
        except where a suffix says the file is something else (``dockerfile.py``,
        ``Dockerfile.template``, ``*.dockerignore``)."""
        if name in _NAMES:
            return True
        if name.endswith((".dockerfile", ".containerfile")):
            return True
        for prefix in _NAMES:
            if name.startswith(prefix) and name[len(prefix) : len(prefix) + 1] in (".", "-", "_"):
                suffix = name.rsplit(".", 1)[1] if "." in name else ""
                return suffix not in NOT_DOCKERFILE_SUFFIXES
        return False

    def prepare(self) -> None:
        """Load the image tables and compile the catalog's download addresses."""
        super().prepare()
        rules()

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Yield the engines of the deployed stages and of what they copy in."""
        escape = _escape_character(text[:4096].splitlines())
        try:
            instructions = parse_instructions(text)
        except InputError as exc:
            exc.path = display
            raise
        stages = _Builder(display, escape).stages(instructions)
        seen: set[tuple[str, str | None, int | None, str | None]] = set()
        for component in _deployed(stages):
            where = component.location or Location(display)
            key = (component.engine, component.version, where.line, where.text)
            if key not in seen:
                seen.add(key)
                yield component


def looks_like_dockerfile(head: bytes) -> bool:
    """Whether the first instruction in ``head`` is a Dockerfile instruction."""
    for raw in head.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            return line.split(None, 1)[0].upper() in KEYWORDS
    return True


class _Builder:
    """Reads instructions into stages: FROM, ARG and ENV scopes, RUN/ADD builds, COPY."""

    def __init__(self, display: str, escape: str) -> None:
        self.display = display
        self.escape = escape
        self.global_args: dict[str, str] = {}
        self.global_unset: set[str] = set()
        self.stages_: list[Stage] = []

    def stages(self, instructions: list[Instruction]) -> list[Stage]:
        handlers = {"ENV": self._env, "RUN": self._run, "ADD": self._add, "COPY": self._copy}
        for instruction in instructions:
            handler = handlers.get(instruction.keyword)
            if instruction.keyword == "FROM":
                self.stages_.append(self._from(instruction))
            elif instruction.keyword == "ARG":
                self._arg(instruction)
            elif self.stages_ and handler is not None:
                handler(instruction, self.stages_[-1])
        return self.stages_

    # FROM / ARG / ENV

    def _from(self, instruction: Instruction) -> Stage:
        words = [(w, o) for w, o in split_words(instruction.arguments, self.escape)]
        words = [(w, o) for w, o in words if not w.startswith("--")]
        if len(words) == 3 and words[1][0].lower() == "as":
            (image, offset), name = words[0], words[2][0].lower()
        elif len(words) == 1:
            (image, offset), name = words[0], None
        else:
            raise InputError(
                "expected FROM [--platform=...] <image> [AS <name>]",
                self.display,
                instruction.line,
            )
        resolved = self._substitute(image, offset, self.global_args, instruction)
        earlier = {s.name: i for i, s in enumerate(self.stages_) if s.name}
        parent = earlier.get(resolved.text.lower()) if not resolved.missing else None
        env = dict(self.stages_[parent].env) if parent is not None else {}
        scanner = Scanner(self.display, instruction.line_at, default_reason)
        stage = Stage(image, resolved, instruction.line, name, parent, scanner, env)
        scanner.reason = self._reason_for(stage)
        return stage

    def _reason_for(self, stage: Stage) -> Reason:
        def reason(missing: tuple[str, ...]) -> str:
            for name in missing:
                if name in stage.unset_args:
                    return unresolved_reason(name)
            return default_reason(missing)

        return reason

    def _arg(self, instruction: Instruction) -> None:
        """``ARG A=1 B``: a default sets the value; a bare name re-imports a global ARG."""
        stage = self.stages_[-1] if self.stages_ else None
        scope = stage.args if stage else self.global_args
        unset = stage.unset_args if stage else self.global_unset
        written: list[Word] = []
        for word, offset in split_words(instruction.arguments, self.escape):
            name, equals, default = word.partition("=")
            if equals:
                variables = stage.variables if stage else self.global_args
                start = offset + len(name) + 1
                value = self._substitute(default, start, variables, instruction)
                self._set(scope, unset, name, value)
                written.append(Word(start, default, value.text, value.missing))
            elif stage is not None and name in self.global_args:
                scope[name] = self.global_args[name]
                unset.discard(name)
            else:
                scope.pop(name, None)
                unset.add(name)
        if stage is not None:
            self._values_downloads(instruction, stage, written)

    def _env(self, instruction: Instruction, stage: Stage) -> None:
        """``ENV K=V ...`` or the legacy ``ENV K V``."""
        words = split_words(instruction.arguments, self.escape)
        if not words:
            raise InputError("ENV needs name=value", self.display, instruction.line)
        pairs: list[tuple[str, str, int]] = []
        if "=" not in words[0][0]:
            if len(words) < 2:
                raise InputError(
                    f"ENV {words[0][0]} has no value",
                    self.display,
                    instruction.line,
                    f"write ENV {words[0][0]}=<value>",
                )
            offset = words[1][1]
            pairs.append((words[0][0], instruction.arguments[offset:], offset))
        else:
            for word, offset in words:
                name, equals, raw = word.partition("=")
                if not equals:
                    raise InputError(
                        f"ENV {name}: expected name=value",
                        self.display,
                        instruction.line_at(offset),
                    )
                pairs.append((name, raw, offset + len(name) + 1))
        written: list[Word] = []
        for name, raw, start in pairs:
            value = self._substitute(raw, start, stage.variables, instruction)
            self._set(stage.env, set(), name, value)
            written.append(Word(start, raw, value.text, value.missing))
        self._values_downloads(instruction, stage, written)

    @staticmethod
    def _set(scope: dict[str, str], unset: set[str], name: str, value: Interpolated) -> None:
        if value.missing:
            scope.pop(name, None)
            unset.add(name)
        else:
            scope[name] = value.text
            unset.discard(name)

    def _values_downloads(self, instruction: Instruction, stage: Stage, values: list[Word]) -> None:
        """An engine release address held in ENV or ARG (docker-library's
        ``REDIS_DOWNLOAD_URL``) is the download, reported where it is written."""
        stage.scanner.line_at = instruction.line_at
        stage.scanner.scan_words(values, _scope(stage), clone_ok=False)

    def _substitute(
        self, text: str, offset: int, variables: Mapping[str, str], instruction: Instruction
    ) -> Interpolated:
        try:
            return substitute(text, variables, self.escape)
        except SubstitutionError as exc:
            raise InputError(
                f"invalid variable reference in {instruction.keyword}: {exc}",
                self.display,
                instruction.line_at(offset + exc.offset),
                "fix the ${...} expression (Docker substitutes variables in this instruction)",
            ) from None

    # RUN / ADD / COPY

    def _run(self, instruction: Instruction, stage: Stage) -> None:
        text, base = _run_script(instruction.arguments)
        stage.scanner.line_at = instruction.line_at
        stage.scanner.scan(text, _scope(stage), base)

    def _add(self, instruction: Instruction, stage: Stage) -> None:
        """``ADD <url> ...`` and ``ADD <repo>.git#<ref>`` download what they name."""
        stage.scanner.line_at = instruction.line_at
        words = []
        for word, offset in split_words(instruction.arguments, self.escape):
            if word.startswith("--") or word.startswith("<<"):
                continue
            value = self._lenient(word, stage)
            words.append(Word(offset, word, value.text, value.missing))
        stage.scanner.scan_words(words, _scope(stage), clone_ok=True)

    def _copy(self, instruction: Instruction, stage: Stage) -> None:
        """Record a ``COPY --from`` that carries server binaries (or a bin directory)."""
        line = instruction.arguments.split("\n", 1)[0]
        words = split_words(line, self.escape)
        source = next((w[7:] for w, _ in words if w.lower().startswith("--from=")), None)
        if source is None:
            return
        paths = _copy_paths(line[_RUN_FLAGS.match(line).end() :], [w for w, _ in words])  # type: ignore[union-attr]
        if not paths or any(p.startswith("<<") for p in paths):
            return
        ref = self._lenient(source, stage).text
        binaries: list[str] = []
        whole = False
        explicit = True
        for path in paths:
            expanded = self._lenient(path, stage).text
            base = expanded.rstrip("/").rsplit("/", 1)[-1].lower()
            if expanded.rstrip("/") in _BINARY_DIRECTORIES or base in ("bin", "sbin"):
                whole = True
            binaries += [b for b in server_binaries() if fnmatch.fnmatchcase(b, base)]
            explicit = explicit and not any(c in base for c in "*?[")
        if not binaries and not whole:
            return
        names = {s.name: i for i, s in enumerate(self.stages_[:-1]) if s.name}
        index = names.get(ref.lower())
        if index is None and ref.isdigit() and int(ref) < len(self.stages_) - 1:
            index = int(ref)
        text = instruction.arguments.split("\n", 1)[0].strip()
        stage.copies.append(
            Copy(
                instruction.line,
                f"COPY {text}" if instruction.keyword == "COPY" else f"ADD {text}",
                index,
                None if index is not None else ref,
                tuple(dict.fromkeys(binaries)),
                explicit and not whole,
            )
        )

    def _lenient(self, word: str, stage: Stage) -> Interpolated:
        try:
            return substitute(word, stage.variables, self.escape)
        except SubstitutionError:
            return Interpolated(word)


def _copy_paths(rest: str, words: list[str]) -> list[str]:
    """The source paths of a COPY (its last path is the destination); JSON form too."""
    if rest.startswith("["):
        try:
            listed = json.loads(rest)
        except ValueError:
            listed = None
        if isinstance(listed, list) and all(isinstance(w, str) for w in listed):
            return listed[:-1]
    return [w for w in words if not w.startswith("--")][:-1]


def _scope(stage: Stage) -> Scope:
    """The shell's view of a stage's variables (each RUN starts from it afresh)."""
    return Scope(dict(stage.variables))


def _run_script(arguments: str) -> tuple[str, int]:
    """The shell text of a RUN (flags dropped; exec form turned into one command)."""
    match = _RUN_FLAGS.match(arguments)
    offset = match.end() if match else 0
    rest = arguments[offset:]
    if rest.startswith("["):
        try:
            exec_form = json.loads(rest.split("\n", 1)[0])
        except ValueError:
            exec_form = None
        if isinstance(exec_form, list) and all(isinstance(w, str) for w in exec_form):
            return " ".join(_quoted(w) for w in exec_form), offset
    return rest, offset


def _quoted(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


# --- what is deployed ---------------------------------------------------------------


def _deployed(stages: list[Stage]) -> Iterator[Component]:
    """The final stage's chain, then what its stages copy in from other stages or images."""
    chain = _chain(stages, len(stages) - 1)
    for index in chain:
        yield from _stage_components(stages, index)
    for index in chain:
        for copy in stages[index].copies:
            yield from _copied(stages, copy)


def _chain(stages: list[Stage], last: int) -> list[int]:
    """Indexes of stage ``last`` and its ancestors through ``FROM <stage>``, root first."""
    chain: list[int] = []
    index: int | None = last if 0 <= last < len(stages) else None
    while index is not None and index not in chain:
        chain.append(index)
        index = stages[index].parent
    return chain[::-1]


def _stage_components(stages: list[Stage], index: int) -> Iterator[Component]:
    stage = stages[index]
    if stage.parent is None:
        location = Location(stage.scanner.display, stage.line, stage.base)
        missing = stage.resolved.missing
        reason = unresolved_reason(missing[0]) if missing else None
        component = component_for_template(stage.resolved.text, location, reason)
        if component is not None:
            yield component
    yield from stage.scanner.found


def _copied(stages: list[Stage], copy: Copy) -> Iterator[Component]:
    """The server a ``COPY --from`` carries into the image, with a note saying so."""
    what = ", ".join(copy.binaries) if copy.binaries else "a directory of binaries"
    note = f"{what} copied into the deployed image at line {copy.line}"
    display = stages[0].scanner.display
    engines = {server_binaries()[b] for b in copy.binaries}
    named = engines if copy.explicit else set()
    if copy.stage is not None:
        found: list[Component] = []
        for index in _chain(stages, copy.stage):
            found += _stage_components(stages, index)
        matching = [c for c in found if c.engine in engines] or found
        for item in matching:
            yield replace(item, notes=(*item.notes, note))
        if not found:
            source = stages[copy.stage].name or str(copy.stage)
            why = f"copied from stage {source}, whose build this file does not show"
            yield from _unknown_copies(named, copy, display, why, note)
        return
    image = copy.image or ""
    location = Location(display, copy.line, image)
    component: Component | None = (
        component_for_template(image, location, "the image of COPY --from has no known tag")
        if MISSING in image
        else component_for_image(image, location)
    )
    if component is not None:
        yield replace(component, notes=(*component.notes, note))
    else:
        why = f"copied from image {image!r}, which is not a catalogued image of this engine"
        yield from _unknown_copies(named, copy, display, why, note)


def _unknown_copies(
    engines: set[str], copy: Copy, display: str, why: str, note: str
) -> Iterator[Component]:
    """A server binary of unknown origin: the engine is known by its name, not its version."""
    for engine in sorted(engines):
        location = Location(display, copy.line, copy.text)
        yield Component(engine, None, location, unresolved=why, origin="source", notes=(note,))


SOURCE = DockerfileSource()
