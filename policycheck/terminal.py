"""What the terminal allows: colour, width, and whether a person is watching.

Plain ANSI escapes, no rendering library: a CI gate starts on every pull request, and
the few styles a verdict needs are not worth a dependency's import time. Everything
here is decided once per run by the CLI; formatters only receive the answers.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from policycheck.walk import ScanResult

COLOR_MODES = ("auto", "always", "never")

_STYLES = {
    "allow": "\x1b[1;32m",
    "review": "\x1b[1;33m",
    "deny": "\x1b[1;31m",
    "error": "\x1b[1;31m",
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
}
_RESET = "\x1b[0m"


def is_terminal(stream: TextIO | None) -> bool:
    """Whether ``stream`` is an interactive terminal (never raises on closed streams)."""
    try:
        return bool(stream is not None and stream.isatty())
    except (ValueError, OSError, AttributeError):
        return False


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal; the one place tests replace."""
    return is_terminal(sys.stdout)


def stderr_is_terminal() -> bool:
    """Whether standard error is a terminal; the one place tests replace."""
    return is_terminal(sys.stderr)


def use_color(mode: str, to_terminal: bool) -> bool:
    """``--color``: ``always`` and ``never`` say it; ``auto`` colours a terminal unless
    NO_COLOR is set to anything non-empty (https://no-color.org)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return to_terminal and not os.environ.get("NO_COLOR")


def width(to_terminal: bool) -> int | None:
    """The terminal's width (COLUMNS wins, as everywhere), or None off a terminal: a
    file or a CI log keeps each logical line whole, so grep finds it."""
    if not to_terminal:
        return None
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def paint(text: str, style: str, on: bool) -> str:
    """``text`` in ``style`` when colour is on."""
    return f"{_STYLES[style]}{text}{_RESET}" if on and style in _STYLES else text


def wrap(text: str, indent: str, columns: int | None, first: str = "") -> list[str]:
    """``first + text`` as lines of at most ``columns``, continuation lines indented.

    Words are never split: an SPDX id, an image reference or a URL longer than the line
    stays whole on a line of its own, so it can be copied and searched for.
    """
    if columns is None:
        return [indent + first + text]
    lines: list[str] = []
    for k, part in enumerate(text.split("\n")):  # an error's hint keeps its own line
        lead = indent + (first if k == 0 else " " * len(first))
        lines.extend(
            textwrap.wrap(
                part,
                width=columns,
                initial_indent=lead,
                subsequent_indent=indent + " " * len(first),
                break_long_words=False,
                break_on_hyphens=False,
                drop_whitespace=True,
            )
            or [lead]
        )
    return lines


class Progress:
    """One line on stderr while a long scan runs: files parsed so far and the folder
    being read, redrawn in place and erased when the scan ends. The walk streams, so
    the total is not known until it is over; the count is what is known.

    Nothing is drawn for the first ``delay`` seconds, so a quick scan never flickers.
    """

    delay = 1.0
    interval = 0.1

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parsed = 0
        self.started = time.monotonic()
        self.drawn = 0.0
        self.shown = False

    def __call__(self, part: ScanResult) -> None:
        """Count ``part``'s parsed files and redraw, at most every ``interval`` seconds."""
        self.parsed += len(part.files)
        now = time.monotonic()
        if not part.files or now - self.started < self.delay or now - self.drawn < self.interval:
            return
        self.drawn = now
        where = os.path.dirname(next(reversed(part.files))) or "."
        line = f"policycheck: parsed {self.parsed} file(s), now in {where}"
        columns = shutil.get_terminal_size((100, 24)).columns
        self.stream.write("\r\x1b[K" + line[: max(10, columns - 1)])
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the line, so the report and messages start on a clean one."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
