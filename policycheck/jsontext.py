"""Pretty-printed JSON for the machine-readable reports, written fast and always the same.

The standard library writes indented JSON with its pure-Python encoder (its C encoder
only writes compact JSON): for the report of a large repository that is a tenth of a
second, a twentieth of the whole check. orjson writes the same text in a hundredth of
that. The bytes are those of ``json.dumps(doc, indent=2, ensure_ascii=False)`` either
way, so reports stay byte-identical whichever writes them: where the two would differ
(a float with an exponent such as ``1e-05``, an integer beyond 64 bits, a string
holding a lone surrogate, a type orjson does not take), the standard library writes it.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def pretty(doc: Any, integers_only: bool = False) -> str:
    """``doc`` as JSON indented by two spaces, UTF-8 kept, with a final newline.

    ``integers_only``: the caller vouches that ``doc`` holds no float (its schema has
    integers only, as the report's), which spares looking through it for one.
    """
    written = _by_orjson(doc, integers_only)
    return written.decode("utf-8") if written is not None else _by_stdlib(doc)


def pretty_bytes(doc: Any, integers_only: bool = False) -> bytes:
    """``pretty(doc)`` encoded as UTF-8, without a round trip through ``str`` where
    orjson writes it."""
    written = _by_orjson(doc, integers_only)
    return written if written is not None else _by_stdlib(doc).encode("utf-8")


def _by_orjson(doc: Any, integers_only: bool) -> bytes | None:
    """orjson's bytes, or None where they could differ from the standard library's."""
    if integers_only or not _has_fraction(doc):
        try:
            return orjson.dumps(doc, option=_OPTIONS)
        except TypeError:  # a big integer, a lone surrogate, a type orjson does not take
            pass
    return None


def _by_stdlib(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def _has_fraction(doc: Any) -> bool:
    """Whether ``doc`` holds a float that is not a whole number below 1e16 (orjson and
    ``repr`` write some of those differently). Strings, most of a report, are passed
    over without a look, so a report costs a few milliseconds."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not (item.is_integer() and abs(item) < 1e16):
                return True
        elif isinstance(item, dict):
            stack.extend(v for v in item.values() if not isinstance(v, str))
        elif isinstance(item, (list, tuple)):
            stack.extend(v for v in item if not isinstance(v, str))
    return False
