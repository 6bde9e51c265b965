"""The parameters of a Business Source License text.

Every BUSL 1.1 file starts with a block its licensor fills in (Licensor, Licensed Work,
Additional Use Grant, Change Date, Change License) before the standard terms. Projects
write that block as plain ``Label: value`` lines with indented continuations (HashiCorp,
CockroachDB), as Markdown (``<u>Licensor</u>:``, ``**Change Date**:``, links around the
Change License, as Dragonfly does), in any order. The terms themselves fix when each
version converts: on the Change Date or on the N-th anniversary of its first public
distribution, whichever comes first; N is four in the standard text, but a licensor may
change it (Dragonfly before 1.17 wrote "fifth"), so it is read, not assumed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

#: The parameter labels, as the licensor fills them in.
LABELS = {
    "licensor": "licensor",
    "licensed work": "licensed_work",
    "additional use grant": "additional_use_grant",
    "change date": "change_date",
    "change license": "change_license",
}

_LABEL_LINE = re.compile(
    r"^[ \t>*_-]*(licensor|licensed work|additional use grant|change date|change license)"
    r"[ \t*_]*:[ \t*_]*(.*)$",
    re.IGNORECASE,
)

#: A line that ends the parameters block: the standard terms or a notice begin.
_BLOCK_END = re.compile(
    r"^\s*(#+\s*)?(terms|text of bu?sl[\s\d.]*|notice|covenants of licensor|-{5,}|={5,})\s*$",
    re.IGNORECASE,
)

_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "forth": 4,  # a misspelling found in published texts; its meaning is plain
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}

_ANNIVERSARY = re.compile(
    r"change\s+date\s*,?\s+or\s+the\s+(\w+)\s+anniversary",
    re.IGNORECASE,
)

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})\b")

_MARKUP = (
    (re.compile(r"</?u>|</?b>|</?strong>|</?em>", re.IGNORECASE), ""),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # a Markdown link keeps its words
    (re.compile(r"\*\*|__"), ""),
)


@dataclass(frozen=True)
class BuslParameters:
    """The filled-in parameters of one BUSL text, as the ``busl`` object of ``identify``."""

    licensor: str | None
    licensed_work: str | None
    change_date: dt.date | None
    change_date_text: str | None
    change_license: str | None
    change_license_text: str | None
    additional_use_grant: str | None
    anniversary_years: int
    anniversary_stated: bool

    def to_json(self) -> dict[str, Any]:
        """JSON form (schema ``identify``)."""
        return {
            "licensor": self.licensor,
            "licensed_work": self.licensed_work,
            "change_date": self.change_date.isoformat() if self.change_date else None,
            "change_date_text": self.change_date_text,
            "change_license": self.change_license,
            "change_license_text": self.change_license_text,
            "additional_use_grant": self.additional_use_grant,
            "anniversary_years": self.anniversary_years,
        }

    @property
    def grant_is_none(self) -> bool:
        """Whether the licensor wrote that there is no Additional Use Grant."""
        text = (self.additional_use_grant or "").strip().rstrip(".").lower()
        return text in ("", "none", "n/a", "not applicable")


def parse_busl(text: str, change_license_ids: dict[str, str] | None = None) -> BuslParameters:
    """Read the parameters block and the anniversary of a BUSL text.

    ``change_license_ids`` maps normalized Change License wordings ("mpl 2.0") to SPDX
    ids; an SPDX id written as such is recognized without it. A parameter that is not
    written is None: the caller decides what a missing parameter means (it fails closed).
    """
    values = _parameters(_plain(text))
    change_date_text = values.get("change_date")
    change_date = parse_date(change_date_text) if change_date_text else None
    license_text = values.get("change_license")
    return BuslParameters(
        licensor=values.get("licensor"),
        licensed_work=values.get("licensed_work"),
        change_date=change_date,
        change_date_text=None if change_date else change_date_text,
        change_license=change_license_id(license_text, change_license_ids or {})
        if license_text
        else None,
        change_license_text=license_text,
        additional_use_grant=values.get("additional_use_grant"),
        anniversary_years=anniversary_years(text) or 4,
        anniversary_stated=anniversary_years(text) is not None,
    )


def _plain(text: str) -> str:
    for pattern, repl in _MARKUP:
        text = pattern.sub(repl, text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _parameters(text: str) -> dict[str, str]:
    """Label -> value, a value running on over continuation lines until the next label,
    a blank line after a complete value, or the start of the terms."""
    values: dict[str, list[str]] = {}
    current: str | None = None
    paused: str | None = None  # a value a blank line interrupted; an indented line resumes it
    for line in text.split("\n"):
        if paused is not None and line.strip():
            if line[:1] in (" ", "\t") and not _LABEL_LINE.match(line):
                current = paused
            paused = None
        m = _LABEL_LINE.match(line)
        if m:
            key = LABELS[" ".join(m.group(1).lower().split())]
            if key in values:  # a label repeated in the terms: the block is over
                current = None
                if len(values) == len(LABELS):
                    break
                continue
            current = key
            values[key] = [m.group(2).strip()] if m.group(2).strip() else []
            continue
        if current is None:
            if values and _BLOCK_END.match(line):
                break
            continue
        stripped = line.strip()
        if not stripped:
            if values[current]:
                paused, current = current, None  # ends the value unless indented text follows
            continue
        if _BLOCK_END.match(line):
            current = None
            break
        values[current].append(stripped)
    return {k: " ".join(" ".join(v).split()) for k, v in values.items() if v}


def anniversary_years(text: str) -> int | None:
    """The N of "the Change Date, or the N-th anniversary"; None when the text omits it."""
    m = _ANNIVERSARY.search(" ".join(text.split()))
    if m is None:
        return None
    word = m.group(1).lower()
    if word in _ORDINALS:
        return _ORDINALS[word]
    digits = re.match(r"(\d+)(st|nd|rd|th)$", word)
    return int(digits.group(1)) if digits else None


def parse_date(text: str) -> dt.date | None:
    """An absolute date in ISO, "March 15, 2028" or "15 March 2028" form; else None
    (a relative Change Date such as "four years from the date ... is published")."""
    candidates: list[tuple[int, int, int]] = []
    if m := _ISO.search(text):
        candidates.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    if m := _MONTH_DAY_YEAR.search(text):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            candidates.append((int(m.group(3)), month, int(m.group(2))))
    if m := _DAY_MONTH_YEAR.search(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            candidates.append((int(m.group(3)), month, int(m.group(1))))
    for year, month, day in candidates:
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return None


def change_license_id(text: str, known: dict[str, str]) -> str | None:
    """The SPDX id a Change License wording names, or None when it cannot be told.

    An SPDX id written as such wins; otherwise the wording, lower-cased with its
    punctuation and publisher remarks dropped, must be one of ``known``'s keys or start
    with one.
    """
    from policycheck.identify.spdx_list import spdx_license

    for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9.+-]*[A-Za-z0-9+]", text):
        listed = spdx_license(token)
        if listed is not None and ("-" in token or "." in token):
            return listed.id
    words = normalize_words(text)
    for wording in sorted(known, key=len, reverse=True):
        if words == wording or words.startswith(wording + " "):
            return known[wording]
    return None


def normalize_words(text: str) -> str:
    """Lower-cased words, punctuation dropped, "v2.0"/"version 2.0" kept as "2.0"."""
    text = re.sub(r"\bv(?=\d)", "", text.lower())
    text = re.sub(r"\bversion\b", "", text)
    text = re.sub(r"[^a-z0-9.+ ]+", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    return " ".join(text.split())
