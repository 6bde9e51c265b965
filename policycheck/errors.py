"""Errors that reach the user as a message and exit code 2, never as a traceback.

Every error names the file (and line, where known), what is wrong and what to do,
so that a platform engineer reading a CI log can fix the input without reading code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with control characters written as ``\\xNN`` escapes.

    File names and values from manifests reach every report. A newline or an escape
    sequence printed as is could forge a line of a report (an SPDX tag-value
    ``PackageName:``, a GitHub workflow command, a CSV row) or a terminal's colours.
    """
    if text.isprintable() or _CONTROL.search(text) is None:  # the first is one C loop
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass
class InputError(Exception):
    """Bad input: a policy, manifest, target or option the user can fix."""

    message: str
    path: str | None = None
    line: int | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.path is not None:
            self.path = printable(self.path)

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str | None, int | None, str | None]]:
        """Pickle by fields, so an error crosses from a scanning worker intact."""
        return (type(self), (self.message, self.path, self.line, self.hint))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        text = where + self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class DataError(InputError):
    """The bundled license knowledge or catalog is inconsistent (a bug in policycheck's data)."""
