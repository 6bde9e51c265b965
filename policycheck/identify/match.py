"""Which license a text is: short phrases of the published texts, then the title line.

policycheck ships no license texts. ``licenses/identify.yaml`` holds, for each license
it has effects for, a few phrases its text carries (a title, a version line, a defined
term); a text matches when it holds enough of them, and the confidence is the share it
holds. A text none of them matches is tried by its first line against the names of the
SPDX License List (``Boost Software License - Version 1.0``), at a lower confidence. A
file that holds several license texts (Redis 7.4 puts RSALv2 and SSPL in one file)
gives every one of them, and the caller decides how they combine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from policycheck.data import data_dir
from policycheck.yamlload import load_file

#: Confidence of an identification by the title line alone.
TITLE_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Fingerprint:
    """The phrases by which one license text is recognised."""

    id: str
    phrases: tuple[str, ...]
    must: tuple[str, ...]
    required: int
    supersedes: tuple[str, ...]
    note: str | None


@dataclass(frozen=True)
class Fingerprints:
    """All fingerprints and the BUSL Change License wordings."""

    texts: tuple[Fingerprint, ...]
    change_licenses: dict[str, str]


@dataclass(frozen=True)
class TextMatch:
    """One license found in a text: its id, confidence (0..1) and how it was found."""

    id: str
    confidence: float
    how: str
    note: str | None = None


@cache
def fingerprints() -> Fingerprints:
    """The bundled fingerprints, loaded on first use (schema: ``fingerprints``)."""
    d = load_file(data_dir("licenses") / "identify.yaml").value
    texts = tuple(
        Fingerprint(
            t["id"],
            tuple(t["phrases"]),
            tuple(t.get("must", ())),
            t["required"],
            tuple(t.get("supersedes", ())),
            t.get("note"),
        )
        for t in d["texts"]
    )
    return Fingerprints(texts, dict(d["change_licenses"]))


def normalize(text: str) -> str:
    """Lower-cased words separated by single spaces; '.' and '+' kept inside numbers."""
    text = re.sub(r"[^a-z0-9.+]+", " ", text.lower())
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    return " ".join(text.split())


def match_text(text: str) -> list[TextMatch]:
    """Every license the text holds, best first; empty when none can be told."""
    words = f" {normalize(text)} "
    found: list[TextMatch] = []
    for fp in fingerprints().texts:
        held = [p for p in fp.phrases if f" {p} " in words]
        if len(held) < fp.required or any(f" {m} " not in words for m in fp.must):
            continue
        found.append(
            TextMatch(
                fp.id,
                round(len(held) / len(fp.phrases), 2),
                f"holds {len(held)} of its {len(fp.phrases)} phrases",
                fp.note,
            )
        )
    superseded = {
        s for m in found for fp in fingerprints().texts if fp.id == m.id for s in fp.supersedes
    }
    found = [m for m in found if m.id not in superseded]
    if not found:
        title = by_title(text)
        if title is not None:
            found.append(title)
    return sorted(found, key=lambda m: (-m.confidence, m.id))


def by_title(text: str) -> TextMatch | None:
    """The SPDX-listed license whose name starts the text's first non-blank line (the
    longest such name; "version" and a "v" before a number are ignored on both sides)."""
    from policycheck.identify.spdx_list import spdx_licenses

    first = next((line for line in text.splitlines() if line.strip()), "")
    wanted = _title_words(first)
    if not wanted:
        return None
    best: tuple[int, str] | None = None
    for lic in spdx_licenses().values():
        name = _title_words(lic.name)
        if lic.deprecated or not name or not (wanted == name or wanted.startswith(name + " ")):
            continue
        if best is None or len(name) > best[0]:
            best = (len(name), lic.id)
    if best is None:
        return None
    return TextMatch(best[1], TITLE_CONFIDENCE, "its first line starts with the license's name")


def _title_words(text: str) -> str:
    words = normalize(text).split()
    return " ".join(w for w in (re.sub(r"^v(?=\d)", "", w) for w in words) if w != "version")
