"""A lenient reader of POSIX shell text: words, expansions, simple commands.

Dockerfile ``RUN`` instructions and shell scripts are read here, never run. Words are
split and expanded as a POSIX shell would (quotes, ``$VAR``, ``${VAR:-default}``,
``${VAR%pattern}``, assignments earlier in the text), so that what a command names
(a download address, a package) is seen with its variables filled in.

Lenient: what cannot be known here (an unset variable, ``$(...)``, a construct this
reader does not evaluate) becomes the MISSING marker and is listed as unknown, never
an error. Valid shell is never an input error; nor is invalid shell, which only the
shell may judge (an unterminated quote runs to the end of the text).

Linear in the text: words are found by one forward pass (quotes, ``$(...)``, ``${...}``
and backticks skipped to their end), nested expansions stop at a fixed depth, and glob
patterns (``${VAR%pattern}``) are evaluated only on short values, so that no text makes
the scan quadratic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from policycheck.sources.compose import MISSING

#: A variable's value: text (possibly holding MISSING) or None when it cannot be known.
Variables = dict[str, str | None]

#: Stands for what ``$(...)`` and backticks print: known only when the commands run.
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
#: Longest value a ``${VAR%pattern}``-style operator is evaluated on (else unknown).
_PATTERN_VALUE_LIMIT = 512
#: How deep expansions nest (``${A:-${B:-...}}``) before the inner text counts as unknown.
_MAX_DEPTH = 3


# --- words -------------------------------------------------------------------------


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
        gap = _BETWEEN_WORDS.match(text, i)
        if gap is not None:  # blanks, redirections, comments, line continuations
            i = gap.end()
            if i >= n:
                break
        c = text[i]
        if c in _OPERATORS:
            if words:
                yield words
                words = []
            i += 1
        else:
            end = max(_word_end(text, i), i + 1)
            words.append((i, end))
            i = end
    if words:
        yield words


#: What stands between two words and is dropped, in one match rather than a character at a
#: time (a script's indentation was most of the loop): blanks other than a newline, which
#: ends a command; ``<`` and ``>``; a comment to its line's end; a backslash-newline.
_BETWEEN_WORDS = re.compile(r"(?:[^\S\n]+|[<>]+|#[^\n]*|\\\n)+")


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
    if _PLAIN_IN_WORD.fullmatch(raw) is not None:
        return raw, ()  # most words of a long script: nothing to remove or expand
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


# --- simple commands ----------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A simple command, its assignments already made in the scope it was read with.

    ``prefix`` holds the words before the program (reserved words, ``NAME=value``,
    ``sudo``/``env`` and their options); ``words`` the program and its arguments.
    """

    prefix: list[Word]
    words: list[Word]

    @property
    def program(self) -> str:
        """The program's name without its directory (``/usr/bin/apt-get`` -> apt-get)."""
        return self.words[0].text.rsplit("/", 1)[-1] if self.words else ""


def read_commands(text: str, scope: Scope, base: int = 0) -> Iterator[Command]:
    """The simple commands of ``text`` (at offset ``base`` of the file's text), each
    read with ``scope`` as the commands before it left it, and updating it.

    A command's words are expanded before its own assignments are made, as the shell
    does; ``export``/``local``/``declare`` arguments assign too.
    """
    for spans in split_commands(text):
        words = []
        for start, end in spans:
            raw = text[start:end]
            expanded, missing = expand(raw, scope)
            words.append(Word(base + start, raw, expanded, missing))
        yield _command(words, scope)


def _command(words: list[Word], scope: Scope) -> Command:
    index = 0
    while index < len(words) and words[index].raw in _RESERVED:
        index += 1
    index = _assignments(words, index, scope)
    while index < len(words) and (
        words[index].text in _PREFIXES
        or words[index].text.startswith("-")
        and index > 0
        and words[index - 1].text in _PREFIXES
    ):
        index = _assignments(words, index + 1, scope)
    command = Command(words[:index], words[index:])
    if command.program in _DECLARE:
        _assignments(command.words, 1, scope, declare=True)
    return command


def _assignments(words: list[Word], index: int, scope: Scope, declare: bool = False) -> int:
    """Make the ``NAME=value`` assignments from ``words[index]`` on; the index after them."""
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


def inline_script(command: Command) -> Word | None:
    """The script of ``sh -c SCRIPT`` (any shell, flags such as ``-ec`` allowed), else None."""
    if command.program not in _SHELLS:
        return None
    words = command.words
    for index, word in enumerate(words[1:-1], start=1):
        if not word.text.startswith("-"):
            return None
        if "c" in word.text[1:]:
            return words[index + 1]
    return None
