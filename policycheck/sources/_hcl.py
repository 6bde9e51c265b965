"""HCL2 parsing for the Terraform source, one top-level block at a time.

python-hcl2 (a Lark grammar) is exact but slow: about 8 ms per KiB, and a real module
is mostly ``variable``, ``output`` and provider blocks that say nothing about caches.
So a file is first cut into its top-level blocks with a line scan (``terraform fmt``
puts every top-level keyword at column 0), and only the blocks a question needs are
handed to the real parser: the cache resources when collecting, one ``variable`` block
when a reference to it is resolved.

The cut is a shortcut, never a guess. A file with heredocs or block comments (which
may hold a commented-out ``resource`` at column 0), whose text outside the blocks is
more than comments and blank lines, or whose selected blocks do not parse on their own,
is parsed whole, so the answer and any syntax error are exactly the parser's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from policycheck.errors import InputError

_KEYWORDS = (
    "resource|data|module|variable|output|locals|provider|terraform|check|import|moved|removed"
)
_BLOCK_START = re.compile(rf"^(?:{_KEYWORDS})\b", re.MULTILINE)
_SYNTAX_HINT = "check the syntax with `terraform fmt` or `terraform validate`"


@cache
def _parser() -> Callable[[str], dict[str, Any]]:
    """python-hcl2, imported and its grammar built on first use (about 0.15 s): scans
    without Terraform files never pay for it."""
    import hcl2

    options = hcl2.SerializationOptions(
        with_comments=False, explicit_blocks=False, strip_string_quotes=True
    )
    hcl2.loads("warm = 1\n", serialization_options=options)

    def parse(text: str) -> dict[str, Any]:
        result: dict[str, Any] = hcl2.loads(text, serialization_options=options)
        return result

    return parse


def warm_up() -> None:
    """Build the parser now, e.g. before forking workers that would each build it."""
    _parser()


def parse_hcl(text: str, display: str) -> dict[str, Any]:
    """Parse HCL2 text; malformed input becomes an InputError with the parser's line."""
    from lark.exceptions import LarkError, UnexpectedInput

    parse = _parser()
    try:
        result = parse(text)
    except UnexpectedInput as exc:
        raise InputError(
            "not valid HCL2: " + str(exc).strip().splitlines()[0],
            display,
            exc.line if isinstance(exc.line, int) and exc.line > 0 else None,
            _SYNTAX_HINT,
        ) from None
    except (LarkError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise InputError(f"not valid HCL2: {exc}", display, hint=_SYNTAX_HINT) from None
    except RecursionError:
        raise InputError("HCL nests too deeply to parse", display, hint=_SYNTAX_HINT) from None
    return result


def _merge(into: dict[str, Any], doc: dict[str, Any]) -> None:
    """Merge a parsed block into a document the way hcl2 shapes a whole file."""
    for key, value in doc.items():
        if isinstance(value, list):
            into.setdefault(key, []).extend(value)
        else:
            into[key] = value


@dataclass
class HclFile:
    """One HCL file cut into top-level blocks, each parsed only when asked for."""

    text: str
    display: str
    blocks: list[str] = field(default_factory=list)
    #: False when the text could not be cut safely: every question parses it whole.
    cut: bool = True
    _parsed: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    _whole: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if "<<" in self.text or "/*" in self.text:
            self.cut = False
            return
        starts = [m.start() for m in _BLOCK_START.finditer(self.text)]
        preamble = self.text[: starts[0]] if starts else self.text
        if not all(_is_comment_or_blank(line) for line in preamble.splitlines()):
            self.cut = False
            return
        ends = [*starts[1:], len(self.text)]
        self.blocks = [self.text[s:e] for s, e in zip(starts, ends[: len(starts)], strict=True)]

    def whole(self) -> dict[str, Any]:
        """The whole file parsed; raises InputError when it is not valid HCL2."""
        if self._whole is None:
            self._whole = parse_hcl(self.text, self.display)
        return self._whole

    def select(self, wanted: Callable[[str], bool]) -> dict[str, Any]:
        """The document made of the blocks whose text ``wanted`` accepts.

        Falls back to the whole file when the file could not be cut or a selected block
        does not parse alone; raises InputError only when the whole file is invalid.
        """
        if not self.cut:
            return self.whole()
        doc: dict[str, Any] = {}
        for index, block in enumerate(self.blocks):
            if not wanted(block):
                continue
            parsed = self._block(index)
            if parsed is None:
                return self.whole()
            _merge(doc, parsed)
        return doc

    def _block(self, index: int) -> dict[str, Any] | None:
        if index not in self._parsed:
            try:
                self._parsed[index] = parse_hcl(self.blocks[index], self.display)
            except InputError:
                self._parsed[index] = None
        return self._parsed[index]


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith(("#", "//"))


@lru_cache(maxsize=512)
def _cached(path: Path, stamp: tuple[int, int]) -> HclFile | None:
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    return HclFile(text, str(path))


def hcl_file(path: Path) -> HclFile | None:
    """The file at ``path``, cut once per version of it; None when it cannot be read.

    Sibling files are read here to resolve variables; the walker reports an unreadable
    or broken file on its own, so here it only fails to contribute values.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    return _cached(path, (st.st_mtime_ns, st.st_size))
