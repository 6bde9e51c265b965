"""Did you mean: the closest known name to a mistyped one.

A typo must never pass silently (an unknown engine is reviewed, an unknown license id in
a policy is an error); saying what was probably meant turns the stop into a quick fix.
"""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The known name most like ``word`` (case-insensitive), or None when none is close."""
    import difflib  # only a mistake pays for it

    names = {k.lower(): k for k in known}
    match = difflib.get_close_matches(word.lower(), list(names), n=1, cutoff=cutoff)
    return names[match[0]] if match else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"; did you mean redis?"`` to append to a message, or ``""``."""
    match = closest(word, known)
    return f"; did you mean {match}?" if match else ""
