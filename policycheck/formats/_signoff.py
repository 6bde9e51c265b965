"""What the legal sign-off report says, independent of how it is drawn.

The Markdown and HTML formats must say exactly the same things, so the wording lives
here once: ``build_document`` turns a Report into a small tree of plain-text blocks
(headings, paragraphs, fact lists, tables, checklists, a signature block) and each
format only decides how to draw and escape them. Every string in the tree is plain
text; escaping is the renderer's job, which keeps hostile input (a ``|`` or a
``<script>`` in a rationale) from ever being treated as markup.

The reader is a lawyer, not an engineer: every license id is given with its full
name, every verdict and declared use is explained in words, and each component's
section can be read (and printed) on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from policycheck import __version__, expression, failclosed
from policycheck.catalog import Grant, GrantRestriction, LicenseRange, catalog
from policycheck.errors import InputError
from policycheck.expression import AnyOf, ExpressionSyntaxError, Node
from policycheck.knowledge import Use, UseEffect, knowledge
from policycheck.model import Finding
from policycheck.notice import DISCLAIMER, catalog_identity
from policycheck.policy import Policy, Verdict, Waiver
from policycheck.report import Report
from policycheck.versions import parse_version

# -- the document model ------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class Facts:
    """Label and value pairs, shown as a short list of key facts."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table with a header row; every cell is plain text."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Bullets:
    """An unordered list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Checklist:
    """Items a person ticks off by hand, on screen or on paper."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class SignatureBlock:
    """Blank lines to fill in by hand, and the decisions to choose from."""

    fields: tuple[str, ...]
    decisions: tuple[str, ...]


Block = Heading | Paragraph | Facts | Table | Bullets | Checklist | SignatureBlock


@dataclass(frozen=True)
class Section:
    """A top-level section; component sections start on a new printed page.

    ``verdict`` (components only) lets a renderer mark the section without re-reading
    the finding.
    """

    anchor: str
    title: str
    blocks: tuple[Block, ...]
    component: bool = False
    verdict: str | None = None


@dataclass(frozen=True)
class Document:
    """The whole report: a title, a one-line subtitle and the sections in order."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]


# -- plain words for ids ------------------------------------------------------------------

TITLE = "License sign-off: in-memory data stores"

VERDICT_WORDS = {
    Verdict.ALLOW: (
        "the policy permits this under the declared uses, provided the statements listed "
        "under 'Before signing, confirm' hold"
    ),
    Verdict.REVIEW: "the policy cannot decide alone; a lawyer must decide and sign",
    Verdict.DENY: (
        "the policy forbids this; it needs a commercial license, a waiver or another engine"
    ),
}

USE_WORDS = {
    Use.INTERNAL: (
        "internal use",
        "running the software on the organization's own systems for its own staff and services",
    ),
    Use.SAAS: (
        "use behind our own SaaS",
        "the software stores data for a product customers use over the internet, but "
        "customers never use the data store itself",
    ),
    Use.MANAGED_SERVICE: (
        "offering it as a managed service",
        "letting customers use the data store itself as a hosted service",
    ),
    Use.DISTRIBUTION: (
        "distribution",
        "giving copies (programs, container images, appliances) to anyone outside the organization",
    ),
    Use.MODIFICATION: (
        "modification",
        "changing the software's source code and running or shipping the changed version",
    ),
}

CONDITIONAL_WORDS = "No condition, if the facts to confirm hold (otherwise a restriction)"

EFFECT_WORDS = {
    "none": "No condition",
    "obligation": "Obligation (allowed if we do something)",
    "restriction": "Restriction (not allowed under this license)",
}

GOVERNANCE_WORDS = {
    "single-vendor": (
        "single vendor: one company controls the project and can change the license of "
        "future releases"
    ),
    "foundation": (
        "foundation: a neutral foundation holds the project, so a license change needs "
        "broad agreement"
    ),
    "community": "community: independent maintainers run the project without one owner",
}

CATEGORY_WORDS = {
    "permissive": "permissive open source",
    "weak-copyleft": "weak copyleft open source",
    "strong-copyleft": "strong copyleft open source",
    "network-copyleft": "network copyleft open source",
    "source-available": "source-available (not open source)",
    "proprietary": "proprietary",
    "unknown": "unknown",
}

SUGGESTED_VERDICT_WORDS = {
    "allow": "passes this policy",
    "review": "would still need a lawyer's decision under this policy",
    "deny": "is forbidden by this policy too",
}

#: The ledger's status of a waiver, in words; the raw status leads so it matches the
#: JSON and text reports a reviewer may compare with.
WAIVER_STATUS_WORDS = {
    "active": "active: in force",
    "expiring": "expiring: in force, but expires within the warning period",
    "expired": "expired: it no longer applies",
    "unused": "unused: it matches no component in this report",
}

COMMAND_LINE = "named on the command line"
UNKNOWN_EFFECTS = "Not known: without a license, its obligations and restrictions cannot be listed."


def license_name(license_id: str) -> str | None:
    """The full name of a license id, without a trailing parenthesis (for nesting)."""
    record = knowledge().get(license_id)
    if record is None:
        return None
    name = record.name
    if name.endswith(")") and " (" in name:
        head, _, tail = name[:-1].rpartition(" (")
        name = f"{head}, {tail}"
    return name


def license_label(license_id: str) -> str:
    """``id (Full Name)``, or the id with a warning when policycheck does not know it."""
    name = license_name(license_id)
    if name is None:
        return f"{license_id} (not in policycheck's license knowledge)"
    return f"{license_id} ({name})" if name != license_id else license_id


def capitalized(text: str) -> str:
    """First letter upper-cased, the rest untouched (``SaaS`` stays ``SaaS``)."""
    return text[:1].upper() + text[1:]


def use_phrase(use: str) -> str:
    """Short words for a declared use, e.g. ``use behind our own SaaS``."""
    try:
        return USE_WORDS[Use(use)][0]
    except ValueError:
        return use


def uses_in_words(policy: Policy) -> str:
    """The declared uses with what each means, as one list."""
    return "; ".join(f"{USE_WORDS[u][0]} ({USE_WORDS[u][1]})" for u in policy.uses)


def uses_short(policy: Policy) -> str:
    """The declared uses in a few words each."""
    return ", ".join(USE_WORDS[u][0] for u in policy.uses)


def component_name(f: Finding) -> str:
    """``Redis 7.2.14 (requested as 7.2)``, for tables and headings."""
    name = f.engine_name or f.engine
    text = f"{name} {f.version}" if f.version else f"{name} (version unknown)"
    if f.requested_differs:
        text += f" (requested as {f.requested})"
    return text


def where_found(f: Finding) -> str:
    """``file:line`` or the plain statement that it was named on the command line."""
    return str(f.location) if f.location else COMMAND_LINE


def verdict_cell(f: Finding) -> str:
    """The verdict with what it means, and the waiver that changed it if any."""
    text = f"{f.verdict}: {VERDICT_WORDS[f.verdict]}"
    w = f.waiver
    if not w:
        return text
    wid, expires = w.get("id", ""), w.get("expires", "?")
    if w.get("status") == "expired":
        return text + f" (waiver {wid} expired on {expires} and no longer applies)"
    text += f" (set by waiver {wid}; without it: {w.get('original_verdict', '?')}"
    if w.get("status") == "expiring":
        text += f"; the waiver expires soon, on {expires}"
    return text + ")"


def policy_verdict(f: Finding) -> Verdict:
    """The verdict the policy's rules gave, before a waiver in force replaced it.

    The rule that decided must be named by this verdict: after a waiver set ``allow``, the
    rule that matters is the one that said ``review``, not a permissive one that also fired.
    """
    w = f.waiver
    if not w or w.get("status") == "expired":
        return f.verdict
    try:
        return Verdict.parse(str(w.get("original_verdict", "")))
    except KeyError:
        return f.verdict


def engine_label(engine_id: str) -> str:
    """The catalog's name for an engine id (``valkey`` -> ``Valkey``), else the id."""
    engine = catalog().get(engine_id)
    return engine.name if engine else engine_id


def expression_label(text: str) -> str:
    """A single license id with its full name; an expression (``A OR B``) as written."""
    if not text:
        return "unknown"
    return license_label(text) if " " not in text else text


def relative_date(as_of: dt.date, date_text: object) -> str:
    """How far ``date_text`` is from the report date, e.g. ``13 days after the report date``.

    Counting the days saves the reader the arithmetic that decides whether a waiver is
    about to lapse; an unparsable date gives an empty string rather than a guess.
    """
    try:
        date = dt.date.fromisoformat(str(date_text))
    except ValueError:
        return ""
    days = (date - as_of).days
    if days == 0:
        return "the report date"
    unit = "day" if abs(days) == 1 else "days"
    side = "after" if days > 0 else "before"
    return f"{abs(days)} {unit} {side} the report date"


def _is_past(as_of: dt.date, date_text: object) -> bool:
    """True when ``date_text`` is a date before the report date.

    The ledger says only ``unused`` for a waiver that matched nothing, even when it has
    also expired; the reader should learn both.
    """
    try:
        return dt.date.fromisoformat(str(date_text)) < as_of
    except ValueError:
        return False


def _with_relative(as_of: dt.date, date_text: object) -> str:
    rel = relative_date(as_of, date_text)
    return f"{date_text} ({rel})" if rel else str(date_text)


# -- the document --------------------------------------------------------------------------


def build_document(report: Report) -> Document:
    """The sign-off report for ``report``, as blocks of plain text."""
    sections = [
        _overview(report),
        _summary(report),
        _glossary(report),
        _waivers(report),
        *(_component(i, f, report) for i, f in enumerate(report.findings, start=1)),
        _evidence(report),
    ]
    if report.errors:
        sections.append(_errors(report.errors))
    sections.append(_signoff())
    subtitle = f"Policy {report.policy.name}, as of {report.as_of.isoformat()}"
    return Document(TITLE, subtitle, tuple(sections))


def _overview(report: Report) -> Section:
    s = report.summary
    policy = report.policy
    counts = f"{len(report.findings)} ({s['allow']} allow, {s['review']} review, {s['deny']} deny)"
    facts = (
        ("Policy", f"{policy.name}: {policy.description}" if policy.description else policy.name),
        ("As of", f"{report.as_of.isoformat()} (licenses and waivers are judged on this date)"),
        ("Declared uses", uses_in_words(policy)),
        ("Components", counts),
        ("Input errors", str(len(report.errors))),
        (
            "Waivers",
            _waiver_count_text(report.waivers)
            + ("; see the Waivers section" if report.waivers else ""),
        ),
        ("Prepared with", f"policycheck {__version__}"),
        ("License data", _catalog_text()),
    )
    intro = Paragraph(
        "This report lists every in-memory data store found, the license each release "
        "carries, what that license means for the uses the organization declared, and the "
        "policy rule that produced each verdict. It ends with the evidence relied on and a "
        "block for the reviewer's decision and signature."
    )
    return Section("overview", "Overview", (intro, Paragraph(DISCLAIMER), Facts(facts)))


def _catalog_text() -> str:
    ident = catalog_identity()
    return f"catalog {ident['version']}, SHA-256 {ident['sha256']}"


def _summary(report: Report) -> Section:
    rows = tuple(
        (str(i), component_name(f), where_found(f), verdict_cell(f))
        for i, f in enumerate(report.findings, start=1)
    )
    if not rows:
        return Section("summary", "Summary", (Paragraph("No components were found."),))
    table = Table(("No.", "Component", "Where found", "Verdict"), rows)
    return Section("summary", "Summary", (table, *_instead_summary(report)))


def _instead_summary(report: Report) -> list[Block]:
    """Right under the verdicts, what would pass instead of each review or deny component.

    A reviewer who reads only the summary should still learn that a way out exists
    (and which), not only that something failed.
    """
    flagged = [(i, f) for i, f in enumerate(report.findings, start=1) if f.verdict != Verdict.ALLOW]
    blocks: list[Block] = [Heading("What to do instead")]
    if not flagged:
        blocks.append(Paragraph("Every component passes the policy; nothing needs replacing."))
        return blocks
    blocks.append(
        Paragraph(
            "For each component marked review or deny, policycheck checked other catalogued "
            "releases under the same policy, declared uses and date. Each is listed with its "
            "verdict and why it fits; the component's own section gives their licenses."
        )
    )
    rows = tuple((str(i), component_name(f), str(f.verdict), _instead_cell(f)) for i, f in flagged)
    header = ("No.", "Component", "Verdict", "Instead (its verdict under this policy): why")
    blocks.append(Table(header, rows))
    return blocks


def _instead_cell(f: Finding) -> str:
    if not f.suggestions:
        return _no_suggestion(f)
    return "\n".join(
        f"{engine_label(s.get('engine', ''))} {s.get('version', '')} "
        f"({s.get('verdict', '?')}): {_suggestion_reason(f, s)}"
        for s in f.suggestions
    )


def _no_suggestion(f: Finding) -> str:
    if catalog().get(f.engine) is None:
        return (
            "None: the engine is not in policycheck's catalog, so no alternative could be checked."
        )
    return "None: no other catalogued release passes this policy."


def _suggestion_reason(f: Finding, s: Mapping[str, str]) -> str:
    """The advisor's reason, plus the plain consequence when the fix is only a pin."""
    reason = s.get("reason", "")
    if not f.pinned and s.get("engine") == f.engine and s.get("version") == f.version:
        reason += "; it is the release found, so pinning this exact version is enough"
    return reason


def _glossary(report: Report) -> Section:
    verdicts = Bullets(tuple(f"{v}: {VERDICT_WORDS[v]}." for v in Verdict))
    uses = Bullets(
        tuple(f"{capitalized(USE_WORDS[u][0])}: {USE_WORDS[u][1]}." for u in report.policy.uses)
    )
    terms = Bullets(
        (
            'License expression: how the project states its license. "A OR B" means the '
            'organization may choose either license; "A AND B" means both apply at once.',
            "Elected license: the side of an OR the organization relies on; policycheck "
            "picks the one with the best verdict and gives its reasons.",
            f"{EFFECT_WORDS['obligation']}: the use is allowed on a condition, such as "
            "keeping notices or offering source code.",
            f"{EFFECT_WORDS['restriction']}: the use is prohibited by that license.",
            "Judgement call: a reading of a license that reasonable lawyers could dispute; "
            "each is named (J1, J2, ...) and its adopted reading is quoted where it matters.",
            "Waiver: a recorded decision, approved by a named person until a set date, that "
            "sets the verdict for matching components; the verdict without it is always shown. "
            "An expired waiver no longer applies.",
            "What to do instead: other catalogued releases (a release of the same engine, or "
            "another engine that speaks the same protocol) that policycheck checked under the "
            "same policy, declared uses and date.",
        )
    )
    ids = sorted(
        {lic for f in report.findings for lic in _licenses_named(f)}
        | {lic for f in report.findings for lic in _suggested_licenses(f)}
    )
    blocks: list[Block] = [
        Heading("Verdicts"),
        verdicts,
        Heading("Declared uses"),
        uses,
        Heading("Terms"),
        terms,
    ]
    if ids:
        blocks += [
            Heading("Licenses named in this report"),
            Bullets(tuple(_license_line(i) for i in ids)),
        ]
    return Section("glossary", "How to read this report", tuple(blocks))


def _license_line(license_id: str) -> str:
    record = knowledge().get(license_id)
    if record is None:
        return f"{license_label(license_id)}."
    osi = "OSI-approved open source" if record.osi_approved else "not OSI-approved"
    kind = CATEGORY_WORDS.get(record.category, record.category)
    return f"{license_label(license_id)}: {kind}, {osi}. {record.summary}"


def _parse(text: str | None) -> Node | None:
    if not text:
        return None
    try:
        return expression.parse(text)
    except ExpressionSyntaxError:
        return None


def _licenses_named(f: Finding) -> list[str]:
    """License ids in the published and in-force expressions, and the conversion target."""
    found: list[str] = []
    for text in (f.license, f.effective_license):
        node = _parse(text)
        if node is not None:
            found += [lic.key for lic in expression.licenses_in(node)]
    if f.converts:
        found.append(f.converts["to"])
    return list(dict.fromkeys(found))


def _suggested_licenses(f: Finding) -> list[str]:
    """License ids of the suggested alternatives, so the glossary names them too."""
    found: list[str] = []
    for s in f.suggestions:
        node = _parse(s.get("license"))
        if node is not None:
            found += [lic.key for lic in expression.licenses_in(node)]
    return found


# -- one component ------------------------------------------------------------------------


def _component(index: int, f: Finding, report: Report) -> Section:
    blocks: list[Block] = [Facts(_component_facts(f, report))]
    blocks += _suggestion_blocks(f)
    blocks += _license_blocks(f, report.policy)
    blocks += _election_blocks(f)
    blocks += _checklists(f, report.policy)
    blocks += _restriction_blocks(f, report.policy)
    blocks += _conversion_blocks(f)
    blocks += _governance_blocks(f)
    blocks += _rule_blocks(f, report.policy)
    blocks += _waiver_blocks(f, report.as_of)
    if f.notes:
        blocks += [Heading("Release notes"), Bullets(tuple(f.notes))]
    reasoning = [line for line in f.rationale if line not in f.notes]
    if reasoning:
        blocks += [Heading("Reasoning recorded by policycheck"), Bullets(tuple(reasoning))]
    title = f"{index}. {component_name(f)}"
    return Section(
        f"component-{index}", title, tuple(blocks), component=True, verdict=str(f.verdict)
    )


def _component_facts(f: Finding, report: Report) -> tuple[tuple[str, str], ...]:
    engine = f"{f.engine_name} (catalog id {f.engine})" if f.engine_name else f.engine
    if not f.resolved and f.engine_name is None:
        engine += " (not in policycheck's catalog)"
    rows = [("Engine", engine), ("Version", _version_text(f)), ("Where found", where_found(f))]
    if f.location and f.location.text:
        rows.append(("Text found there", f.location.text.strip()))
    if f.provider:
        rows.append(("Run by", f"the cloud provider {f.provider}, which holds the license"))
    rows.append(("Verdict", verdict_cell(f)))
    if f.license:
        rows.append(("License expression", f.license))
    if f.effective_license and f.effective_license != f.license:
        rows.append((f"In force on {report.as_of.isoformat()}", f.effective_license))
    if f.elected:
        rows.append(("Elected license", license_label(f.elected)))
    if f.converts:
        rows.append(("Converts", f"to {license_label(f.converts['to'])} on {f.converts['date']}"))
    return tuple(rows)


def _suggestion_blocks(f: Finding) -> list[Block]:
    """Releases that pass instead of a review or deny one, with verdict, license and why."""
    if f.verdict == Verdict.ALLOW:
        return []
    blocks: list[Block] = [Heading("What to do instead")]
    if not f.suggestions:
        return [*blocks, Paragraph(_no_suggestion(f))]
    blocks.append(
        Paragraph(
            "policycheck checked these releases under the same policy, declared uses and "
            "date; each would get the verdict shown here if deployed instead."
        )
    )
    rows = tuple(
        (
            engine_label(s.get("engine", ""))
            + (" (the same engine)" if s.get("engine") == f.engine else ""),
            s.get("version", ""),
            expression_label(s.get("license", "")),
            f"{s.get('verdict', '?')}: "
            + SUGGESTED_VERDICT_WORDS.get(s.get("verdict", ""), "not known"),
            capitalized(_suggestion_reason(f, s)),
        )
        for s in f.suggestions
    )
    header = ("Engine", "Version", "License", "Verdict under this policy", "Why it fits")
    blocks.append(Table(header, rows))
    return blocks


def _version_text(f: Finding) -> str:
    if not f.version:
        return "unknown"
    text = f.version
    if f.requested_differs:
        text += f' (the input says "{f.requested}")'
    if not f.pinned:
        text += "; not pinned, so the deployed release can change"
    return text


def _catalog_range(f: Finding) -> LicenseRange | None:
    engine = catalog().get(f.engine)
    version = parse_version(f.version) if f.version else None
    if engine is None or version is None:
        return None
    return engine.range_for(version)


def _active_grant(f: Finding) -> Grant | None:
    """The Additional Use Grant in force for this release, if its license still applies."""
    rng = _catalog_range(f)
    if rng is None or rng.grant is None:
        return None
    if rng.busl is not None and f.converts is None:
        return None
    return rng.grant


def _effect_for(
    license_id: str, use: Use, grant: Grant | None, version: str | None = None
) -> UseEffect | None:
    record = knowledge().get(license_id)
    if record is None:
        return None
    if grant is not None and grant.license == record.id:
        # the grant's text at the judged release's own tag
        return replace(grant.effects[use], url=grant.url_for(version))
    return record.effects[use]


def _license_blocks(f: Finding, policy: Policy) -> list[Block]:
    node = _parse(f.effective_license or f.license)
    if node is None:
        why = f.rationale[0] if f.rationale else "No license is recorded for it."
        return [
            Heading("License"),
            Paragraph(f"The license could not be determined, so nothing is assumed. {why}"),
        ]
    ids = list(dict.fromkeys(lic.key for lic in expression.licenses_in(node)))
    grant = _active_grant(f)
    blocks: list[Block] = [Heading("What the license means for the declared uses")]
    if isinstance(node, AnyOf):
        blocks.append(
            Paragraph(
                f"The license is a choice ({f.effective_license}): the organization may use "
                f"this release under any one of the {len(node.options)} licenses below."
            )
        )
    if grant is not None:
        blocks.append(
            Paragraph(
                f"This release carries the {grant.title} ({grant.url_for(f.version)}), which replaces the "
                f"general {license_label(grant.license)} terms for the uses below."
            )
        )
    if f.provider:
        blocks.append(
            Paragraph(
                f"A cloud provider ({f.provider}) runs this engine and holds its license, so "
                "the organization's declared uses do not trigger the effects below."
            )
        )
    rows: list[tuple[str, ...]] = []
    judgements: list[str] = []
    for lic in ids:
        for use in policy.uses:
            effect = _effect_for(lic, use, grant, f.version)
            if effect is None:
                rows.append(
                    (license_label(lic), capitalized(use_phrase(use)), "Unknown", "Not assessed.")
                )
                continue
            rows.append(_effect_row(lic, effect, policy))
            if effect.judgement:
                judgements.append(effect.judgement)
    blocks.append(Table(("License", "Use", "Effect", "What it means (clause)"), tuple(rows)))
    blocks += _judgement_blocks(judgements)
    return blocks


def _effect_row(license_id: str, effect: UseEffect, policy: Policy) -> tuple[str, ...]:
    text = f"{effect.rationale} ({effect.clause}; {effect.url})"
    if effect.judgement:
        text += f" Relies on judgement call {effect.judgement}."
    words = EFFECT_WORDS.get(effect.effect.value, effect.effect.value)
    if effect.confirm and not set(policy.uses) & set(effect.confirm_unless):
        text += f" Holds only if: {effect.confirm}"
        if effect.effect.value == "none":
            words = CONDITIONAL_WORDS
    return (license_label(license_id), capitalized(use_phrase(effect.use.value)), words, text)


def _judgement_blocks(ids: Iterable[str]) -> list[Block]:
    items = []
    for jid in dict.fromkeys(ids):
        j = knowledge().judgements.get(jid)
        if j is None:
            items.append(f"{jid}: not described in policycheck's knowledge.")
        else:
            items.append(f"{j.id}, {j.title}: {j.summary} Reading adopted: {j.adopted}")
    return [Heading("Judgement calls relied on"), Bullets(tuple(items))] if items else []


def _election_blocks(f: Finding) -> list[Block]:
    if not f.alternatives:
        return []
    rows = tuple(
        (license_label(a.license), str(a.verdict), "yes" if a.elected else "no", a.reason)
        for a in f.alternatives
    )
    chosen = next((a for a in f.alternatives if a.elected), None)
    lead = (
        f"policycheck elected {license_label(chosen.license)}: {chosen.reason}."
        if chosen
        else "No alternative is marked as elected."
    )
    return [
        Heading("Elected license and why"),
        Paragraph(lead),
        Table(("Alternative", "Verdict", "Elected", "Reason"), rows),
    ]


def _effect_item(e_license: str, use: str, rationale: str, clause: str, url: str) -> str:
    return f"{license_label(e_license)}, {use_phrase(use)}: {rationale} ({clause}; {url})"


def _checklists(f: Finding, policy: Policy) -> list[Block]:
    blocks: list[Block] = [Heading("Obligations checklist")]
    if f.obligations:
        items = tuple(
            _effect_item(e.license, e.use, e.rationale, e.clause, e.url) for e in f.obligations
        )
        blocks.append(Checklist(items))
    elif not (f.effective_license or f.license):
        blocks.append(Paragraph(UNKNOWN_EFFECTS))
    else:
        in_force = f.elected or f.effective_license or f.license
        subject = license_label(in_force) if in_force and " " not in in_force else "the license"
        blocks.append(
            Paragraph(f"None of the declared uses triggers an obligation under {subject}.")
        )
    blocks += [Heading("Before signing, confirm"), Checklist(_confirmations(f, policy))]
    return blocks


def _confirmations(f: Finding, policy: Policy) -> tuple[str, ...]:
    items = [f"The organization's use of this component is limited to: {uses_short(policy)}."]
    if f.version and f.pinned:
        items.append(f"Version {f.version} is the version actually deployed.")
    else:
        items.append("An exact version is pinned, so the license cannot change unnoticed.")
    asks_election = any(c.startswith("No election") for c in f.confirm)
    if f.elected and not asks_election:
        items.append(f"The election of {license_label(f.elected)} is recorded.")
    items += f.confirm
    if f.converts:
        items.append(
            f"The conversion on {f.converts['date']} to {license_label(f.converts['to'])} "
            "is noted in the contract calendar."
        )
    for jid in _judgements_of(f, policy):
        j = knowledge().judgements.get(jid)
        title = f" ({j.title})" if j else ""
        items.append(f"Judgement call {jid}{title} holds for how the component is used.")
    if f.waiver and f.waiver.get("status") == "expired":
        items.append(
            f"Expired waiver {f.waiver.get('id', '')} is renewed with a new approval or "
            "removed from the policy."
        )
    elif f.waiver:
        items.append(
            f"Waiver {f.waiver.get('id', '')} is still wanted before it expires on "
            f"{f.waiver.get('expires', '?')}."
        )
    return tuple(items)


def _judgements_of(f: Finding, policy: Policy) -> list[str]:
    """Judgement calls behind the elected (or only) license under the declared uses."""
    node = _parse(f.elected or f.effective_license)
    if node is None:
        return []
    grant = _active_grant(f)
    found = []
    for lic in expression.licenses_in(node):
        for use in policy.uses:
            effect = _effect_for(lic.key, use, grant)
            if effect is not None and effect.judgement:
                found.append(effect.judgement)
    return list(dict.fromkeys(found))


def _restriction_blocks(f: Finding, policy: Policy) -> list[Block]:
    blocks: list[Block] = [Heading("Restrictions that apply")]
    if f.restrictions:
        items = tuple(
            _effect_item(e.license, e.use, e.rationale, e.clause, e.url) for e in f.restrictions
        )
        blocks.append(Bullets(items))
    elif not (f.effective_license or f.license):
        blocks.append(Paragraph(UNKNOWN_EFFECTS))
    else:
        blocks.append(Paragraph("None of the declared uses is restricted."))
    grant = _active_grant(f)
    if grant is None or not grant.restrictions:
        return blocks
    declared = set(policy.uses)

    def limit(r: GrantRestriction) -> str:
        uses = ", ".join(use_phrase(c.value) for c in r.contexts)
        return f"{r.summary} ({r.clause}; uses: {uses})"

    now = tuple(limit(r) for r in grant.restrictions if declared & set(r.contexts))
    later = tuple(limit(r) for r in grant.restrictions if not declared & set(r.contexts))
    if now:
        blocks += [
            Paragraph(
                f"Conditions of the {grant.title} on the declared uses; the use is allowed "
                "only while they hold (see 'Before signing, confirm'):"
            ),
            Bullets(now),
        ]
    if later:
        blocks += [
            Paragraph(
                f"Further limits of the {grant.title}; they apply if the use changes to one "
                "of the named uses:"
            ),
            Bullets(later),
        ]
    return blocks


def _conversion_blocks(f: Finding) -> list[Block]:
    if not f.converts:
        return []
    current = license_label(f.effective_license or f.license or "BUSL-1.1")
    text = (
        f"This release is under {current} until {f.converts['date']}. On that date it "
        f"converts to {license_label(f.converts['to'])} and the current terms stop applying."
    )
    return [Heading("License conversion date"), Paragraph(text)]


def _governance_blocks(f: Finding) -> list[Block]:
    g = f.governance
    if not g:
        return []
    model = str(g.get("model", ""))
    rows = [
        ("Steward", str(g.get("steward", ""))),
        ("Model", GOVERNANCE_WORDS.get(model, model)),
    ]
    if g.get("cla"):
        rows.append(("Contributor terms", _contributor_terms(g["cla"])))
    blocks: list[Block] = [Heading("Governance"), Facts(tuple(rows))]
    history = [f"{h.get('date', '')}: {h.get('event', '')}" for h in g.get("history") or []]
    if history:
        blocks += [Paragraph("License history:"), Bullets(tuple(history))]
    return blocks


def _contributor_terms(cla: object) -> str:
    """The contributor terms as recorded: a name, what it grants, and where it was read."""
    if not isinstance(cla, Mapping):
        return str(cla)
    if cla.get("summary"):
        return " ".join(str(cla[k]) for k in ("summary", "note") if cla.get(k))
    parts = [str(cla[k]) for k in ("name", "kind", "summary", "note") if cla.get(k)]
    evidence = cla.get("evidence")
    if isinstance(evidence, Mapping):
        where = "@".join(str(evidence[k]) for k in ("repo", "tag") if evidence.get(k))
        if evidence.get("file"):
            where += f":{evidence['file']}"
        parts.append(f"({where})")
    return " ".join(dict.fromkeys(parts))


def _rule_blocks(f: Finding, policy: Policy) -> list[Block]:
    by_id = {r.id: r for r in policy.rules}
    fired = [by_id[r] for r in f.rules if r in by_id]
    decided = policy_verdict(f)
    deciding = [r for r in fired if r.verdict == decided] or fired
    items = [f"{r.id} ({r.verdict}): {r.rationale}" for r in deciding]
    items += [
        f"Also matched: {r.id} ({r.verdict}): {r.rationale}" for r in fired if r not in deciding
    ]
    for r in f.rules:
        if r in by_id:
            continue
        reason = failclosed.BY_ID.get(r)
        if reason is not None:
            items.append(f"{r} (policycheck fails closed, {reason.verdict}): {reason.rationale}")
        elif r == failclosed.POLICY_DEFAULT:
            items.append(
                next(
                    (line for line in f.rationale if line.startswith("No rule of policy")),
                    f"No rule of policy {policy.name} matched; its default applies.",
                )
            )
        else:
            items.append(f"{r}: not a rule of policy {policy.name}.")
    if not items:
        default = next((line for line in f.rationale if line.startswith("No rule of policy")), None)
        items.append(default or _fail_closed(f, decided))
    if f.waiver and f.waiver.get("status") == "expired":
        items.append(
            f"Waiver {f.waiver.get('id', '')} would have set the verdict, but it has expired "
            "(below)."
        )
    elif f.waiver:
        items.append(f"The verdict was then set by waiver {f.waiver.get('id', '')} (below).")
    return [Heading("Policy rule that decided"), Bullets(tuple(items))]


def _fail_closed(f: Finding, decided: Verdict) -> str:
    why = f.rationale[0] if f.rationale else "the facts needed were missing"
    return f"No policy rule applied; policycheck fails closed to {decided}: {why}"


def _waiver_blocks(f: Finding, as_of: dt.date) -> list[Block]:
    """The waiver that set this verdict, or the expired one that no longer does.

    The sentence says in words who decided, why and until when; the facts below it repeat
    each field on its own line so the reviewer can check them against the policy file.
    """
    w = f.waiver
    if not w:
        return []
    wid, status = w.get("id", ""), w.get("status", "")
    expires, original = w.get("expires", "?"), w.get("original_verdict", "?")
    approved = f"approved by {w.get('approved_by', '?')} on {w.get('approved_on', '?')}"
    because = f"because: {str(w.get('reason', '')).rstrip('.')}."
    if status == "expired":
        heading = "Waiver (expired: no longer applies)"
        lead = (
            f"Waiver {wid} expired on {_with_relative(as_of, expires)} and no longer applies, "
            f"so the verdict above is the policy's own. It had been {approved}, {because} "
            "Renew it with a new approval or remove it from the policy."
        )
    else:
        heading = "Waiver applied"
        lead = (
            f"Waiver {wid} changes the verdict from {original} to {w.get('verdict', '?')}. "
            f"It was {approved}, {because} It applies until {_with_relative(as_of, expires)}."
        )
        if status == "expiring":
            lead += (
                f" It expires within the warning period: renew it before then, or the "
                f"verdict returns to {original}."
            )
    expired = status == "expired"
    labels = (
        ("id", "Waiver"),
        ("status", "Status"),
        ("verdict", "Verdict it would set" if expired else "Verdict it sets"),
        ("original_verdict", "Verdict without it"),
        ("reason", "Reason"),
        ("approved_by", "Approved by"),
        ("approved_on", "Approved on"),
        ("expires", "Expired on" if expired else "Expires"),
    )
    rows = tuple(
        (label, _waiver_field(key, w[key])) for key, label in labels if w.get(key) not in (None, "")
    )
    return [Heading(heading), Paragraph(lead), Facts(rows)]


def _waiver_field(key: str, value: object) -> str:
    if key == "status":
        return WAIVER_STATUS_WORDS.get(str(value), str(value))
    return str(value)


# -- the waiver ledger -------------------------------------------------------------------


def _waiver_count_text(ledger: Sequence[Mapping[str, object]]) -> str:
    if not ledger:
        return "none recorded in the policy"
    counts = dict.fromkeys(WAIVER_STATUS_WORDS, 0)
    for entry in ledger:
        status = str(entry.get("status", ""))
        counts[status] = counts.get(status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"{len(ledger)} in the policy ({parts})"


def _waivers(report: Report) -> Section:
    """Every waiver in the policy, so decisions nobody renewed or still needs stand out.

    A waiver that expired, is about to, or matches nothing is a stale decision: the
    reviewer signing today should see it even when no component mentions it.
    """
    ledger = report.waivers
    if not ledger:
        lead = "The policy records no waivers: every verdict in this report is the policy's own."
        return Section("waivers", "Waivers", (Paragraph(lead),))
    by_id = {w.id: w for w in report.policy.waivers}
    matched: dict[str, list[str]] = {}
    for i, f in enumerate(report.findings, start=1):
        if f.waiver:
            matched.setdefault(str(f.waiver.get("id", "")), []).append(f"{i}. {component_name(f)}")
    blocks: list[Block] = [
        Paragraph(
            "A waiver is a recorded decision that sets the verdict for matching components, "
            "approved by a named person until a set date. An expired waiver no longer "
            "applies; an unused one matches nothing in this report. Both are stale decisions "
            "to renew or remove."
        ),
        Paragraph(f"Waivers: {_waiver_count_text(ledger)}."),
    ]
    rows = tuple(
        _ledger_row(entry, by_id.get(str(entry.get("id", ""))), matched, report.as_of)
        for entry in ledger
    )
    header = (
        "Waiver",
        "Status",
        "What it covers",
        "Approved",
        "Expires",
        "Components it matches",
        "Reason",
    )
    blocks.append(Table(header, rows))
    attention = [item for entry in ledger if (item := _attention(entry, report.as_of)) is not None]
    if attention:
        blocks += [Heading("Waivers that need a decision"), Bullets(tuple(attention))]
    return Section("waivers", "Waivers", tuple(blocks))


def _ledger_row(
    entry: Mapping[str, object],
    waiver: Waiver | None,
    matched: Mapping[str, list[str]],
    as_of: dt.date,
) -> tuple[str, ...]:
    wid = str(entry.get("id", ""))
    status = str(entry.get("status", ""))
    expires = entry.get("expires", "")
    words = WAIVER_STATUS_WORDS.get(status, status)
    if status == "unused" and _is_past(as_of, expires):
        words += "; it has also expired"
    approved = f"by {entry.get('approved_by', '?')}"
    covers, reason = "", ""
    if waiver is not None:
        approved += f" on {waiver.approved_on}"
        covers = _waiver_scope(waiver)
        reason = waiver.reason
    return (
        wid,
        words,
        covers,
        approved,
        _with_relative(as_of, expires),
        "\n".join(matched.get(wid, [])) or "none",
        reason,
    )


def _waiver_scope(w: Waiver) -> str:
    """Which components a waiver matches, and the verdict it sets, in words."""
    parts = [engine_label(w.engine)]
    if w.versions is not None and w.versions.text:
        parts.append(f"versions {w.versions.text}")
    if w.path:
        parts.append(f"files matching {w.path}")
    if w.rule:
        parts.append(f"only where rule {w.rule} decided")
    return ", ".join(parts) + f"; sets the verdict to {w.verdict}"


def _attention(entry: Mapping[str, object], as_of: dt.date) -> str | None:
    wid, status, expires = entry.get("id", ""), entry.get("status", ""), entry.get("expires", "")
    if status == "expired":
        return (
            f"{wid} expired on {_with_relative(as_of, expires)} and no longer applies: renew "
            "it with a new approval or remove it from the policy."
        )
    if status == "expiring":
        return (
            f"{wid} expires on {_with_relative(as_of, expires)}: renew it before then, or "
            "the components it matches return to the policy's own verdict."
        )
    if status == "unused":
        return (
            f"{wid} matches no component in this report: remove it if what it covered is "
            "gone, or correct what it names."
        )
    return None


# -- evidence, errors, sign-off ----------------------------------------------------------


def _evidence(report: Report) -> Section:
    policy = report.policy
    facts = Facts(
        (
            ("Tool", f"policycheck {__version__}"),
            ("As of", report.as_of.isoformat()),
            ("Declared uses", uses_short(policy)),
            ("Policy", policy.name),
            ("Policy SHA-256", policy.sha256),
            ("License data", _catalog_text()),
        )
    )
    blocks: list[Block] = [
        Paragraph(
            "The facts below let anyone repeat this check and confirm that nothing it relied "
            "on has changed: the same tool version, policy and files give the same report."
        ),
        facts,
        Heading("Catalog evidence for each release"),
    ]
    rows = tuple(
        (component_name(f), *_evidence_cells(e)) for f in report.findings for e in f.evidence
    )
    if rows:
        header = ("Component", "Repository", "Tag or commit", "File", "Date", "What it shows")
        blocks.append(Table(header, rows))
    else:
        blocks.append(Paragraph("No catalog evidence applies to these components."))
    blocks += _file_blocks(report.files)
    return Section("evidence", "Evidence", tuple(blocks))


def _evidence_cells(e: dict[str, object]) -> tuple[str, str, str, str, str]:
    ref = str(e.get("tag") or e.get("commit") or "")
    if e.get("tag") and e.get("commit"):
        ref += f" (commit {str(e['commit'])[:12]})"
    # What a third party needs to re-check the item: where it was read, the file's hash
    # at that tag or commit, and a link pinned to it.
    note = str(e.get("note") or "")
    shows = [note if not note or note.endswith(".") else note + "."] if note else []
    if e.get("read_from"):
        shows.append(f"Read from {e['read_from']}.")
    if e.get("sha256"):
        shows.append(f"SHA-256 {e['sha256']}.")
    if e.get("permalink"):
        shows.append(str(e["permalink"]))
    return (
        str(e.get("repo", "")),
        ref,
        str(e.get("file", "")),
        str(e.get("date", "")),
        " ".join(shows),
    )


def _file_blocks(files: dict[str, str]) -> list[Block]:
    blocks: list[Block] = [Heading("Scanned files")]
    if not files:
        blocks.append(
            Paragraph("No files were scanned: every component was named on the command line.")
        )
        return blocks
    rows = tuple((path, sha) for path, sha in sorted(files.items()))
    blocks.append(Table(("File", "SHA-256"), rows))
    return blocks


def _errors(errors: Sequence[InputError]) -> Section:
    rows = tuple(
        (
            (f"{e.path}:{e.line}" if e.line else e.path) if e.path else COMMAND_LINE,
            e.message,
            e.hint or "",
        )
        for e in errors
    )
    lead = Paragraph(
        "These inputs could not be read, so the components they name are missing from this "
        "report. Fix them and run the check again before signing."
    )
    return Section(
        "errors", "Input errors", (lead, Table(("Where", "Problem", "What to do"), rows))
    )


def _signoff() -> Section:
    lead = Paragraph(
        "I have reviewed the components, licenses, obligations and evidence in this report. "
        "My decision, and any conditions attached to it, are recorded below."
    )
    block = SignatureBlock(
        fields=("Name", "Role", "Date", "Conditions (if any)", "Signature"),
        decisions=("Approve", "Approve with conditions", "Reject"),
    )
    return Section("sign-off", "Sign-off", (lead, block))
