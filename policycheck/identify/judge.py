"""A license file in, the license it is and the policy's verdict on it out.

The text is identified (``match``); a Business Source License text has its parameters
read (``busl``). The result is then judged like a catalogued release: the text becomes a
one-range engine whose license is what the file says, and the evaluator applies the BUSL
conversion for the as-of date, the effects per declared use and the policy's rules. What
policycheck cannot judge from the text is said and fails closed: an Additional Use Grant
is shown as a restriction legal must confirm (the verdict is the base BUSL terms'), a
relative Change Date cannot convert without the release's publication date, a title-only
identification or several texts in one file are at least review.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from policycheck.catalog import Busl, ContributorTerms, Engine, Evidence, Governance, LicenseRange
from policycheck.evaluate import Evaluator, ReleaseFacts
from policycheck.identify.busl import BuslParameters, parse_busl
from policycheck.identify.match import TITLE_CONFIDENCE, TextMatch, fingerprints, match_text
from policycheck.knowledge import knowledge
from policycheck.model import Finding
from policycheck.policy import Policy, Verdict
from policycheck.versions import Release, VersionRange

#: A confidence below this is an identification a person must confirm.
CONFIRMED_CONFIDENCE = 0.75


@dataclass
class Identified:
    """What ``identify`` says about one license file (schema ``identify``, one result)."""

    path: str
    license: str | None
    confidence: float
    matches: list[TextMatch]
    busl: BuslParameters | None
    finding: Finding
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON form, as documented in ``schemas/identify.schema.json``."""
        f = self.finding
        return {
            "path": self.path,
            "license": self.license,
            "confidence": self.confidence,
            "matches": [
                {"license": m.id, "confidence": m.confidence, "how": m.how} for m in self.matches
            ],
            "busl": self.busl.to_json() if self.busl else None,
            "verdict": str(f.verdict),
            "effective_license": f.effective_license,
            "converts": f.converts,
            "rules": list(f.rules),
            "rationale": list(f.rationale),
            "obligations": [e.to_json() for e in f.obligations],
            "restrictions": [e.to_json() for e in f.restrictions],
            "confirm": list(f.confirm),
        }


def identify_text(text: str, display: str, policy: Policy, as_of: dt.date) -> Identified:
    """Identify one license text and judge it under ``policy`` at ``as_of``."""
    matches = match_text(text)
    if not matches:
        finding = Finding(
            engine="license-file",
            version=None,
            verdict=Verdict.REVIEW,
            rationale=[
                f"{display}: no license text policycheck knows was recognised (neither the "
                "phrases of a license it has effects for, nor an SPDX License List name as "
                "its first line); a person must read it (fail closed)."
            ],
            resolved=False,
        )
        return Identified(display, None, 0.0, [], None, finding)
    busl = (
        parse_busl(text, fingerprints().change_licenses)
        if any(m.id == "BUSL-1.1" for m in matches)
        else None
    )
    expression = " AND ".join(m.id for m in matches)
    confidence = min(m.confidence for m in matches)
    finding = _judge(expression, matches, busl, display, policy, as_of)
    return Identified(display, expression, confidence, matches, busl, finding)


def _judge(
    expression: str,
    matches: list[TextMatch],
    busl: BuslParameters | None,
    display: str,
    policy: Policy,
    as_of: dt.date,
) -> Finding:
    lines: list[str] = []
    confirm: list[str] = []
    floor = Verdict.ALLOW
    conversion: Busl | None = None
    if busl is not None:
        conversion, busl_lines, busl_confirm, busl_floor = _busl_reading(busl, as_of)
        lines += busl_lines
        confirm += busl_confirm
        floor = max(floor, busl_floor)
    if len(matches) > 1:
        lines.append(
            f"The file holds {len(matches)} license texts ({', '.join(m.id for m in matches)}); "
            "policycheck judges them as applying together (AND), the cautious reading."
        )
        confirm.append(
            "Whether the license texts in this file apply together or are offered as a "
            "choice (OR); if a choice, the licensee may elect the one with the better verdict."
        )
        floor = max(floor, Verdict.REVIEW)
    for m in matches:
        if m.note:
            lines.append(f"{m.id}: {m.note}")
        if m.confidence < CONFIRMED_CONFIDENCE:
            floor = max(floor, Verdict.REVIEW)
            confirm.append(
                f"That the text is {m.id}: it was identified only because {m.how} "
                f"(confidence {m.confidence:.2f})."
            )
    name = busl.licensed_work if busl and busl.licensed_work else display
    engine = _described_engine(expression, conversion, display, name, busl, matches)
    base = Finding(engine=engine.id, version=None, verdict=Verdict.REVIEW, rationale=[])
    facts = ReleaseFacts(engine, None, engine.ranges[0], True, None, context="license-file")
    finding = Evaluator(policy, as_of).evaluate_release(base, facts)
    how = "; ".join(f"{m.id}: {m.how}" for m in matches)
    finding.rationale[0] = (
        f"{display} reads as {expression} (confidence "
        f"{min(m.confidence for m in matches):.2f}; {how})."
    )
    finding.rationale[1:1] = lines
    finding.confirm.extend(confirm)
    _no_record(finding, expression)
    if finding.verdict < floor:
        finding.rationale.append(
            f"Raised to {floor}: what the text leaves open (see confirm) is for a person to decide."
        )
        finding.verdict = floor
    return finding


def _busl_reading(
    busl: BuslParameters, as_of: dt.date
) -> tuple[Busl | None, list[str], list[str], Verdict]:
    """The catalog's BUSL record for these parameters (None when the conversion cannot be
    computed), with the sentences, confirmations and verdict floor they bring. Once the
    Change Date has passed the Change License applies and the grant no longer matters."""
    lines: list[str] = []
    confirm: list[str] = []
    floor = Verdict.ALLOW
    anniversary = (
        f"the {_ordinal(busl.anniversary_years)} anniversary of each version's first public "
        "distribution"
        + ("" if busl.anniversary_stated else " (the standard term; the text does not state it)")
    )
    missing = [
        label
        for label, value in (
            ("Licensor", busl.licensor),
            ("Change Date", busl.change_date or busl.change_date_text),
            ("Change License", busl.change_license_text),
        )
        if not value
    ]
    if missing:
        lines.append(
            f"The BUSL parameters block does not state {', '.join(missing)}; the terms cannot "
            "be fully read (fail closed)."
        )
        floor = Verdict.REVIEW
    if busl.change_license_text and busl.change_license is None:
        lines.append(
            f"The Change License {busl.change_license_text!r} is not a license policycheck can "
            "name with an SPDX id, so what the text converts to is unknown (fail closed)."
        )
        floor = Verdict.REVIEW
    conversion = None
    if busl.change_date is not None and busl.change_license is not None:
        conversion = Busl(
            busl.licensor or "not stated",
            busl.change_date,
            busl.change_license,
            busl.anniversary_years,
            None,
        )
    elif busl.change_date_text:
        lines.append(
            f"The Change Date is relative ({busl.change_date_text!r}); with {anniversary}, each "
            "version converts"
            + (f" to {busl.change_license}" if busl.change_license else "")
            + " on a date counted from its publication, which the license text does not give. "
            "Until that date is known the BUSL terms apply."
        )
        confirm.append(
            "The publication date of the version in use, from which its relative Change Date "
            f"({busl.change_date_text}) counts."
        )
    if busl.change_date is not None:
        lines.append(
            f"BUSL conversion: the Change Date {busl.change_date} or {anniversary}, whichever "
            "comes first."
        )
    converted = (
        conversion is not None
        and conversion.change_date is not None
        and as_of >= conversion.change_date
    )
    if not busl.grant_is_none and not converted:
        lines.append(
            f"The text makes an Additional Use Grant ({busl.licensor or 'licensor not stated'}; "
            "its words are under confirm). policycheck cannot read its conditions: the verdict "
            "is the base BUSL terms' one, and legal must confirm what the grant allows."
        )
        confirm.append(
            "What the Additional Use Grant permits and whether the declared uses stay within "
            f"it: {busl.additional_use_grant}"
        )
        floor = max(floor, Verdict.REVIEW)
    return conversion, lines, confirm, floor


def _described_engine(
    expression: str,
    conversion: Busl | None,
    display: str,
    name: str,
    busl: BuslParameters | None,
    matches: list[TextMatch],
) -> Engine:
    """A one-range engine carrying the license the file says, for the evaluator."""
    confident = all(m.confidence >= CONFIRMED_CONFIDENCE for m in matches)
    licensor = busl.licensor if busl and busl.licensor else "not stated"
    lic_range = LicenseRange(
        versions=VersionRange.parse(""),
        license=expression,
        verified_at_tags=confident,
        evidence=(
            Evidence(repo="license file", file=display, note="read by policycheck identify"),
        ),
        busl=conversion,
        grant=None,
        notes=(),
    )
    return Engine(
        id="license-file",
        name=name,
        kind="license-file",
        protocol="none",
        lineage=None,
        repository="",
        aliases=(),
        governance=Governance(
            licensor, "not-assessed", ContributorTerms("unknown", None, ()), (), ()
        ),
        images=(),
        derived_images=(),
        newest_known=Release("0", Version("0")),
        verified_note=None,
        ranges=(lic_range,),
        releases=(),
        release_notes=(),
    )


def _no_record(finding: Finding, expression: str) -> None:
    """Say which identified ids policycheck knows only by name (no effects record)."""
    from policycheck.identify.spdx_list import spdx_license

    for part in expression.split(" AND "):
        if knowledge().get(part) is not None:
            continue
        listed = spdx_license(part)
        if listed is not None:
            finding.rationale.append(
                f"{part} ({listed.name}) is on the SPDX License List but policycheck has no "
                "effects record for it: its effect per use is unknown (fail closed: review)."
            )


def identify_path(path: Path, display: str, policy: Policy, as_of: dt.date) -> Identified:
    """Read and identify one license file (bytes decoded as UTF-8, bad bytes replaced)."""
    text = path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
    return identify_text(text, display, policy, as_of)


def _ordinal(n: int) -> str:
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
    return words.get(n, f"{n}th")


def no_license_file(display: str) -> Identified:
    """The result for a folder that holds no license file: nothing to judge, review."""
    finding = Finding(
        engine="license-file",
        version=None,
        verdict=Verdict.REVIEW,
        rationale=[
            f"{display} holds no license file (LICENSE, LICENCE, COPYING, BSL, with or without an "
            "extension); without a license text nothing can be judged (fail closed)."
        ],
        resolved=False,
    )
    return Identified(display, None, 0.0, [], None, finding)


__all__ = ["CONFIRMED_CONFIDENCE", "TITLE_CONFIDENCE", "Identified", "identify_text"]
