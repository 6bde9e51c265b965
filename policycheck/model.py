"""What scanners find (Component) and what the evaluator concludes (Finding)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policycheck.errors import printable
from policycheck.policy import Verdict
from policycheck.versions import canonical_version


@dataclass(frozen=True)
class Location:
    """Where a component was found: file, 1-based line, and the text it came from."""

    path: str
    line: int | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        # Whatever a source read, no report line can be forged from it (see printable).
        object.__setattr__(self, "path", printable(self.path))
        if self.text is not None:
            object.__setattr__(self, "text", printable(self.text))

    def to_json(self) -> dict[str, Any]:
        """JSON form: path, line, text."""
        return {"path": self.path, "line": self.line, "text": self.text}

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Component:
    """A deployed engine as a source saw it, before any license reasoning.

    ``version`` is the text to resolve (``7.4.2``, ``7.2``, ``latest``) or None when it
    cannot be known from the input; ``unresolved`` then says why. ``provider`` names a
    cloud offering that runs the engine for you (e.g. ``aws-elasticache``).
    ``same_as`` is where the same deployment is declared with more detail (a chart's
    values.yaml for a templated image): when that place is scanned too, this component
    is a duplicate and is left out of the report.
    ``context`` says where the engine runs when that is not the deployment itself
    (``"ci"``: a CI job's service container), so a policy can treat it apart.
    ``disabled`` says why a declared component does not run by default (a chart value
    such as ``sentinel.enabled: false``); it is still reported, since one setting
    deploys it. ``notes`` are facts about how the component was found (pulled through a
    mirror, built from source, reached through a module call) that the finding repeats.
    """

    engine: str
    version: str | None
    location: Location | None = None
    unresolved: str | None = None
    floating: bool = False
    provider: str | None = None
    declared_license: str | None = None
    origin: str = "target"
    same_as: Location | None = None
    context: str | None = None
    disabled: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Effect:
    """An obligation or restriction a declared use triggers, for reports and checklists."""

    license: str
    use: str
    effect: str
    rationale: str
    clause: str
    url: str
    judgement: str | None
    #: What must hold for the effect to be as stated (shown in the finding's confirm list);
    #: not part of the JSON effect, which lists it under the finding's ``confirm``.
    condition: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "license": self.license,
            "use": self.use,
            "effect": self.effect,
            "rationale": self.rationale,
            "clause": self.clause,
            "url": self.url,
            "judgement": self.judgement,
        }


@dataclass(frozen=True)
class Alternative:
    """One side of an OR: its verdict, and whether it was elected (and why / why not)."""

    license: str
    verdict: Verdict
    rules: tuple[str, ...]
    elected: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "license": self.license,
            "verdict": str(self.verdict),
            "rules": list(self.rules),
            "elected": self.elected,
            "reason": self.reason,
        }


@dataclass
class Finding:
    """The verdict on one component, with everything needed to explain and defend it."""

    engine: str
    version: str | None
    verdict: Verdict
    rationale: list[str]
    requested: str | None = None
    engine_name: str | None = None
    license: str | None = None
    effective_license: str | None = None
    elected: str | None = None
    rules: list[str] = field(default_factory=list)
    converts: dict[str, str] | None = None
    location: Location | None = None
    pinned: bool = True
    resolved: bool = True
    provider: str | None = None
    obligations: list[Effect] = field(default_factory=list)
    restrictions: list[Effect] = field(default_factory=list)
    alternatives: list[Alternative] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    governance: dict[str, Any] | None = None
    waiver: dict[str, Any] | None = None
    suggestions: list[dict[str, str]] = field(default_factory=list)
    context: str | None = None
    disabled: str | None = None
    confirm: list[str] = field(default_factory=list)

    @property
    def requested_differs(self) -> bool:
        """Whether the input named something other than the release judged (a tag line
        such as ``7.2``, ``latest``), beyond how a version is spelled (``v1.25.0``)."""
        return bool(
            self.requested and self.version and canonical_version(self.requested) != self.version
        )

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: by file, line, engine, version."""
        loc = self.location
        return (
            loc.path if loc else "",
            (loc.line or 0) if loc else 0,
            self.engine,
            self.version or "",
            self.requested or "",
        )

    def to_json(self) -> dict[str, Any]:
        """The finding as documented in the report schema."""
        return {
            "engine": self.engine,
            "version": self.version,
            "requested": self.requested,
            "license": self.license,
            "effective_license": self.effective_license,
            "elected": self.elected,
            "verdict": str(self.verdict),
            "rules": list(self.rules),
            "rationale": list(self.rationale),
            "converts": self.converts,
            "location": self.location.to_json() if self.location else None,
            "pinned": self.pinned,
            "resolved": self.resolved,
            "provider": self.provider,
            "obligations": [e.to_json() for e in self.obligations],
            "restrictions": [e.to_json() for e in self.restrictions],
            "alternatives": [a.to_json() for a in self.alternatives],
            "evidence": list(self.evidence),
            "notes": list(self.notes),
            "governance": self.governance,
            "waiver": self.waiver,
            "suggestions": list(self.suggestions),
            "context": self.context,
            "disabled": self.disabled,
            "confirm": list(self.confirm),
        }
