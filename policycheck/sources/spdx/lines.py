"""Where an SBOM declares each package: the line of its SPDX id.

spdx-tools keeps no line numbers, so a package's line is where its ``SPDXID`` (or RDF
``rdf:about``) is written.
"""

from __future__ import annotations

import bisect
import re
import sys


def line_of_spdx_id(text: str, spdx_id: str) -> int | None:
    """1-based line where ``spdx_id`` is declared: ``SPDXID: id``, ``"SPDXID": "id"``,
    ``<SPDXID>id`` or RDF ``rdf:about="...#id"`` (else the first RDF ``#id``).

    One search of the whole text; ``SpdxIdLines`` answers for every package at once.
    """
    escaped = re.escape(spdx_id.rsplit("#", 1)[-1])
    patterns = (
        rf"SPDXID[\"']?\s*[:>]\s*[\"']?{escaped}(?![\w.-])",
        rf"about\s*=\s*[\"'][^\"'#]*#{escaped}[\"']",
        rf"#{escaped}[\"']",
    )
    for pattern in patterns:
        m = re.search(pattern, text)
        if m:
            return text.count("\n", 0, m.start()) + 1
    return None


class SpdxIdLines:
    """The line of every SPDX id declared in a text, from one pass, as ``line_of_spdx_id``.

    Searching the text once per package was quadratic: 40,000 packages named redis took
    two minutes. Each index (id -> where it is first declared) is built on its first use,
    in one scan of the text; a position becomes a line only when asked for, counting
    from the nearest position already counted (packages are asked for in order).
    """

    _DECLARED = re.compile(r"""SPDXID["']?\s*[:>]\s*["']?([^"'<\r\n]*)""")
    _ABOUT = re.compile(r"""about\s*=\s*["'][^"'#]*#([\w.-]+)["']""")
    _RDF = re.compile(r"""#([\w.-]+)["']""")
    _ID = re.compile(r"[\w.-]+")

    def __init__(self, text: str) -> None:
        self.text = text
        self._declared: dict[str, int] | None = None
        self._loose: dict[str, int] = {}
        self._about: dict[str, int] | None = None
        self._rdf: dict[str, int] | None = None
        self._counted: list[tuple[int, int]] = [(0, 1)]  # (position, its line), sorted

    def line_of(self, spdx_id: str | None) -> int | None:
        """The line ``line_of_spdx_id`` gives for ``spdx_id``, or None."""
        if not spdx_id:
            return None
        wanted = spdx_id.rsplit("#", 1)[-1]
        if self._declared is None:
            self._declared = self._index_declared()
        position = self._declared.get(wanted)
        if position is None:
            position = self._loose.get(wanted.strip())
        if position is None:
            if self._about is None:
                self._about = self._first_positions(self._ABOUT)
            position = self._about.get(wanted)
        if position is None:
            if self._rdf is None:
                self._rdf = self._first_positions(self._RDF)
            position = self._rdf.get(wanted)
        return None if position is None else self._line_at(position)

    def _index_declared(self) -> dict[str, int]:
        """Ids as ``SPDXID`` declares them: each leading run of id characters, as the
        search's ``(?![\\w.-])`` reads it, and (for odd ids) the whole value."""
        out: dict[str, int] = {}
        for m in self._DECLARED.finditer(self.text):
            value = m.group(1)
            run = self._ID.match(value)
            if run is not None:
                out.setdefault(run.group(), m.start())
            self._loose.setdefault(value.strip(), m.start())
        return out

    def _first_positions(self, pattern: re.Pattern[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in pattern.finditer(self.text):
            out.setdefault(m.group(1), m.start())
        return out

    def _line_at(self, position: int) -> int:
        index = bisect.bisect_right(self._counted, (position, sys.maxsize)) - 1
        start, line = self._counted[index]
        line += self.text.count("\n", start, position)
        self._counted.insert(index + 1, (position, line))
        return line
