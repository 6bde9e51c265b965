"""Suggesting a way out: engines that speak the same protocol and pass the same policy.

When a finding is review or deny, the most useful next sentence is "what would pass?".
We look at two places: other catalogued servers speaking the same wire protocol (newest
verified release), and earlier releases of the same engine (the last one that passes).
Results are cached per engine and version, since a monorepo repeats the same images.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from policycheck.catalog import Engine, catalog
from policycheck.data import current_bundled_digest, remembered_store
from policycheck.evaluate import Evaluator
from policycheck.model import Component, Finding
from policycheck.policy import Verdict

#: Kinds that run on their own (a server, or a command-line tool such as Terraform), so
#: another engine of the same kind and protocol can replace them.
STANDALONE = frozenset({"server", "tool"})


@dataclass(frozen=True)
class Suggestion:
    """A catalogued release that passes the same policy, and why it is a fit."""

    engine: str
    version: str
    verdict: Verdict
    license: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """JSON form."""
        return {
            "engine": self.engine,
            "version": self.version,
            "verdict": str(self.verdict),
            "license": self.license,
            "reason": self.reason,
        }


class Advisor:
    """Finds passing alternatives with one Evaluator (same policy, uses and date)."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self._cache: dict[tuple[str, str], list[Suggestion]] = {}
        # What each engine's newest passing release is depends only on the catalog, the
        # policy, the uses and the date: remembered across runs (see ``save``), since
        # finding it walks up to a hundred releases an engine.
        self._store = remembered_store(
            "advice",
            [
                current_bundled_digest(),
                evaluator.policy.sha256,
                ",".join(u.value for u in evaluator.policy.uses),
                evaluator.as_of.isoformat(),
            ],
        )
        stored = self._store.load() if self._store is not None else None
        self._passing: dict[str, Finding | None] = stored[0] if stored else {}
        self._passing_release: dict[str, Finding | None] = stored[1] if stored else {}
        self._known = (len(self._passing), len(self._passing_release))

    def save(self) -> None:
        """Keep what this run worked out for the next run with the same inputs."""
        if self._store is not None and self._known != (
            len(self._passing),
            len(self._passing_release),
        ):
            self._store.save((self._passing, self._passing_release))
            self._known = (len(self._passing), len(self._passing_release))

    def _newest_passing(self, engine: Engine) -> Finding | None:
        """The newest release of ``engine`` that passes, judged only for engines some
        finding could be offered (those speaking its protocol), once each."""
        if engine.id not in self._passing:
            f = self.evaluator.evaluate(Component(engine.id, engine.newest_known.text))
            # The newest release may not pass where an older one does (its facts unverified).
            passing = f if f.verdict == Verdict.ALLOW else self._newest_passing_release(engine)
            self._passing[engine.id] = passing
        return self._passing[engine.id]

    def suggest(self, finding: Finding) -> list[Suggestion]:
        """Alternatives for a review or deny finding; empty for allow or unknown engines."""
        engine = catalog().get(finding.engine)
        if finding.verdict == Verdict.ALLOW or engine is None:
            return []
        key = (engine.id, finding.version or "")
        if key not in self._cache:
            self._cache[key] = self._same_engine(engine, finding) + self._same_protocol(
                engine, finding
            )
        return self._cache[key]

    def _same_protocol(self, engine: Engine, finding: Finding) -> list[Suggestion]:
        if engine.kind not in STANDALONE:
            return []  # a server is no replacement for a module or a bundle of modules
        ranked: list[tuple[tuple[int, float, str], Suggestion]] = []
        for other in catalog().engines.values():
            other_id = other.id
            if other_id == engine.id or other.protocol != engine.protocol:
                continue
            if other.kind not in STANDALONE or (f := self._newest_passing(other)) is None:
                continue
            compat = other.compatibility
            # Drop-ins first, then forks by how far they follow the engine (Valkey: Redis
            # 7.2 before KeyDB: Redis 6.2), then engines that only speak the protocol.
            if engine.lineage and other.lineage == engine.lineage:
                if compat is None or compat.covers(engine.id, _version(finding)):
                    why = f"same {engine.lineage} lineage and protocol: a drop-in replacement"
                    if compat is not None:
                        why += f" ({compat.summary})"
                    rank: tuple[int, float, str] = (0, 0.0, other_id)
                else:
                    why = f"same {engine.lineage} lineage and protocol, but {compat.summary}"
                    up_to = compat.up_to
                    rank = (1, -(up_to.major * 1000 + up_to.minor), other_id)
            else:
                why = f"speaks the same protocol ({engine.protocol}); check command compatibility"
                rank = (2, 0.0, other_id)
            suggestion = Suggestion(
                other_id, f.version or "", f.verdict, f.effective_license or "", why
            )
            ranked.append((rank, suggestion))
        return [s for _, s in sorted(ranked, key=lambda item: item[0])]

    def _same_engine(self, engine: Engine, finding: Finding) -> list[Suggestion]:
        """The newest release of the same engine that passes (may be the same line, pinned)."""
        f = self._newest_passing_release(engine)
        if f is None:
            return []
        return [
            Suggestion(
                engine.id,
                f.version or "",
                f.verdict,
                f.effective_license or "",
                f"the newest {engine.name} release that passes this policy",
            )
        ]

    def _newest_passing_release(self, engine: Engine) -> Finding | None:
        """The newest final release of ``engine`` that passes; walked once per engine
        (an engine none of whose releases passes is walked whole)."""
        if engine.id not in self._passing_release:
            self._passing_release[engine.id] = self._walk_releases(engine)
        return self._passing_release[engine.id]

    def _walk_releases(self, engine: Engine) -> Finding | None:
        for release, _ in reversed(engine.releases):
            if release.version.is_prerelease:
                continue
            f = self.evaluator.evaluate(Component(engine.id, release.text))
            if f.verdict == Verdict.ALLOW:
                return f
        return None


def _version(finding: Finding) -> Version | None:
    """The finding's release as a version, when it has one."""
    try:
        return Version(finding.version) if finding.version else None
    except InvalidVersion:
        return None
