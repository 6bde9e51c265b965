"""The ADR's newer sections as plain lines and JSON: decision path, claims, what-if, audit.

``render`` lays them out as Markdown, HTML and JSON; the wording lives here once so
the three cannot disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policycheck.adr.matrix import TotalClaim
from policycheck.adr.path import ClaimResult, DecisionPath, Leaf, Node, Question
from policycheck.adr.path import questions as path_questions

if TYPE_CHECKING:
    from policycheck.adr.audit import Audit
    from policycheck.adr.record import AdrResult

PATH_METHOD = (
    "Generated from the policy and the matrix. Options the policy denies under the declared "
    "uses are out first; each question then moves one driver's weight, the other drivers "
    "keeping their proportions as in the sensitivity table, so each threshold is that "
    "table's (computed among the options still in). Each leaf is the winner at the weights "
    "on its path; the last one is the winner at the weights as given."
)
CLAIMS_METHOD = (
    "A weight claim sets the driver to the weight named, the other drivers rescaled in "
    "proportion, and says which option leads; a total claim is a total the source printed."
)
_OPS = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}


def _n(x: float) -> str:
    return f"{x:.2f}"


def _w(x: float) -> str:
    """Weights on the path: four decimals, so 0.5789 is not read as 0.58."""
    return f"{x:.4f}"


def _driver(r: AdrResult, driver_id: str) -> str:
    return next(d.name for d in r.drivers if d.id == driver_id)


def leaf_text(r: AdrResult, leaf: Leaf) -> str:
    """The winner at the end of a path, with what the policy still asks of it."""
    o = r.option(leaf.option)
    if str(o.finding.verdict) != "review":
        return o.label
    n = len(o.finding.confirm)
    if n:
        return f"{o.label} (review: legal confirms {n} item{'s' * (n != 1)})"
    return f"{o.label} (review: sign-off needed)"


def question_text(r: AdrResult, q: Question) -> str:
    return f"{_driver(r, q.driver)} weight {_OPS[q.op]} {_w(q.threshold)}?"


def _numbering(root: Node | None) -> dict[int, int]:
    return {id(q): i for i, q in enumerate(path_questions(root), 2)} if root else {}


def path_lines(r: AdrResult) -> list[str]:
    """The decision path as numbered steps."""
    p: DecisionPath = r.path
    uses = ", ".join(u.value for u in r.policy.uses)
    out = []
    step = [f"1. Policy {r.policy.name}, declared uses {uses}:"]
    denied = [c for c in p.constraints if c.out]
    for c in p.constraints:
        label = r.option(c.option).label
        rules = "; ".join(f"rule {i}: {why}" for i, why in c.rules)
        if c.out:
            step.append(f"{label} is out (deny{', ' + rules if rules else ''}).")
        elif c.verdict == "review":
            confirm = "; ".join(c.confirm) if c.confirm else "no confirm items recorded yet"
            step.append(f"{label} stays in with verdict review (legal confirms: {confirm}).")
    if not denied:
        step.insert(1, "no candidate is denied.")
    out.append(" ".join(step))
    if p.root is None:
        out.append("2. No option is left: every candidate is denied.")
        return out
    numbers = _numbering(p.root)

    def target(node: Node) -> str:
        if isinstance(node, Leaf):
            return leaf_text(r, node)
        return f"go to {numbers[id(node)]}"

    if isinstance(p.root, Leaf):
        out.append(f"2. {leaf_text(r, p.root)}: no weight of one driver changes the winner.")
    for q in path_questions(p.root):
        out.append(
            f"{numbers[id(q)]}. {question_text(r, q)} Yes: {target(q.yes)}. No: {target(q.no)}."
        )
    return out


def _m(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def path_mermaid(r: AdrResult) -> list[str]:
    """The decision path as a Mermaid flowchart (GitHub renders it)."""
    p: DecisionPath = r.path
    names = ", ".join(o.label for o in r.options)
    lines = ["```mermaid", "flowchart TD", f"    start([{_m('Candidates: ' + names)}])"]
    previous, edge = "start", ""
    for i, c in enumerate((c for c in p.constraints if c.out), 1):
        label = r.option(c.option).label
        uses = ", ".join(u.value for u in r.policy.uses)
        rules = ", ".join(i for i, _ in c.rules) or "default verdict"
        lines.append(f"    h{i}{{{_m(f'Policy {r.policy.name} allows {label} for {uses}?')}}}")
        lines.append(f"    {previous}{edge} --> h{i}")
        lines.append(
            f"    h{i} -- {_m('no: deny (' + rules + ')')} --> x{i}[{_m('Out: ' + label)}]"
        )
        previous, edge = f"h{i}", " -- yes"
    if p.root is None:
        lines.append(f"    {previous}{edge} --> none[{_m('No option left')}]")
        return [*lines, "```"]
    counter = iter(range(1, 1000))

    def emit(node: Node) -> str:
        n = next(counter)
        if isinstance(node, Leaf):
            lines.append(f"    l{n}[{_m(leaf_text(r, node))}]")
            return f"l{n}"
        lines.append(f"    q{n}{{{_m(question_text(r, node))}}}")
        yes, no = emit(node.yes), emit(node.no)
        lines.append(f"    q{n} -- yes --> {yes}")
        lines.append(f"    q{n} -- no --> {no}")
        return f"q{n}"

    first = emit(p.root)
    lines.append(f"    {previous}{edge} --> {first}")
    return [*lines, "```"]


def claim_rows(r: AdrResult) -> list[list[str]]:
    """Claim, holds?, what the matrix says."""
    rows = []
    for c in r.claims:
        rows.append(
            [
                c.claim.text or _claim_plain(r, c),
                "holds" if c.holds else "does not hold",
                claim_finding(r, c),
            ]
        )
    return rows


def _claim_plain(r: AdrResult, c: ClaimResult) -> str:
    k = c.claim
    if isinstance(k, TotalClaim):
        return f"{r.option(k.option).label} totals {_n(k.total)}"
    return f"{_driver(r, k.driver)} at {_n(k.weight)}: {r.option(k.expect_winner).label} leads"


def claim_finding(r: AdrResult, c: ClaimResult) -> str:
    k = c.claim
    if isinstance(k, TotalClaim):
        computed = c.totals[k.option]
        return f"the matrix gives {_n(computed)} for {r.option(k.option).label}" + (
            "" if c.holds else f", not {_n(k.total)}"
        )
    ranked = sorted(c.totals, key=lambda o: -c.totals[o])
    at = ", ".join(f"{r.option(o).label} {_n(c.totals[o])}" for o in ranked)
    name = _driver(r, k.driver)
    text = f"at {name} {_n(k.weight)}: {at}"
    expected = r.option(k.expect_winner).label
    if c.holds:
        return text + "."
    if c.nearest is None:
        return text + f"; {expected} leads at no weight of {name} from 0 to 1."
    ranges = ", ".join(f"{_w(lo)} to {_w(hi)}" for lo, hi in c.holds_over)
    return text + f"; {expected} leads only with {name} from {ranges} (nearest {_w(c.nearest)})."


def what_if_lines(r: AdrResult) -> list[str]:
    """The ranking at the asked weights, and the weights it used."""
    w = r.what_if
    assert w is not None  # callers ask only when --what-if was given
    asked = ", ".join(f"{_driver(r, d)} {_n(v)}" for d, v in w.asked.items())
    weights = ", ".join(f"{_driver(r, d)} {_w(v)}" for d, v in w.weights.items())
    ranked = ", ".join(
        f"{i}. {r.option(o).label} ({_n(w.totals[o])})" for i, o in enumerate(w.ranking, 1)
    )
    return [f"Asked: {asked}. Weights used: {weights}.", f"Ranking: {ranked}."]


# -- audit -----------------------------------------------------------------------------------


def audit_deployed_rows(a: Audit) -> list[list[str]]:
    return [
        [
            d.name,
            d.kind,
            d.version or "(unresolved)",
            d.license or "-",
            d.verdict,
            d.location or "-",
        ]
        for d in a.deployed
    ]


def audit_module_rows(a: Audit) -> list[list[str]]:
    return [
        [m.module, m.version or "-", m.capability or "unknown", m.how, m.where] for m in a.modules
    ]


def audit_candidate_lines(a: Audit) -> list[tuple[str, list[str]]]:
    """Per candidate: a heading and its lines."""
    out = []
    for c in a.candidates:
        lines = []
        for m in c.modules:
            verdict = "portable" if m.portable else "NOT portable as is"
            text = f"Module {m.module}: {verdict} ({m.status})"
            if m.provider:
                text += f"; {m.provider}"
            if m.license:
                text += f", license {m.license}"
            if m.coverage:
                text += f". {m.coverage}"
            if m.evidence:
                text += f" Evidence: {'; '.join(m.evidence)}."
            lines.append(text)
        for cf in c.config:
            where = f" ({cf.where}: {cf.value})" if cf.where else ""
            text = f"Config {cf.directive}{where}: {cf.status}. {cf.note}"
            if cf.evidence:
                text += f" Evidence: {'; '.join(cf.evidence)}."
            lines.append(text)
        for s in c.migration:
            text = f"Migration from {s.source}: {s.method}. {s.note}"
            if s.evidence:
                text += f" Evidence: {'; '.join(s.evidence)}."
            lines.append(text)
        if not lines:
            lines.append(
                "The scan found no engine, module or setting for this candidate to take over "
                f"({a.files} files met, {a.parsed} parsed as manifests): if something is "
                "deployed, it is in files the scan does not read."
            )
        lines += [f"Question for the team: {q}" for q in c.questions]
        out.append((c.label, lines))
    return out


# -- JSON ----------------------------------------------------------------------------------------


def _node_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Leaf):
        return {
            "kind": "leaf",
            "option": node.option,
            "total": round(node.total, 4),
            "weights": {d: round(w, 4) for d, w in node.weights.items()},
        }
    return {
        "kind": "question",
        "driver": node.driver,
        "op": node.op,
        "threshold": round(node.threshold, 4),
        "yes": _node_json(node.yes),
        "no": _node_json(node.no),
    }


def path_json(r: AdrResult) -> dict[str, Any]:
    p: DecisionPath = r.path
    return {
        "method": PATH_METHOD,
        "constraints": [
            {
                "option": c.option,
                "verdict": c.verdict,
                "out": c.out,
                "rules": [{"id": i, "rationale": why} for i, why in c.rules],
                "confirm": list(c.confirm),
            }
            for c in p.constraints
        ],
        "admissible": list(p.admissible),
        "tree": _node_json(p.root) if p.root is not None else None,
        "text": path_lines(r),
    }


def claims_json(r: AdrResult) -> list[dict[str, Any]]:
    out = []
    for c in r.claims:
        k = c.claim
        totals = {o: round(t, 4) for o, t in c.totals.items()}
        if isinstance(k, TotalClaim):
            out.append(
                {
                    "kind": "total",
                    "option": k.option,
                    "total": k.total,
                    "text": k.text,
                    "holds": c.holds,
                    "computed": totals[k.option],
                }
            )
            continue
        out.append(
            {
                "kind": "weight",
                "driver": k.driver,
                "weight": k.weight,
                "expect_winner": k.expect_winner,
                "text": k.text,
                "holds": c.holds,
                "winner": c.winner,
                "totals": totals,
                "holds_over": [[round(lo, 4), round(hi, 4)] for lo, hi in c.holds_over],
                "nearest_weight": round(c.nearest, 4) if c.nearest is not None else None,
            }
        )
    return out


def what_if_json(r: AdrResult) -> dict[str, Any] | None:
    w = r.what_if
    if w is None:
        return None
    return {
        "asked": dict(w.asked),
        "weights": {d: round(v, 4) for d, v in w.weights.items()},
        "totals": {o: round(t, 4) for o, t in w.totals.items()},
        "ranking": list(w.ranking),
    }


def audit_json(a: Audit | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "paths": list(a.paths),
        "files": a.files,
        "parsed": a.parsed,
        "deployed": [vars(d) for d in a.deployed],
        "modules": [vars(m) for m in a.modules],
        "directives": [vars(d) for d in a.directives],
        "candidates": [
            {
                "option": c.option,
                "label": c.label,
                "modules": [{**vars(m), "evidence": list(m.evidence)} for m in c.modules],
                "config": [{**vars(x), "evidence": list(x.evidence)} for x in c.config],
                "migration": [{**vars(s), "evidence": list(s.evidence)} for s in c.migration],
                "questions": list(c.questions),
            }
            for c in a.candidates
        ],
        "cache_warmup": a.cache_warmup,
    }
