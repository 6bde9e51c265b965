"""Docker's variable substitution, as BuildKit's lexer does it (shell/lex.go).

Used for the instructions Docker substitutes in (FROM, ARG, ENV, COPY --from, ...):
quotes are removed, the escape character escapes, ``$X``, ``${X}``, ``${X:-d}``,
``${X:+w}``, ``${X?e}``, ``${X#p}``, ``${X%p}``, ``${X/p/r}`` are expanded, and text
Docker rejects raises ``SubstitutionError`` with its offset, so that the caller can
name the line. RUN/CMD/ENTRYPOINT/HEALTHCHECK text never comes here: it is the shell's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from policycheck.sources.compose import MISSING, Interpolated

_NAME = re.compile(r"[A-Za-z0-9_]+")
_SPECIAL_PARAMETER = "@*#?-$!0"


class SubstitutionError(ValueError):
    """Text Docker's lexer rejects; ``offset`` is where, in the processed word."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def substitute(text: str, variables: Mapping[str, str], escape: str = "\\") -> Interpolated:
    """Docker's processing of one word: quotes removed, ``$X``, ``${X}``, ``${X:-d}``,
    ``${X:+w}``, ``${X#p}``, ``${X%p}``, ``${X/p/r}`` expanded.

    An escaped ``$`` and a ``$`` that starts no name are literal, as in Docker. A
    variable without a value becomes MISSING (see ``Interpolated``); Docker would use
    the empty string, which is not the release anyone means. Raises
    ``SubstitutionError`` for text Docker rejects.
    """
    lexer = _Lexer(text, variables, escape)
    result = lexer.process(None)
    return Interpolated(result, tuple(dict.fromkeys(lexer.missing)))


class _Lexer:
    """BuildKit's ``shell.Lex`` (frontend/dockerfile/shell/lex.go), for one word."""

    def __init__(self, text: str, variables: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.variables = variables
        self.escape = escape
        self.missing: list[str] = []

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        c = self.peek()
        self.pos += 1
        return c

    def process(self, stop: str | None, raw_escapes: bool = False) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            c = self.peek()
            if stop is not None and c == stop:
                self.pos += 1
                return "".join(out)
            if c == "$":
                out.append(self.dollar())
            elif c == "'":
                out.append(self.single_quoted())
            elif c == '"':
                out.append(self.double_quoted())
            else:
                self.pos += 1
                if c == self.escape:
                    if raw_escapes:
                        out.append(c)
                    if self.pos >= len(self.text):
                        break
                    c = self.next()
                out.append(c)
        if stop is not None:
            raise SubstitutionError(
                f"unexpected end of text while looking for matching {stop}", self.pos
            )
        return "".join(out)

    def single_quoted(self) -> str:
        start = self.pos
        end = self.text.find("'", start + 1)
        if end < 0:
            raise SubstitutionError("unterminated single-quoted string", start)
        self.pos = end + 1
        return self.text[start + 1 : end]

    def double_quoted(self) -> str:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while True:
            c = self.peek()
            if not c:
                raise SubstitutionError("unterminated double-quoted string", start)
            if c == '"':
                self.pos += 1
                return "".join(out)
            if c == "$":
                out.append(self.dollar())
                continue
            self.pos += 1
            if c == self.escape and self.peek() in ('"', "$", self.escape) and self.peek():
                c = self.next()
            out.append(c)

    def dollar(self) -> str:
        start = self.pos
        self.pos += 1
        if self.peek() != "{":
            name = self.name()
            return "$" if not name else self.value(name)
        self.pos += 1
        c = self.peek()
        if not c:
            raise SubstitutionError("syntax error: missing '}'", start)
        if c in "{}:":
            raise SubstitutionError("syntax error: bad substitution", start)
        name = self.name()
        c = self.next()
        if not c:
            raise SubstitutionError("syntax error: missing '}'", start)
        if c == "}":
            return self.value(name)
        modifier, empty_is_unset = c, False
        if c == ":":
            empty_is_unset = True
            c = self.next()
            modifier += c
        if c and c in "+-?#%":
            word = self.word_until("}", start, raw_escapes=c in "#%")
            return self.apply(name, c, word, empty_is_unset)
        if c == "/":
            every = self.peek() == "/"
            if every:
                self.pos += 1
            pattern = self.word_until("/", start, raw_escapes=True)
            replacement = self.word_until("}", start, raw_escapes=True)
            return self.replaced(name, pattern, replacement, every)
        raise SubstitutionError(f"unsupported modifier ({modifier}) in substitution", start)

    def word_until(self, stop: str, start: int, raw_escapes: bool) -> str:
        try:
            return self.process(stop, raw_escapes)
        except SubstitutionError:
            if self.pos >= len(self.text):
                raise SubstitutionError(f"syntax error: missing '{stop}'", start) from None
            raise

    def name(self) -> str:
        c = self.peek()
        if c.isdigit():
            m = re.match(r"\d+", self.text[self.pos :])
            assert m is not None
            self.pos += m.end()
            return m.group(0)
        if c and c in _SPECIAL_PARAMETER:
            self.pos += 1
            return c
        m = _NAME.match(self.text, self.pos)
        if m is None:
            return ""
        self.pos = m.end()
        return m.group(0)

    def value(self, name: str) -> str:
        if name in self.variables:
            return self.variables[name]
        self.missing.append(name)
        return MISSING

    def apply(self, name: str, operator: str, word: str, empty_is_unset: bool) -> str:
        is_set = name in self.variables
        value = self.variables.get(name, "")
        absent = not is_set or (empty_is_unset and value == "")
        if operator == "-":
            return word if absent else value
        if operator == "+":
            return "" if absent else word
        if operator == "?":
            return self.value(name) if absent else value
        if not is_set:
            return self.value(name)
        greedy = word.startswith(operator)
        pattern = word[1:] if greedy else word
        return _trimmed(value, pattern, greedy, prefix=operator == "#")

    def replaced(self, name: str, pattern: str, replacement: str, every: bool) -> str:
        if name not in self.variables:
            return self.value(name)
        regex = re.compile(_shell_pattern(pattern, greedy=True), re.DOTALL)
        return regex.sub(lambda _: replacement, self.variables[name], count=0 if every else 1)


def _shell_pattern(pattern: str, greedy: bool) -> str:
    """BuildKit's wildcard patterns: ``*`` and ``?``; backslash escapes one of them."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*" if greedy else ".*?")
        elif c == "?":
            out.append(".")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _trimmed(value: str, pattern: str, greedy: bool, prefix: bool) -> str:
    if prefix:
        m = re.match(_shell_pattern(pattern, greedy), value, re.DOTALL)
        return value[m.end() :] if m else value
    cuts = range(len(value) + 1)
    regex = re.compile(_shell_pattern(pattern, greedy=True), re.DOTALL)
    order = iter(cuts) if greedy else reversed(cuts)
    cut = next((k for k in order if regex.fullmatch(value, k)), len(value))
    return value[:cut]
