"""The core: a component, a policy and a date in, a reasoned verdict out.

The order of reasoning is fixed and every step leaves a sentence in the rationale:
identify the engine, resolve the version to a catalogued license range (a numbered build
such as Redis Stack ``7.4.0-v3`` resolves to its release when the catalog says the engine
publishes builds), apply BUSL conversion for the as-of date, evaluate the license
expression under the declared uses (electing the best side of each OR, the worst of each
AND), then fail closed on anything that was assumed rather than known.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from packaging.version import Version

from policycheck import expression, failclosed
from policycheck.catalog import Engine, LicenseRange, catalog
from policycheck.expression import AllOf, AnyOf, Lic, Node
from policycheck.knowledge import Effect as EffectKind
from policycheck.knowledge import License, Use, UseEffect, knowledge
from policycheck.model import Alternative, Component, Effect, Finding, Location
from policycheck.policy import Election, Policy, Rule, Verdict
from policycheck.versions import canonical_version, line_interval, parse_version

USE_WORDS = {
    Use.INTERNAL: "internal use",
    Use.SAAS: "use behind your own SaaS",
    Use.MANAGED_SERVICE: "offering it as a managed service",
    Use.DISTRIBUTION: "distribution",
    Use.MODIFICATION: "modification",
}


@dataclass(frozen=True)
class ReleaseFacts:
    """What is known about the release being judged, for rule conditions."""

    engine: Engine
    version: Version | None
    range: LicenseRange
    pinned: bool
    provider: str | None
    build: str | None = None
    context: str = "deployment"


@dataclass
class Outcome:
    """Result of evaluating a (sub)expression."""

    verdict: Verdict
    chosen: Node
    fired: list[Rule] = field(default_factory=list)
    defaulted: bool = False
    obligations: list[Effect] = field(default_factory=list)
    restrictions: list[Effect] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    osi: bool = True
    unknown: list[str] = field(default_factory=list)
    alternatives: list[Alternative] = field(default_factory=list)
    elections: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    confirm: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _copy(finding: Finding, location: Location | None) -> Finding:
    """``finding`` at ``location``, its lists and mappings copied (their items are not
    changed in place by anyone: effects are frozen, evidence is read only)."""
    copied = object.__new__(Finding)
    copied.__dict__.update(
        {
            name: value.copy() if type(value) in (list, dict) else value
            for name, value in finding.__dict__.items()
        }
    )
    copied.location = location
    return copied


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


#: The origin every memo key carries (see ``Evaluator.evaluate``).
_ANY_ORIGIN = "target"


class Evaluator:
    """Evaluates components against one policy at one date."""

    def __init__(self, policy: Policy, as_of: dt.date) -> None:
        self.policy = policy
        self.as_of = as_of
        self._memo: dict[Component, Finding] = {}

    # -- entry point -------------------------------------------------------------------

    def evaluate(self, component: Component) -> Finding:
        """The finding for one component; never raises on unknown facts, reviews them.

        How the component was found (its context, whether it runs by default, and the
        source's notes) is carried over as stated: it explains the verdict, it does not
        change it. A policy that treats CI apart says so in a rule.

        Where and how a component was found (its location, notes, whether it is
        switched off, which kind of input named it) plays no part in the reasoning, so
        the finding is worked out once per component as found anywhere (a monorepo
        repeats its images, each through its own module call, and the alternatives judge
        each release of an engine) and handed out as a copy that carries the component's
        own location, notes and switch: callers may change their copy.
        """
        key = component
        if (
            component.location is not None
            or component.same_as is not None
            or component.notes
            or component.disabled is not None
            or component.origin != _ANY_ORIGIN
        ):
            key = replace(
                component,
                location=None,
                same_as=None,
                notes=(),
                disabled=None,
                origin=_ANY_ORIGIN,
            )
        finding = self._memo.get(key)
        if finding is None:
            finding = self._memo[key] = self._evaluate_anywhere(key)
        copied = _copy(finding, component.location)
        copied.disabled = component.disabled
        if component.notes:
            copied.notes[:0] = component.notes
        return copied

    def _evaluate_anywhere(self, component: Component) -> Finding:
        finding = self._evaluate(component)
        if finding.version is not None:
            finding.version = canonical_version(finding.version)
        finding.context = component.context
        return finding

    def _evaluate(self, component: Component) -> Finding:
        requested = component.version
        engine = catalog().get(component.engine)
        if engine is None:
            from policycheck.suggest import did_you_mean

            maybe = did_you_mean(component.engine, catalog().engines)
            rationale = [
                f"{component.engine!r} is not an engine in policycheck's catalog{maybe} Its "
                "license is unknown; a person must review it (fail closed)."
                if maybe
                else f"{component.engine!r} is not an engine in policycheck's catalog, so its "
                "license is unknown; a person must review it (fail closed)."
            ]
            if component.unresolved:  # the source could not tell which engine runs
                rationale = [
                    f"The engine could not be determined: {component.unresolved}.",
                    "Without the engine its license is unknown; a person must review it "
                    "(fail closed).",
                ]
            return Finding(
                engine=component.engine,
                version=component.version,
                requested=requested,
                verdict=Verdict.REVIEW,
                rules=[failclosed.UNKNOWN_ENGINE.id],
                resolved=False,
                location=component.location,
                provider=component.provider,
                rationale=rationale,
            )
        base = Finding(
            engine=engine.id,
            engine_name=engine.name,
            version=None,
            requested=requested,
            verdict=Verdict.REVIEW,
            rationale=[],
            location=component.location,
            provider=component.provider,
            governance=governance_json(engine),
        )
        if component.unresolved or component.version is None:
            return self._unresolved(base, engine, component.unresolved or "no version given")
        return self._resolve_and_evaluate(base, engine, component)

    def evaluate_release(self, base: Finding, facts: ReleaseFacts) -> Finding:
        """Judge a release described by its facts rather than found in the catalog.

        ``policycheck identify`` reads a license text someone proposes and describes it as
        a one-range engine; the reasoning (BUSL conversion, effects per use, rules, fail
        closed on unknown licenses) is the same as for a catalogued release.
        """
        return self._evaluate_release(base, facts, [], Component(facts.engine.id, None))

    # -- version resolution ------------------------------------------------------------

    def _unresolved(self, base: Finding, engine: Engine, why: str) -> Finding:
        eras = "; ".join(f"{r.license} for {r.versions}" for r in engine.ranges)
        base.resolved = False
        base.pinned = False
        base.verdict = Verdict.REVIEW
        base.rules = [failclosed.UNRESOLVED_VERSION.id]
        base.rationale = [
            f"The {engine.name} version could not be determined: {why}.",
            f"Without a version the license is unknown ({engine.name} has carried: {eras}); "
            "pin an exact version so the license can be checked (fail closed).",
        ]
        return base

    def _never_released(
        self, base: Finding, engine: Engine, version: Version, text: str
    ) -> Finding:
        """A version where every release is recorded, yet none of them: a typo, a
        pre-release form upstream never tagged, or a release newer than the catalog."""
        line = (version.release + (0, 0))[:2]
        newest = engine.newest_in_line(
            Version(f"{line[0]}.{line[1]}"), Version(f"{line[0]}.{line[1] + 1}")
        )
        in_line = (
            f"; the newest release of the {line[0]}.{line[1]} line is {newest.canonical}"
            if newest
            else f"; no {line[0]}.{line[1]} release is recorded at all"
        )
        base.version = None
        base.resolved = False
        base.verdict = Verdict.REVIEW
        base.rules = [failclosed.NO_SUCH_RELEASE.id]
        base.rationale = [
            f"No {engine.name} release {text} is recorded{in_line}. The catalog lists every "
            f"{engine.name} release from {engine.releases_complete_from} to "
            f"{engine.newest_known.canonical}, so this version names none: check it for a "
            "typo or an untagged build (fail closed).",
            f"If {engine.name} published it after the catalog was made, the catalog needs "
            f"updating before its license can be judged ({engine.verified_note or 'no note'}).",
        ]
        return base

    def _resolve_and_evaluate(self, base: Finding, engine: Engine, c: Component) -> Finding:
        text = (c.version or "").strip()
        pinned = not c.floating
        notes: list[str] = []
        version: Version | None
        lic_range: LicenseRange | None
        split: tuple[str, str] | None = None  # (release, build) of a numbered build
        if text.lower() in ("latest", "stable", ""):
            release = engine.newest_known
            version = release.version
            pinned = False
            notes.append(
                f"'{text or 'no tag'}' floats: it resolves to the newest catalogued release "
                f"{release} today, and the license can change under you when a new release ships."
            )
            lic_range = engine.range_for(version)
            base.version = str(release)
        elif (line := line_interval(text)) is not None:
            low, high = line
            pinned = False
            newest = engine.newest_in_line(low, high)
            lic_range = next(
                (r for r in engine.ranges if r.versions.covers_interval(low, high)), None
            )
            version = newest.version if newest else low
            base.version = str(newest) if newest else text
            notes.append(
                f"'{text}' names a release line, not a release: it resolves to "
                + (
                    f"the newest catalogued {text}.x release {newest}"
                    if newest
                    else "no catalogued release"
                )
                + "; pin an exact version to be sure of the license."
            )
            if lic_range is None:
                spans = sorted({r.license for r in engine.ranges if _overlaps(r, low, high)})
                base.version = text
                return self._unresolved(
                    base,
                    engine,
                    f"the {text} line spans license eras ({' / '.join(spans) or 'none catalogued'})",
                )
        else:
            # A declared build suffix is split off first: data says it is a build, even
            # where the text would also parse as a version (7.4.0-1 as a post-release).
            split = engine.build_suffix.split(text) if engine.build_suffix else None
            release_text = split[0] if split else text
            version = parse_version(release_text)
            if version is None:
                why = f"{text!r} is not a version"
                if engine.build_suffix is not None:
                    why += (
                        f", nor a release followed by a {engine.name} build suffix "
                        f"(one matching {engine.build_suffix.pattern.pattern})"
                    )
                return self._unresolved(base, engine, why)
            if version.local is not None:
                # "1.15.0+ent": a vendor's own build of a release (HashiCorp tags its
                # Enterprise and Pro builds so), under terms the source release does not tell.
                return self._unresolved(
                    base,
                    engine,
                    f"{text!r} carries the build label '+{version.local}', which names a "
                    "vendor build rather than an upstream release (HashiCorp's +ent and +pro "
                    "builds are Enterprise editions under commercial terms)",
                )
            lic_range = engine.range_for(version)
            base.version = release_text
            if engine.never_released(version):
                return self._never_released(base, engine, version, text)
            if split is not None and engine.build_suffix is not None:
                notes.append(
                    f"'{text}' is build {split[1]} of the {engine.name} {release_text} line and "
                    f"carries that line's license. {engine.build_suffix.meaning} Tag scheme: "
                    f"{engine.build_suffix.evidence.cite()}."
                )
        base.pinned = pinned
        if lic_range is None:
            base.verdict = Verdict.REVIEW
            base.resolved = True
            base.rules = [failclosed.UNCATALOGUED_VERSION.id]
            base.rationale = [
                f"No catalogued license range of {engine.name} covers version {text}; "
                "policycheck will not guess its license (fail closed)."
            ]
            if version is not None:
                base.rationale += [
                    rn.note + (f" ({rn.evidence.cite()})" if rn.evidence else "")
                    for rn in engine.notes_for(version)
                ]
            return base
        assumed = version > engine.newest_known.version
        assumed_because = failclosed.NEWER_THAN_KNOWN
        if engine.past_its_line(version):
            assumed = True
            assumed_because = failclosed.NO_SUCH_RELEASE
            notes.append(
                f"No {engine.name} release {base.version} is recorded: it is newer than every "
                f"recorded release of its line, though the catalog lists every release up to "
                f"{engine.newest_known}. It may have shipped after the catalog was made, or be "
                f"a typo; the license {lic_range.license} is assumed from the range that holds "
                "it, so a person must confirm both."
            )
        elif assumed:
            notes.append(
                f"{engine.name} {base.version} is newer than the newest release verified at its "
                f"tag ({engine.newest_known}); the license {lic_range.license} is assumed "
                "from the latest catalogued range, so a person must confirm it."
            )
        facts = ReleaseFacts(
            engine,
            version,
            lic_range,
            pinned,
            c.provider,
            build=split[1] if split else None,
            context=c.context or "deployment",
        )
        finding = self._evaluate_release(base, facts, notes, c)
        if assumed:
            finding.rules = sorted({*finding.rules, assumed_because.id})
            finding.confirm.append(
                f"{engine.name} {finding.version} is licensed {lic_range.license} at its own "
                "tag: the catalog has not read that release's license file."
            )
        if assumed and finding.verdict < Verdict.REVIEW:
            finding.verdict = Verdict.REVIEW
            finding.rationale.append(
                "Raised to review: the license of an unverified release is an assumption."
            )
        return finding

    # -- license reasoning -------------------------------------------------------------

    def _evaluate_release(
        self, f: Finding, facts: ReleaseFacts, notes: list[str], c: Component
    ) -> Finding:
        engine, lic_range = facts.engine, facts.range
        f.license = lic_range.license
        f.evidence = [e.to_json() for e in lic_range.evidence]
        tree = expression.parse(lic_range.license)
        cite = "; ".join(e.cite() for e in lic_range.evidence[:2])
        verified = (
            "" if lic_range.verified_for(facts.version) else " (not verified at upstream tags)"
        )
        lines = [
            f"{engine.name} {f.version} is licensed {lic_range.license} "
            f"(releases {lic_range.versions}; evidence: {cite}){verified}."
        ]
        grant_active = lic_range.grant is not None
        unknown_conversion = False
        if lic_range.busl is not None:
            tree, converted_line, converts = self._busl(tree, facts)
            lines.append(converted_line)
            f.converts = converts
            grant_active = grant_active and converts is not None
            unknown_conversion = converts is not None and converts["date"] == "unknown"
        if c.declared_license:
            notes.append(f"The input declares the license {c.declared_license}.")
        f.effective_license = str(tree)
        election = self._election(facts, tree)
        outcome = self._node(tree, facts, grant_active, election)
        if outcome.unknown:
            lines.append(
                "Not in policycheck's license knowledge (no effects record): "
                + ", ".join(sorted(set(outcome.unknown)))
                + "; its effect cannot be assessed (fail closed: at least review)."
            )
        if facts.provider:
            lines.append(
                f"Run by a cloud provider ({facts.provider}): the provider holds the engine's "
                "license, so your declared uses do not trigger its obligations or restrictions."
            )
        else:
            for e in outcome.effects:
                lines.append(_effect_sentence(e))
        f.elected = str(outcome.chosen) if outcome.alternatives else None
        lines.extend(outcome.elections)
        lines.extend(outcome.lines)
        for rule in _unique(outcome.fired):
            lines.append(f"Rule {rule.id} ({rule.verdict}): {rule.rationale}")
        if outcome.defaulted:
            lines.append(
                f"No rule of policy {self.policy.name} matched; its default applies "
                f"({self.policy.default_verdict}): {self.policy.default_rationale}"
            )
        f.verdict = outcome.verdict
        if unknown_conversion and f.verdict < Verdict.REVIEW:
            f.verdict = Verdict.REVIEW
            lines.append(
                "Raised to review: without the release date the conversion date of a relative "
                "BUSL Change Date is unknown, so the license in force is not certain."
            )
        f.rules = _rule_ids(outcome)
        if not facts.provider:
            f.obligations = _dedupe(outcome.obligations)
            f.restrictions = _dedupe(outcome.restrictions)
            f.confirm = list(dict.fromkeys(outcome.confirm + self._duties(facts)))
        if not lic_range.verified_for(facts.version):
            # Provider-managed too: whoever runs it, the fact itself is unconfirmed.
            f.confirm.insert(
                0,
                f"{engine.name} {f.version} is licensed {lic_range.license}: policycheck did "
                "not read this at an upstream release tag, so check the license file at the "
                "release's own tag before relying on it.",
            )
        f.alternatives = outcome.alternatives
        for n in lic_range.notes:
            notes.append(n)
        if facts.version is not None:
            for rn in engine.notes_for(facts.version):
                notes.append(rn.note + (f" ({rn.evidence.cite()})" if rn.evidence else ""))
        f.notes = notes
        f.rationale = lines + [n for n in notes if not n.startswith("The input declares")]
        if c.declared_license:
            clash = expression.license_disagreement(c.declared_license, lic_range.license)
            if clash:
                f.rationale.append(f"{engine.name} {f.version}: {clash}")
                f.notes.append(clash)
            else:
                f.rationale.append(
                    f"The input declares the license {c.declared_license}, which agrees with the catalog."
                )
        return f

    def _busl(self, tree: Node, facts: ReleaseFacts) -> tuple[Node, str, dict[str, str] | None]:
        busl = facts.range.busl
        assert busl is not None
        # The catalog dates releases, not builds: a later build of a release is not as old as
        # the release, so its anniversary is unknown and only the Change Date can be trusted.
        released = (
            facts.engine.release_date(facts.version)
            if facts.version is not None and facts.build is None
            else None
        )
        if busl.change_date is None:
            return self._busl_relative(tree, facts, released)
        on = "on"
        if released is not None:
            anniversary = add_years(released, busl.anniversary_years)
            date = min(busl.change_date, anniversary)
            how = (
                f"the earlier of its Change Date {busl.change_date} and the "
                f"{_ordinal(busl.anniversary_years)} anniversary of its release on {released} "
                "(tag commit date)"
            )
            if anniversary < busl.change_date:
                # The license counts from first public distribution, which the catalog does
                # not know: the tag commit date is the earliest it can be.
                on = "on or after"
                how += (
                    "; the term runs from the release's first public distribution, which can "
                    "be later than the tag commit, so the conversion can come later than this date"
                )
        else:
            date = busl.change_date
            how = (
                f"its Change Date {busl.change_date} at the latest (the release date is not "
                "catalogued, so an earlier anniversary cannot be computed)"
            )
        return self._busl_at(tree, busl.licensor, busl.change_license, date, how, on)

    def _busl_relative(
        self, tree: Node, facts: ReleaseFacts, released: dt.date | None
    ) -> tuple[Node, str, dict[str, str] | None]:
        """A Change Date counted from publication converts each release on its own date.

        Without the release date no conversion date can be computed: the BUSL terms are
        taken to apply, and ``converts`` says the date is unknown (the finding is raised to
        review by the caller).
        """
        busl = facts.range.busl
        assert busl is not None and busl.change_after_years is not None
        rule = busl.change_date_text or f"{busl.change_after_years} years after publication"
        if released is None:
            return (
                tree,
                f"BUSL-1.1 (licensor {busl.licensor}); its Change Date is relative ({rule}), "
                f"and the date {facts.engine.name} {facts.version} was published is not "
                "catalogued, so when it converts to "
                f"{busl.change_license} cannot be computed: the BUSL terms are taken to apply "
                "(fail closed).",
                {"date": "unknown", "to": busl.change_license},
            )
        years = min(busl.change_after_years, busl.anniversary_years)
        date = add_years(released, years)
        how = (
            f"{years} years after its release on {released} (tag commit date), from its "
            f"relative Change Date ({rule})"
            + (
                f" and the {_ordinal(busl.anniversary_years)} anniversary cap of the BUSL terms"
                if busl.anniversary_years <= busl.change_after_years
                else ""
            )
            + "; publication can be later than the tag commit, so the conversion can come "
            "later than this date"
        )
        return self._busl_at(tree, busl.licensor, busl.change_license, date, how, "on or after")

    def _busl_at(
        self,
        tree: Node,
        licensor: str,
        change_license: str,
        date: dt.date,
        how: str,
        on: str = "on",
    ) -> tuple[Node, str, dict[str, str] | None]:
        if self.as_of >= date:
            converted = _replace_license(tree, "BUSL-1.1", change_license)
            return (
                converted,
                f"This BUSL-1.1 release converted to {change_license} {on} {date}, {how}; "
                f"as of {self.as_of} {change_license} applies.",
                None,
            )
        return (
            tree,
            f"BUSL-1.1 (licensor {licensor}); converts to {change_license} {on} "
            f"{date}, {how}. Until then the BUSL terms apply.",
            {"date": date.isoformat(), "to": change_license},
        )

    def _election(self, facts: ReleaseFacts, tree: Node) -> Election | None:
        for e in self.policy.elections:
            if e.engine != facts.engine.id:
                continue
            if e.versions is not None and (
                facts.version is None or not e.versions.contains(facts.version)
            ):
                continue
            if any(lic.key == e.license for lic in expression.licenses_in(tree)):
                return e
        return None

    def _node(
        self, node: Node, facts: ReleaseFacts, grant: bool, election: Election | None
    ) -> Outcome:
        if isinstance(node, Lic):
            return self._single(node, facts, grant)
        if isinstance(node, AllOf):
            parts = [self._node(p, facts, grant, election) for p in node.parts]
            out = Outcome(
                verdict=max(p.verdict for p in parts),
                chosen=AllOf(tuple(p.chosen for p in parts)),
                osi=all(p.osi for p in parts),
            )
            for p in parts:
                _merge(out, p)
                out.defaulted = out.defaulted or p.defaulted
            return out
        return self._any_of(node, facts, grant, election)

    def _any_of(
        self, node: AnyOf, facts: ReleaseFacts, grant: bool, election: Election | None
    ) -> Outcome:
        options = [self._node(o, facts, grant, election) for o in node.options]
        ranked = sorted(range(len(options)), key=lambda i: _rank(options[i], i))
        forced = None
        if election is not None:
            forced = next(
                (
                    i
                    for i, o in enumerate(node.options)
                    if isinstance(o, Lic) and o.key == election.license
                ),
                None,
            )
        best = forced if forced is not None else ranked[0]
        win = options[best]
        out = Outcome(verdict=win.verdict, chosen=win.chosen, osi=win.osi, defaulted=win.defaulted)
        _merge(out, win)
        tied = [o for o in options if o is not win and o.verdict == win.verdict]
        # Electing between options that are all denied changes nothing to confirm.
        if forced is None and tied and not facts.provider and win.verdict < Verdict.DENY:
            out.confirm.append(self._election_needed(facts, node, win, options))
        out.alternatives = list(win.alternatives)
        if forced is not None and election is not None:
            out.elections.append(
                f"Elected {win.chosen} from {node} by the policy's recorded election "
                f"(approved by {election.approved_by}"
                + (f" on {election.approved_on}" if election.approved_on else "")
                + f": {election.reason})."
            )
        else:
            out.elections.append(
                f"Elected {win.chosen} from {node}: the licensee may choose any one "
                f"alternative and it gives the best verdict ({win.verdict})."
            )
        for i, opt in enumerate(options):
            if i == best:
                reason = (
                    "elected by the policy's recorded election"
                    if forced is not None
                    else "best verdict"
                )
                if forced is None and len(options) > 1:
                    runner = options[ranked[1]] if ranked[0] == i else None
                    if runner is not None and runner.verdict == win.verdict:
                        reason = "tie on verdict; " + _tie_reason(win, runner)
            else:
                reason = _loss_reason(opt, win, forced is not None)
                out.elections.append(f"{opt.chosen} not elected: {reason}.")
            out.alternatives.append(
                Alternative(
                    str(opt.chosen),
                    opt.verdict,
                    tuple(_rule_ids(opt)),
                    i == best,
                    reason,
                )
            )
        return out

    def _single(self, lic: Lic, facts: ReleaseFacts, grant_active: bool) -> Outcome:
        record = knowledge().get(lic.key)
        # A recorded exception that takes rights away (the Commons Clause) states the
        # effects of its base license with it attached: it stands in for the base record.
        exception = knowledge().get(lic.exception) if lic.exception else None
        recorded_exception = exception is not None and record is not None
        if exception is not None and record is not None and exception.restricts(record.id):
            record = exception
        else:
            recorded_exception = False
        out = Outcome(verdict=Verdict.ALLOW, chosen=lic, osi=bool(record and record.osi_approved))
        if record is None:
            out.unknown.append(lic.key)
        effects: list[UseEffect] = []
        if record is not None and not facts.provider:
            grant = facts.range.grant if grant_active else None
            granted = grant is not None and grant.license == record.id
            table = grant.effects if grant is not None and granted else record.effects
            effects = [table[u] for u in self.policy.uses]
            if grant is not None and granted and facts.version is not None:
                # Link the grant's text at the judged release's own tag.
                url = grant.url_for(str(facts.version))
                effects = [replace(ue, url=url) for ue in effects]
        declared = set(self.policy.uses)
        for ue in effects:
            condition = ue.confirm if ue.confirm and not declared & set(ue.confirm_unless) else None
            if condition:
                out.confirm.append(condition)
            e = Effect(
                license=str(lic),
                use=ue.use.value,
                effect=ue.effect.value,
                rationale=ue.rationale,
                clause=ue.clause,
                url=ue.url,
                judgement=ue.judgement,
                condition=condition,
            )
            out.effects.append(e)
            if ue.effect is EffectKind.OBLIGATION:
                out.obligations.append(e)
            elif ue.effect is EffectKind.RESTRICTION:
                out.restrictions.append(e)
        fired = [r for r in self.policy.rules if self._matches(r, facts, lic, record, effects)]
        out.fired = fired
        if fired:
            out.verdict = max(r.verdict for r in fired)
        else:
            out.verdict = self.policy.default_verdict
            out.defaulted = True
        if record is None and out.verdict < Verdict.REVIEW:
            out.verdict = Verdict.REVIEW
        if lic.exception and lic.exception.startswith("LicenseRef-") and not recorded_exception:
            # SPDX-listed exceptions only add permissions; a LicenseRef one (e.g. the Commons
            # Clause) may take rights away, and we have no record of what it does.
            out.unknown.append(f"{lic.exception} (attached to {lic.key} with WITH)")
            out.verdict = max(out.verdict, Verdict.REVIEW)
        if out.unknown:
            out.reasons.append(failclosed.UNKNOWN_LICENSE.id)
        self._defects(lic, facts, out)
        return out

    def _defects(self, lic: Lic, facts: ReleaseFacts, out: Outcome) -> None:
        """A license option the release's own file does not carry is reviewed, whatever
        the policy says: electing it rests on an intent, not on the text shipped."""
        if facts.version is None:
            return
        for note in facts.engine.notes_for(facts.version):
            defect = note.defective_license
            if defect is None or defect.license != lic.key:
                continue
            j = knowledge().judgements.get(defect.judgement)
            out.verdict = max(out.verdict, failclosed.DEFECTIVE_LICENSE_TEXT.verdict)
            out.reasons.append(failclosed.DEFECTIVE_LICENSE_TEXT.id)
            out.lines.append(
                f"Raised to review: {facts.engine.name} {facts.version}'s license file does not "
                f"carry the {lic.key} text it names ({note.note}) Judgement call "
                f"{defect.judgement}" + (f" ({j.title})" if j else "") + ": use "
                f"{defect.use_instead} or later, or have counsel confirm {lic.key} is granted."
            )
            out.confirm.append(
                f"Counsel accepts that {facts.engine.name} {facts.version} is offered under "
                f"{lic.key} although its license file carries another text ({defect.judgement}); "
                f"otherwise upgrade to {defect.use_instead} or later, whose file is corrected."
            )

    def _duties(self, facts: ReleaseFacts) -> list[str]:
        """Duties the catalog records for these releases under the declared uses."""
        if facts.version is None:
            return []
        declared = set(self.policy.uses)
        return [
            n.confirm.statement
            for n in facts.engine.notes_for(facts.version)
            if n.confirm is not None and declared & set(n.confirm.uses)
        ]

    def _election_needed(
        self, facts: ReleaseFacts, node: AnyOf, win: Outcome, options: list[Outcome]
    ) -> str:
        """Options that tie on the verdict are not a legal choice: ask for a recorded one."""
        consequences = " ".join(
            f"({i}) {o.chosen}: {_consequence(o, self.policy.uses)}."
            for i, o in enumerate(options, 1)
        )
        return (
            f"No election between {node} is recorded for {facts.engine.name}: the options "
            f"tie on the verdict ({win.verdict}), which is not a legal reason to take "
            f"{win.chosen}. Counsel elects one and records it in the policy's elections. "
            f"{consequences}"
        )

    def _matches(
        self,
        rule: Rule,
        facts: ReleaseFacts,
        lic: Lic,
        record: License | None,
        effects: list[UseEffect],
    ) -> bool:
        w = rule.when
        if facts.provider is not None and not w.mentions_provider:
            return False
        if w.provider_managed is not None and (facts.provider is not None) != w.provider_managed:
            return False
        if w.contexts is not None and facts.context not in w.contexts:
            return False
        if w.licenses is not None and (record is None or record.id not in w.licenses):
            return False
        category = record.category if record else "unknown"
        if w.categories is not None and category not in w.categories:
            return False
        if w.osi_approved is not None and bool(record and record.osi_approved) != w.osi_approved:
            return False
        if w.fsf_libre is not None and bool(record and record.fsf_libre) != w.fsf_libre:
            return False
        if w.triggers is not None:
            wanted = (
                {EffectKind.RESTRICTION}
                if w.triggers == "restriction"
                else {EffectKind.OBLIGATION, EffectKind.RESTRICTION}
            )
            counted = [e for e in effects if w.uses is None or e.use in w.uses]
            if not any(e.effect in wanted for e in counted):
                return False
        if w.judgement_call is not None and any(e.judgement for e in effects) != w.judgement_call:
            return False
        if w.engines is not None and facts.engine.id not in w.engines:
            return False
        if w.versions is not None and (
            facts.version is None or not w.versions.contains(facts.version)
        ):
            return False
        if (
            w.governance_models is not None
            and facts.engine.governance.model not in w.governance_models
        ):
            return False
        if (
            w.contributor_terms is not None
            and facts.engine.governance.cla.kind not in w.contributor_terms
        ):
            return False
        if w.pinned is not None and facts.pinned != w.pinned:
            return False
        return w.verified_at_tags is None or (
            facts.range.verified_for(facts.version) == w.verified_at_tags
        )


def _rank(o: Outcome, index: int) -> tuple[int, int, int, int, int]:
    """Election order: best verdict, then fewer restrictions and obligations, then OSI."""
    return (int(o.verdict), len(o.restrictions), len(o.obligations), 0 if o.osi else 1, index)


def _tie_reason(win: Outcome, other: Outcome) -> str:
    if len(win.restrictions) != len(other.restrictions):
        return (
            f"fewer triggered restrictions ({len(win.restrictions)} vs {len(other.restrictions)})"
        )
    if len(win.obligations) != len(other.obligations):
        return f"fewer triggered obligations ({len(win.obligations)} vs {len(other.obligations)})"
    if win.osi != other.osi:
        return "OSI-approved"
    return "equal on every criterion; the first listed alternative is taken"


def _loss_reason(opt: Outcome, win: Outcome, forced: bool) -> str:
    if forced:
        return f"the policy elects {win.chosen} instead (this alternative's verdict: {opt.verdict})"
    if opt.verdict != win.verdict:
        return f"its verdict is {opt.verdict}, worse than {win.verdict}"
    return f"same verdict ({opt.verdict}) but {win.chosen} wins the tie-break: " + _tie_reason(
        win, opt
    )


def _rule_ids(o: Outcome) -> list[str]:
    """What produced an outcome's verdict: rules fired, fail-closed reasons, the default."""
    ids = {r.id for r in o.fired} | set(o.reasons)
    if o.defaulted:
        ids.add(failclosed.POLICY_DEFAULT)
    return sorted(ids)


def _consequence(o: Outcome, uses: tuple[Use, ...] | list[Use]) -> str:
    """What one license option is and does, under the declared uses and beyond them."""
    declared = [
        f"{e.effect} under {USE_WORDS.get(Use(e.use), e.use)}"
        for e in o.effects
        if e.effect != "none"
    ]
    now = ", ".join(dict.fromkeys(declared)) or "no condition under the declared uses"
    beyond: list[str] = []
    about = ""
    if isinstance(o.chosen, Lic) and (record := knowledge().get(o.chosen.key)) is not None:
        about = f"{record.summary} "
        beyond = [
            f"{ue.effect} under {USE_WORDS[u]}"
            for u, ue in record.effects.items()
            if u not in uses and ue.effect != EffectKind.NONE
        ]
    later = f"; if the use changes: {', '.join(beyond)}" if beyond else ""
    return f"{about}Now: {now}{later}"


def _merge(into: Outcome, part: Outcome) -> None:
    into.fired.extend(part.fired)
    into.obligations.extend(part.obligations)
    into.restrictions.extend(part.restrictions)
    into.effects.extend(part.effects)
    into.unknown.extend(part.unknown)
    into.alternatives.extend(part.alternatives)
    into.elections.extend(part.elections)
    into.reasons.extend(part.reasons)
    into.confirm.extend(part.confirm)
    into.lines.extend(part.lines)


def _replace_license(node: Node, old: str, new: str) -> Node:
    if isinstance(node, Lic):
        return replace(node, key=new) if node.key == old else node
    if isinstance(node, AnyOf):
        return AnyOf(tuple(_replace_license(o, old, new) for o in node.options))
    return AllOf(tuple(_replace_license(p, old, new) for p in node.parts))


def _overlaps(r: LicenseRange, low: Version, high: Version) -> bool:
    return r.versions.contains(low) or any(low <= b < high for _, b in r.versions.bounds)


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")


def _effect_sentence(e: Effect) -> str:
    use = USE_WORDS.get(Use(e.use), e.use)
    kind = {"none": "no condition", "obligation": "obligation", "restriction": "restriction"}[
        e.effect
    ]
    judged = ""
    if e.judgement:
        j = knowledge().judgements.get(e.judgement)
        judged = f" Judgement call {e.judgement}" + (f" ({j.title})" if j else "") + "."
    if e.condition:
        condition = e.condition.rstrip(".")
        kind += " provided it is confirmed that: " + condition[0].lower() + condition[1:]
    return f"{e.license}, {use}: {kind}. {e.rationale} [{e.clause}; {e.url}]{judged}"


def _unique(rules: list[Rule]) -> list[Rule]:
    seen: dict[str, Rule] = {}
    for r in rules:
        seen.setdefault(r.id, r)
    return list(seen.values())


def _dedupe(effects: list[Effect]) -> list[Effect]:
    return list(dict.fromkeys(effects))


def governance_json(engine: Engine) -> dict[str, object]:
    """Governance facts of an engine for findings and reports."""
    g = engine.governance
    return {
        "steward": g.steward,
        "model": g.model,
        "cla": g.cla.to_json(),
        "history": [
            {"date": d, "event": ev, "evidence": e.to_json() if e else None}
            for d, ev, e in g.history
        ],
    }
