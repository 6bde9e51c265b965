"""Engines that shell commands build from source or install from distribution packages.

Dockerfile ``RUN`` instructions and the shell scripts a repository runs (``install-redis``,
``*.sh``) deploy engines without naming an image: they download a release archive or
clone the repository and build it, or install a distribution package. What counts is
data, not code: each engine's catalog entry lists where its project publishes releases
(``source_builds``) and which distribution packages install its server (``packages``).

The shell is read, not run. Words are split and expanded the way a POSIX shell would
(quotes, ``$VAR``, ``${VAR:-default}``, ``${VAR%pattern}``, assignments earlier in the
text), leniently: anything that cannot be known here (an unset variable, ``$(...)``,
a construct this reader does not evaluate) becomes a marker that makes the version
unresolved, never an error. Valid shell is never an input error; nor is invalid shell,
which only the shell may judge. The scan is linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache

from policycheck.catalog import Download, catalog
from policycheck.model import Component, Location
from policycheck.sources.compose import MISSING

#: A variable's value: text (possibly holding MISSING) or None when it cannot be known.
Variables = dict[str, str | None]

PACKAGE_REASON = (
    "installed from the distribution's package repository; the package version decides the license"
)
#: Stands for what ``$(...)`` and backticks print: known only when the build runs.
COMMAND_OUTPUT = "$(...)"

_OPERATORS = frozenset(";&|()\n")
_PLAIN = re.compile(r"""[^\s;&|()<>'"\\$`]+""")
_PLAIN_IN_WORD = re.compile(r"""[^'"\\$`]+""")
_PLAIN_IN_DOUBLE = re.compile(r'[^"\\$`]+')
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL = re.compile(r"[0-9]+|[@*#?$!-]")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\+?=")
_RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"})
_DECLARE = frozenset({"export", "readonly", "local", "declare", "typeset"})
_PREFIXES = frozenset({"sudo", "env", "exec", "nohup", "command"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
#: Installer -> (the verb that installs, the package family its names belong to).
_INSTALLERS = {
    "apt-get": ("install", "apt"),
    "apt": ("install", "apt"),
    "aptitude": ("install", "apt"),
    "apk": ("add", "apk"),
    "yum": ("install", "rpm"),
    "dnf": ("install", "rpm"),
    "microdnf": ("install", "rpm"),
}
_RELEASE = re.compile(r"v?(\d+(?:\.\d+){0,2}(?:-?(?:rc|alpha|beta|m)\d*)?)", re.IGNORECASE)
_UPSTREAM = re.compile(r"\d+(?:\.\d+)*(?:-?(?:rc|alpha|beta)\d*)?", re.IGNORECASE)
#: Longest value a ``${VAR%pattern}``-style operator is evaluated on (else unknown).
_PATTERN_VALUE_LIMIT = 512
_MAX_DEPTH = 3


@dataclass(frozen=True)
class _Rules:
    """The catalog's build and package facts, indexed for the scan."""

    archives: re.Pattern[str] | None
    clones: re.Pattern[str] | None
    groups: dict[str, tuple[str, Download]]
    variables: dict[str, str]
    packages: dict[str, dict[str, str]]
    binaries: dict[str, str]


@cache
def rules() -> _Rules:
    """Every engine's download templates as two alternations (archives, clones), one
    match per word whatever the number of engines."""
    archives: list[str] = []
    clones: list[str] = []
    groups: dict[str, tuple[str, Download]] = {}
    variables: dict[str, str] = {}
    packages: dict[str, dict[str, str]] = {}
    binaries: dict[str, str] = {}
    for engine in catalog().engines.values():
        builds = engine.source_builds
        if builds is not None:
            for download in builds.downloads:
                key = f"d{len(groups)}"
                groups[key] = (engine.id, download)
                body = download.pattern.pattern.replace("(?P<version>", f"(?P<v{key}>")
                (clones if download.clone else archives).append(f"(?P<{key}>{body})")
            for name in builds.variables:
                variables[name.lower()] = engine.id
            for binary in builds.binaries:
                binaries[binary.lower()] = engine.id
        if engine.packages is not None:
            for family, names in engine.packages.names.items():
                for name in names:
                    packages.setdefault(family, {})[name] = engine.id

    def alternation(parts: list[str]) -> re.Pattern[str] | None:
        return re.compile("|".join(parts), re.IGNORECASE) if parts else None

    return _Rules(alternation(archives), alternation(clones), groups, variables, packages, binaries)


def server_binaries() -> dict[str, str]:
    """Lower-cased server executable name -> engine (``redis-server`` -> redis)."""
    return rules().binaries


# --- reading the shell --------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """A shell word: where it starts, as written, and expanded (MISSING where unknown)."""

    start: int
    raw: str
    text: str
    missing: tuple[str, ...]


def split_commands(text: str) -> Iterator[list[tuple[int, int]]]:
    """Simple commands of ``text`` as lists of word spans, comments and operators dropped.

    Quotes, ``$(...)``, ``${...}`` and backticks keep their content in one word; a
    backslash-newline continues the word. Unterminated quotes run to the end.
    """
    words: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _OPERATORS:
            if words:
                yield words
                words = []
            i += 1
        elif c in "<>":
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == "\\" and text.startswith("\n", i + 1):
            i += 2
        elif c.isspace():
            i += 1
        else:
            end = max(_word_end(text, i), i + 1)
            words.append((i, end))
            i = end
    if words:
        yield words


def _word_end(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        m = _PLAIN.match(text, i)
        if m is not None:
            i = m.end()
            continue
        c = text[i]
        if c == "'":
            i = _after(text, "'", i + 1)
        elif c == '"':
            i = _double_end(text, i + 1)
        elif c == "\\":
            i += 2
        elif c == "`":
            i = _backtick_end(text, i + 1)
        elif c == "$":
            i = _dollar_end(text, i)
        else:  # whitespace or an operator ends the word
            break
    return min(i, n)


def _after(text: str, char: str, i: int) -> int:
    end = text.find(char, i)
    return len(text) if end < 0 else end + 1


def _double_end(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        m = _PLAIN_IN_DOUBLE.match(text, i)
        if m is not None:
            i = m.end()
            continue
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\\":
            i += 2
        elif c == "`":
            i = _backtick_end(text, i + 1)
        else:
            i = _dollar_end(text, i)
    return n


def _backtick_end(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "`":
            return i + 1
        else:
            i += 1
    return n


def _dollar_end(text: str, i: int) -> int:
    """End of the expansion whose ``$`` is at ``i`` (``$(..)``, ``${..}``) or i + 1."""
    if text.startswith("(", i + 1):
        return _closing(text, i + 2, "(", ")")
    if text.startswith("{", i + 1):
        return _closing(text, i + 2, "{", "}")
    return i + 1


def _closing(text: str, i: int, opening: str, closing: str) -> int:
    """Index after the ``closing`` that balances an already open ``opening``."""
    depth, n = 1, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and opening == "(":
            i = _after(text, "'", i + 1)
            continue
        if c == '"':
            i = _double_end(text, i + 1)
            continue
        if c == "`":
            i = _backtick_end(text, i + 1)
            continue
        if c == opening:
            depth += 1
        elif c == closing:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


# --- expansion ----------------------------------------------------------------------


@dataclass
class Scope:
    """Variables as the shell would see them at a point of the text, with, for a value
    that holds MISSING, the names that made it unknown."""

    values: Variables = field(default_factory=dict)
    unknown: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def copy(self) -> Scope:
        """An independent copy (a RUN or a script must not change its caller's scope)."""
        return Scope(dict(self.values), dict(self.unknown))

    def assign(self, name: str, text: str, missing: tuple[str, ...]) -> None:
        """Set ``name``; a value holding MISSING remembers why it is unknown."""
        self.values[name] = text
        if missing:
            self.unknown[name] = missing
        else:
            self.unknown.pop(name, None)


def expand(raw: str, scope: Scope) -> tuple[str, tuple[str, ...]]:
    """A word with quotes removed and expansions done: (text, names whose value is unknown)."""
    missing: list[str] = []
    text = _Expander(scope, missing, 0).word(raw)
    return text, tuple(dict.fromkeys(missing))


class _Expander:
    def __init__(self, scope: Scope, missing: list[str], depth: int) -> None:
        self.scope = scope
        self.missing = missing
        self.depth = depth

    def word(self, raw: str) -> str:
        out: list[str] = []
        i, n = 0, len(raw)
        while i < n:
            m = _PLAIN_IN_WORD.match(raw, i)
            if m is not None:
                out.append(m.group(0))
                i = m.end()
                continue
            c = raw[i]
            if c == "'":
                end = _after(raw, "'", i + 1)
                out.append(raw[i + 1 : end - 1] if raw[end - 1 : end] == "'" else raw[i + 1 :])
                i = end
            elif c == '"':
                i = self._double(raw, i + 1, out)
            elif c == "\\":
                out.append(raw[i + 1 : i + 2].replace("\n", ""))
                i += 2
            elif c == "`":
                i = _backtick_end(raw, i + 1)
                out.append(self._unknown(COMMAND_OUTPUT))
            else:
                i = self._dollar(raw, i, out)
        return "".join(out)

    def _double(self, raw: str, i: int, out: list[str]) -> int:
        n = len(raw)
        while i < n:
            m = _PLAIN_IN_DOUBLE.match(raw, i)
            if m is not None:
                out.append(m.group(0))
                i = m.end()
                continue
            c = raw[i]
            if c == '"':
                return i + 1
            if c == "\\":
                nxt = raw[i + 1 : i + 2]
                out.append(nxt if nxt in '$`"\\' else ("" if nxt == "\n" else c + nxt))
                i += 2
            elif c == "`":
                i = _backtick_end(raw, i + 1)
                out.append(self._unknown(COMMAND_OUTPUT))
            else:
                i = self._dollar(raw, i, out)
        return n

    def _dollar(self, raw: str, i: int, out: list[str]) -> int:
        nxt = raw[i + 1 : i + 2]
        if nxt == "(":
            out.append(self._unknown(COMMAND_OUTPUT))
            return _closing(raw, i + 2, "(", ")")
        if nxt == "{":
            end = _closing(raw, i + 2, "{", "}")
            out.append(self._braced(raw[i + 2 : end - 1]))
            return end
        if nxt == "'":  # $'...' (ANSI-C quoting): close enough to a single-quoted string
            end = _after(raw, "'", i + 2)
            out.append(raw[i + 2 : end - 1])
            return end
        name = _NAME.match(raw, i + 1)
        if name is not None:
            out.append(self._value(name.group(0)))
            return name.end()
        special = _SPECIAL.match(raw, i + 1)
        if special is not None:
            out.append(self._unknown("$" + special.group(0)))
            return special.end()
        out.append("$")
        return i + 1

    def _braced(self, inner: str) -> str:
        if inner.startswith("#") and len(inner) > 1:  # ${#VAR}: a length
            return self._unknown("${" + inner + "}")
        name = _NAME.match(inner)
        if name is None:
            return self._unknown("${" + inner + "}")
        key, rest = name.group(0), inner[name.end() :]
        if not rest:
            return self._value(key)
        for operator in (":-", ":=", "-", "="):
            if rest.startswith(operator):
                value = self._default(key, rest[len(operator) :], operator.startswith(":"))
                if operator.endswith("=") and self.scope.values.get(key) != value:
                    self.scope.assign(key, value, tuple(self.missing) if MISSING in value else ())
                return value
        for operator in (":+", "+"):
            if rest.startswith(operator):
                return self._alternative(key, rest[len(operator) :], operator.startswith(":"))
        if rest.startswith((":?", "?")):
            return self._value(key)
        for operator in ("##", "#", "%%", "%"):
            if rest.startswith(operator):
                return self._trim(key, operator, rest[len(operator) :])
        if rest.startswith("/"):
            return self._replace(key, rest[1:])
        return self._unknown("${" + inner + "}")

    def _default(self, key: str, word: str, empty_too: bool) -> str:
        value = self.scope.values.get(key)
        is_set = key in self.scope.values
        if is_set and value is None:
            return self._value(key)
        if is_set and (value or not empty_too):
            return self._value(key)
        return self._nested(word)

    def _alternative(self, key: str, word: str, empty_too: bool) -> str:
        if key not in self.scope.values:
            return ""
        value = self.scope.values[key]
        if value is None:
            return self._unknown(key)
        return self._nested(word) if (value or not empty_too) else ""

    def _trim(self, key: str, operator: str, pattern_word: str) -> str:
        value, pattern = self._known(key), self._nested(pattern_word)
        if value == "":
            return ""
        if value is None or MISSING in pattern or len(value) > _PATTERN_VALUE_LIMIT:
            return self._unknown(key)
        longest = len(operator) == 2
        regex = re.compile(_glob(pattern, greedy=longest), re.DOTALL)
        cuts = range(len(value) + 1)
        if operator.startswith("#"):
            order = reversed(cuts) if longest else iter(cuts)
            cut = next((k for k in order if regex.fullmatch(value, 0, k)), 0)
            return value[cut:]
        order = iter(cuts) if longest else reversed(cuts)
        cut = next((k for k in order if regex.fullmatch(value, k)), len(value))
        return value[:cut]

    def _replace(self, key: str, rest: str) -> str:
        every = rest.startswith("/")
        body = rest[1:] if every else rest
        pattern_word, _, replacement_word = body.partition("/")
        value, pattern = self._known(key), self._nested(pattern_word)
        replacement = self._nested(replacement_word)
        if value is None or MISSING in pattern or len(value) > _PATTERN_VALUE_LIMIT:
            return self._unknown(key)
        if not pattern:
            return value
        regex = re.compile(_glob(pattern, greedy=True), re.DOTALL)
        return regex.sub(lambda _: replacement, value, count=0 if every else 1)

    def _known(self, key: str) -> str | None:
        value = self.scope.values.get(key)
        return None if value is None or MISSING in value else value

    def _nested(self, word: str) -> str:
        if self.depth >= _MAX_DEPTH:
            return self._unknown(word)
        return _Expander(self.scope, self.missing, self.depth + 1).word(word)

    def _value(self, key: str) -> str:
        value = self.scope.values.get(key)
        if value is None:
            self.missing.append(key)
            return MISSING
        if MISSING in value:
            self.missing.extend(self.scope.unknown.get(key, (key,)))
        return value

    def _unknown(self, what: str) -> str:
        self.missing.append(what)
        return MISSING


def _glob(pattern: str, greedy: bool) -> str:
    """A shell pattern (``*``, ``?``, ``[...]``) as a regular expression."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append(".*" if greedy else ".*?")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(re.escape(c))
            else:
                inner = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
                i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


# --- what the commands deploy -------------------------------------------------------

#: Says why a version is unknown, given the names (or ``$(...)``) that had no value.
Reason = Callable[[tuple[str, ...]], str]


def default_reason(missing: tuple[str, ...]) -> str:
    """Why a version that depends on ``missing`` is unknown, in a script."""
    if COMMAND_OUTPUT in missing:
        return "the version is computed when the commands run ($(...)); pin it in the file"
    names = ", ".join(missing)
    return f"the version comes from {names}, which has no value in this file (set it or pin the version)"


class Scanner:
    """Finds source builds and package installs in shell text of one file.

    ``line_at`` maps an offset of the scanned text to its line in the file; ``reason``
    explains an unknown version. Findings are deduplicated per scanner: a download
    named in a variable and fetched through it is one build, reported where first seen.
    """

    def __init__(self, display: str, line_at: Callable[[int], int], reason: Reason) -> None:
        self.display = display
        self.line_at = line_at
        self.reason = reason
        self.found: list[Component] = []
        self._seen: set[tuple[str, str | None, str | None, str]] = set()

    def scan(self, text: str, scope: Scope, base: int = 0, depth: int = 0) -> None:
        """Scan ``text`` (starting at offset ``base`` of the file's text), updating ``scope``
        with the assignments it makes."""
        for spans in split_commands(text):
            words = [self._word(text, start, end, base, scope) for start, end in spans]
            self._command(words, scope, depth)

    def scan_words(self, words: list[Word], scope: Scope, clone_ok: bool) -> None:
        """Look for downloads in words expanded elsewhere (Dockerfile ENV, ARG, ADD)."""
        for word in words:
            self._downloads(word, scope, clone_ok=clone_ok, branch=None)

    def _word(self, text: str, start: int, end: int, base: int, scope: Scope) -> Word:
        raw = text[start:end]
        expanded, missing = expand(raw, scope)
        return Word(base + start, raw, expanded, missing)

    def _command(self, words: list[Word], scope: Scope, depth: int) -> None:
        index = 0
        while index < len(words) and words[index].raw in _RESERVED:
            index += 1
        index = self._assignments(words, index, scope)
        while index < len(words) and (
            words[index].text in _PREFIXES
            or words[index].text.startswith("-")
            and index > 0
            and words[index - 1].text in _PREFIXES
        ):
            index = self._assignments(words, index + 1, scope)
        command = words[index:]
        for word in words[:index]:  # URLs assigned to variables count where written
            self._downloads(word, scope, clone_ok=False, branch=None)
        if not command:
            return
        program = command[0].text.rsplit("/", 1)[-1]
        if program in _DECLARE:
            self._assignments(command, 1, scope, declare=True)
        if program in _SHELLS and depth < _MAX_DEPTH:
            script = _script_argument(command)
            if script is not None:
                self.scan(script.raw.strip("'\""), scope, script.start + 1, depth + 1)
        cloning = program == "git" and any(w.text == "clone" for w in command[1:])
        branch = _branch(command) if cloning else None
        for word in command:
            self._downloads(word, scope, clone_ok=cloning, branch=branch)
        installer = _INSTALLERS.get(program)
        if installer is not None:
            self._packages(command, *installer)

    def _assignments(
        self, words: list[Word], index: int, scope: Scope, declare: bool = False
    ) -> int:
        while index < len(words):
            word = words[index]
            m = _ASSIGNMENT.match(word.raw)
            if m is None:
                if declare and (word.raw.startswith("-") or _NAME.fullmatch(word.raw)):
                    index += 1
                    continue
                break
            value, missing = expand(word.raw[m.end() :], scope)
            scope.assign(m.group(1), value, missing)
            index += 1
        return index

    def _downloads(self, word: Word, scope: Scope, clone_ok: bool, branch: Word | None) -> None:
        text = word.text
        if "/" not in text or "." not in text:
            return
        r = rules()
        if r.archives is not None:
            for m in r.archives.finditer(text):
                key = m.lastgroup or ""
                engine, _ = r.groups[key]
                url = _with_scheme(text, m.start(), m.group(key))
                self._build(engine, word, m.group("v" + key), url, word.missing)
        if clone_ok and r.clones is not None:
            for m in r.clones.finditer(text):
                key = m.lastgroup or ""
                engine, _ = r.groups[key]
                url = _with_scheme(text, m.start(), m.group(key))
                ref = _ref_after(text, m.end())
                if ref is not None:
                    self._build(engine, word, ref, f"{url}#{ref}", word.missing)
                elif branch is not None:
                    self._build(engine, word, branch.text, url, branch.missing)
                else:
                    self._from_variables(engine, word, scope, url)

    def _from_variables(self, engine: str, word: Word, scope: Scope, url: str) -> None:
        for name, value in scope.values.items():
            if rules().variables.get(name.lower()) == engine:
                missing = scope.unknown.get(name, ()) if value is not None else (name,)
                self._build(engine, word, value or MISSING, url, missing, via=name)
                return
        why = (
            "cloned without naming a release (git clone --branch); the default branch "
            "at build time decides what is built"
        )
        self._add(engine, None, False, why, word, "source", (f"built from source: {url}",))

    def _build(
        self,
        engine: str,
        word: Word,
        version_text: str,
        url: str,
        missing: tuple[str, ...],
        via: str | None = None,
    ) -> None:
        version, floating, why = release(version_text)
        if MISSING in version_text:
            version, floating, why = None, False, self.reason(missing or ("?",))
        shown = word.raw if MISSING in url else url
        notes = [f"built from source: {shown}"]
        if via is not None and version is not None:
            notes.append(f"release from {via}={version_text}")
        self._add(engine, version, floating, why, word, "source", tuple(notes))

    def _packages(self, command: list[Word], verb: str, family: str) -> None:
        texts = [w.text for w in command]
        if verb not in texts[1:]:
            return
        table = rules().packages.get(family, {})
        for word in command[texts.index(verb, 1) + 1 :]:
            if word.text.startswith("-"):
                continue
            parsed = _package(word.text, family, table)
            if parsed is None:
                continue
            engine, version, floating, why = parsed
            notes = (f"installed from the distribution package {word.text}",)
            shown = Word(word.start, f"{command[0].text} {verb} {word.text}", word.text, ())
            self._add(engine, version, floating, why, shown, "package", notes)

    def _add(
        self,
        engine: str,
        version: str | None,
        floating: bool,
        why: str | None,
        word: Word,
        origin: str,
        notes: tuple[str, ...],
    ) -> None:
        key = (engine, version, why, origin)
        if key in self._seen:
            return
        self._seen.add(key)
        location = Location(self.display, self.line_at(word.start), word.raw)
        component = Component(
            engine, version, location, unresolved=why, floating=floating, origin=origin
        )
        self.found.append(_with_notes(component, notes))


def _with_notes(component: Component, notes: tuple[str, ...]) -> Component:
    return replace(component, notes=component.notes + notes)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://$")


def _with_scheme(text: str, start: int, address: str) -> str:
    """The address with the scheme written before it (``https://``), if any."""
    scheme = _SCHEME.search(text, max(0, start - 16), start)
    return (scheme.group(0) if scheme else "") + address


def _script_argument(command: list[Word]) -> Word | None:
    """The script of ``sh -c SCRIPT`` (flags such as ``-ec`` allowed), else None."""
    for index, word in enumerate(command[1:-1], start=1):
        if not word.text.startswith("-"):
            return None
        if "c" in word.text[1:]:
            return command[index + 1]
    return None


def _branch(command: list[Word]) -> Word | None:
    """The ``--branch``/``-b`` of a ``git clone``."""
    for index, word in enumerate(command):
        if word.text in ("-b", "--branch") and index + 1 < len(command):
            return command[index + 1]
        if word.text.startswith("--branch="):
            text = word.text.partition("=")[2]
            return Word(word.start, word.raw, text, word.missing)
    return None


def _ref_after(text: str, end: int) -> str | None:
    """The ``#ref`` after a repository address (BuildKit's ``ADD <repo>.git#<ref>``)."""
    if not text.startswith("#", end):
        return None
    ref = re.match(r"[^\s:#]+", text[end + 1 :])
    return ref.group(0) if ref else None


def release(text: str) -> tuple[str | None, bool, str | None]:
    """(version, floating, unresolved reason) for the release a download names.

    ``7.4.2`` is pinned, ``7.2`` (a release line, e.g. a branch tarball) floating;
    ``stable``/``latest`` float to the newest release; other names (``unstable``, a
    commit) are no release at all.
    """
    word = text.strip()
    if word.lower() in ("stable", "latest"):
        return "latest", True, None
    m = _RELEASE.fullmatch(word)
    if m is None:
        return (
            None,
            False,
            f"the download names {word!r}, which is not a release (a branch or commit "
            "decides what is built)",
        )
    version = m.group(1)
    core = re.match(r"\d+(?:\.\d+)*", version)
    return version, core is not None and core.group(0).count(".") < 2, None


def _package(
    token: str, family: str, table: dict[str, str]
) -> tuple[str, str | None, bool, str | None] | None:
    """(engine, version, floating, reason) for a package argument naming an engine server."""
    name, pin, operator = _split_package(token, family, table)
    engine = table.get(name)
    if engine is None:
        return None
    if pin is None:
        return engine, None, False, PACKAGE_REASON
    if operator not in ("=", "~", "-"):
        return engine, None, False, f"package {token} allows a range of versions; " + PACKAGE_REASON
    upstream = _upstream(pin, family)
    if upstream is None:
        return engine, None, False, f"package version {pin!r} names no upstream release"
    version, floating, why = release(upstream)
    return engine, version, floating or operator == "~" or pin.endswith("*"), why


def _split_package(
    token: str, family: str, table: dict[str, str]
) -> tuple[str, str | None, str | None]:
    """(name, version pin, operator) of ``redis=5:7.0.15-1``, ``redis~7.2``, ``valkey-8.0.1``."""
    if family == "rpm":
        for name in table:
            if token == name:
                return name, None, None
            if token.startswith(name + "-") and token[len(name) + 1 : len(name) + 2].isdigit():
                return name, token[len(name) + 1 :], "-"
        return token, None, None
    m = re.match(r"([a-z0-9][a-z0-9+._-]*?)(?::[a-z0-9-]+)?(?:([=~<>]+)(.*)|/.*|@.*)?$", token)
    if m is None:
        return token, None, None
    return m.group(1), m.group(3) or None, m.group(2)


def _upstream(pin: str, family: str) -> str | None:
    """The upstream release in a distribution version: ``5:7.0.15-1~deb12u1`` -> 7.0.15."""
    text = re.sub(r"^\d+:", "", pin.strip())
    m = _UPSTREAM.match(text)
    return m.group(0) if m else None
