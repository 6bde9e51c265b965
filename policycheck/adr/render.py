"""The ADR as Markdown (for design docs and pull requests), HTML (to mail or attach) and JSON.

All three render the same AdrResult and nothing else, so they cannot disagree. Output is
deterministic: fixed section and key order, no timestamps beyond the as-of date, numbers
in tables always with two decimals (JSON keeps four).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from policycheck import __version__
from policycheck.adr import sections as parts
from policycheck.adr.matrix import LICENSING_DRIVER
from policycheck.adr.record import AdrResult, OptionResult, Timeline
from policycheck.adr.scoring import GOOD_SCORE, MAX_SCORE, RANKING_RULE, Sensitivity
from policycheck.jsontext import pretty

SCHEMA_VERSION = "1.1"
"""1.1 added path, claims, what_if, audit and each option's matrix_label and scope_note."""
STATUSES = "proposed | accepted | rejected | superseded"
METHOD = (
    "Weighted total = sum of weight x score over the drivers (weights sum to 1, scores 1-5). "
    f"Ranking: {RANKING_RULE}."
)
SENSITIVITY_METHOD = (
    "For each driver, its weight w is moved over [0, 1] while the other weights keep their "
    "proportions (w_j' = w_j x (1 - w) / (1 - w_d)), so totals are linear in w. The table "
    "gives the nearest weight at which another option becomes strictly better than the "
    "current winner; 'never' means no weight in [0, 1] changes the winner."
)
DERIVED_METHOD = (
    f"Where the matrix gives no {LICENSING_DRIVER} score it is derived from the policy "
    "verdict (allow 5, review 3, deny 1) plus the governance model (foundation +0, "
    "community +0, single-vendor -1), at least 1."
)


def _n(x: float) -> str:
    """Two decimals, the one number format of every table."""
    return f"{x:.2f}"


def _title(r: AdrResult) -> str:
    labels = ", ".join(o.label for o in r.options)
    return f"ADR: {r.matrix.title or 'Choosing an engine'} ({labels})"


def _threshold(s: Sensitivity) -> str:
    if s.threshold_weight is None:
        return "never"
    verb = "raised to" if s.direction == "raise" else "lowered to"
    return f"{verb} {_n(s.threshold_weight)}"


def _label(r: AdrResult, option_id: str | None) -> str:
    return r.option(option_id).label if option_id else "-"


def _driver_name(r: AdrResult, driver_id: str) -> str:
    return next(d.name for d in r.drivers if d.id == driver_id)


def _score_text(o: OptionResult, driver_id: str) -> str:
    score = str(o.scores[driver_id])
    reason = o.score_notes.get(driver_id) or o.derived.get(driver_id)
    return f"{score} ({reason})" if reason else score


def _headline(r: AdrResult) -> list[tuple[str, str]]:
    """The record's metadata as (label, value) pairs, shared by Markdown and HTML."""
    uses = ", ".join(u.value for u in r.policy.uses)
    candidates = "; ".join(
        f"{o.candidate} -> {o.label} (matrix row {o.matrix_label!r})" for o in r.options
    )
    rows = [
        ("Status", "proposed (to be completed by people, see Decision)"),
        ("As of", r.as_of.isoformat()),
        ("Policy", f"{r.policy.name} (sha256 {r.policy.sha256[:12]}), declared uses: {uses}"),
        ("Decision matrix", f"{r.matrix.source} (sha256 {r.matrix.sha256[:12]})"),
        ("Candidates", candidates),
    ]
    if r.omitted:
        rows.append(("Matrix options not among the candidates", ", ".join(r.omitted)))
    return rows


def _range_rows(t: Timeline) -> list[list[str]]:
    """License eras as table rows; the candidate's own era is marked."""
    return [
        [
            rg.versions + (" (this candidate)" if rg.current else ""),
            rg.license + (f"; {rg.converts}" if rg.converts else ""),
            (rg.evidence or "-") + ("" if rg.verified else " (not verified at tags)"),
        ]
        for rg in t.ranges
    ]


def _decision_text(r: AdrResult) -> list[str]:
    d = r.decision
    best = r.option(d.recommended)
    text = (
        f"Recommended: {best.label} ({best.candidate}), weighted total "
        f"{_n(r.totals[d.recommended])}"
    )
    if d.runner_up is not None and d.margin is not None:
        runner = r.option(d.runner_up)
        text += (
            f", {_n(d.margin)} ahead of the runner-up {runner.label} ({_n(r.totals[d.runner_up])})"
        )
    lines = [text + "."]
    if d.caveat:
        lines.append(d.caveat)
    return lines


# -- Markdown ------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(header), "|" + "|".join("---" for _ in header) + "|", *map(_row, rows)]


def _mermaid_label(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def _md_chart(r: AdrResult) -> list[str]:
    labels = ", ".join(_mermaid_label(r.option(o).label) for o in r.ranking)
    values = ", ".join(_n(r.totals[o]) for o in r.ranking)
    return [
        "```mermaid",
        "xychart-beta",
        '    title "Weighted total (1-5), best first"',
        f"    x-axis [{labels}]",
        f'    y-axis "Weighted total" 0 --> {MAX_SCORE}',
        f"    bar [{values}]",
        "```",
    ]


def _md_matrix(r: AdrResult) -> list[str]:
    header = ["Driver", "Weight", *(o.label for o in r.options)]
    rows = [[d.name, _n(d.weight), *(_score_text(o, d.id) for o in r.options)] for d in r.drivers]
    rows.append(["**Weighted total**", _n(1.0), *(f"**{_n(r.totals[o.id])}**" for o in r.options)])
    rows.append(["Rank", "", *(str(r.ranking.index(o.id) + 1) for o in r.options)])
    return _table(header, rows)


def _md_context(r: AdrResult) -> list[str]:
    out: list[str] = []
    for o in r.options:
        t, f = o.timeline, o.finding
        out += [
            "",
            f"### {o.engine.name} ({o.candidate})",
            "",
            f"Verdict under policy {r.policy.name}: **{f.verdict}**; resolves to "
            f"{f.version or '(unresolved)'}; governance: {t.model} (steward: {t.steward})",
            "",
        ]
        out += _table(["Releases", "License", "First evidence"], _range_rows(t))
        out += ["", *_table(["Date", "Event"], [[e.date, e.event] for e in t.events])]
    return out


def _md_sensitivity(r: AdrResult) -> list[str]:
    rows = [
        [
            _driver_name(r, s.driver),
            _n(s.current_weight),
            _threshold(s),
            _label(r, s.new_winner),
        ]
        for s in r.sensitivity
    ]
    return _table(["Driver", "Weight now", "Winner changes when weight is", "New winner"], rows)


def _md_consequences(r: AdrResult) -> list[str]:
    out: list[str] = []
    for o in r.options:
        out += ["", f"### If we choose {o.label}", "", "What we accept:", ""]
        out += [f"- {line}" for line in o.consequences.accept]
        out += ["", f"What we get (scores of {GOOD_SCORE} or more):", ""]
        out += [f"- {line}" for line in o.consequences.get] or ["- (no score of 4 or more)"]
    return out


def _total_claim_notes(r: AdrResult) -> list[str]:
    """Printed totals the matrix contradicts, said where the totals are shown."""
    return [
        f"Note: {c.claim.text or 'the source'} The matrix gives "
        f"{_n(c.totals[c.claim.option])}: the printed figure is wrong."
        for c in r.claims
        if isinstance(c.claim, parts.TotalClaim) and not c.holds
    ]


def _md_new_sections(r: AdrResult) -> list[str]:
    lines = ["", "## Decision path", "", parts.PATH_METHOD, ""]
    lines += parts.path_mermaid(r) + [""] + parts.path_lines(r)
    if r.claims:
        lines += ["", "## Claims checked", "", parts.CLAIMS_METHOD, ""]
        lines += _table(["Claim", "Result", "What the matrix says"], parts.claim_rows(r))
    elif r.claims_skipped:
        lines += ["", "## Claims checked", "", f"The matrix's claims were {r.claims_skipped}."]
    if r.what_if is not None:
        lines += ["", "## What if", ""] + parts.what_if_lines(r)
    return lines


def _md_audit(r: AdrResult) -> list[str]:
    a = r.audit
    if a is None:
        return []
    lines = [
        "",
        "## Migration audit",
        "",
        f"Scanned: {', '.join(a.paths)} ({a.files} files met, {a.parsed} parsed as manifests).",
        "",
        "Deployed today:",
        "",
    ]
    lines += (
        _table(
            ["Engine", "Kind", "Version", "License", "Verdict", "Where"],
            parts.audit_deployed_rows(a),
        )
        if a.deployed
        else ["(nothing found)"]
    )
    lines += ["", "Modules loaded:", ""]
    lines += (
        _table(
            ["Module", "Version", "Capability", "Loaded by", "Where"], parts.audit_module_rows(a)
        )
        if a.modules
        else ["(none found)"]
    )
    for label, items in parts.audit_candidate_lines(a):
        lines += ["", f"### Moving to {label}", ""] + [f"- {i}" for i in items]
    if a.cache_warmup:
        lines += ["", f"For a cache: {a.cache_warmup}"]
    return lines


def render_markdown(r: AdrResult) -> str:
    """The ADR as GitHub-flavoured Markdown, with a Mermaid chart of the totals."""
    lines = [f"# {_title(r)}", ""]
    lines += [f"- **{k}:** {v}" for k, v in _headline(r)]
    lines += ["", "## Context", "", "License history of each candidate, from the catalog."]
    lines += _md_context(r)
    lines += ["", "## Decision drivers", ""]
    lines += _table(
        ["Driver", "Weight", "What it asks"],
        [[d.name, _n(d.weight), d.description or ""] for d in r.drivers],
    )
    lines += ["", "## Scored comparison", "", METHOD, ""]
    if any(o.derived for o in r.options):
        lines += [DERIVED_METHOD, ""]
    lines += _md_chart(r) + [""] + _md_matrix(r)
    notes = [o.scope_note for o in r.options if o.scope_note] + _total_claim_notes(r)
    for note in notes:
        lines += ["", note]
    ranked = ", ".join(
        f"{i}. {r.option(o).label} ({_n(r.totals[o])})" for i, o in enumerate(r.ranking, 1)
    )
    lines += ["", f"Ranking: {ranked}.", "", "## Sensitivity", "", SENSITIVITY_METHOD, ""]
    lines += _md_sensitivity(r)
    lines += _md_new_sections(r)
    lines += ["", "## Consequences"] + _md_consequences(r)
    lines += _md_audit(r)
    lines += ["", "## Decision"]
    for paragraph in _decision_text(r):
        lines += ["", paragraph]
    lines += [
        "",
        "### To be completed by people",
        "",
        "- **Decided by:** ",
        "- **Date:** ",
        f"- **Status:** proposed ({STATUSES})",
        "",
    ]
    return "\n".join(lines)


# -- HTML ------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;max-width:70rem;margin:2rem auto;
padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.6rem 0;width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
.bar{background:#e7ecf0;height:1.1rem;width:100%}.fill{background:#2f6f9f;height:100%}
.events td:first-child{white-space:nowrap}.meta td:first-child{width:14rem}
.allow{color:#1a7f37}.review{color:#9a6700}.deny{color:#cf222e}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _h_table(
    header: list[str] | None,
    rows: list[list[str]],
    numeric: frozenset[int] = frozenset(),
    css_class: str | None = None,
) -> str:
    """A table; ``numeric`` columns are right-aligned, no header row when ``header`` is None."""
    head = (
        "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr></thead>"
        if header
        else ""
    )
    opening = f'<table class="{css_class}">' if css_class else "<table>"
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"{opening}{head}<tbody>{body}</tbody></table>"


def _h_list(items: tuple[str, ...] | list[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _h_chart(r: AdrResult) -> str:
    rows = []
    for o in r.ranking:
        pct = 100.0 * r.totals[o] / MAX_SCORE
        rows.append(
            f'<tr><td>{_e(r.option(o).label)}</td><td class="num">{_n(r.totals[o])}</td>'
            f'<td><div class="bar"><div class="fill" style="width:{pct:.1f}%"></div></div>'
            "</td></tr>"
        )
    return (
        "<table><thead><tr><th>Option</th><th>Weighted total</th><th>0 to 5</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _h_context(r: AdrResult) -> str:
    parts = []
    for o in r.options:
        t, f = o.timeline, o.finding
        parts.append(
            f"<h3>{_e(o.engine.name)} ({_e(o.candidate)})</h3>"
            f"<p>Verdict under policy {_e(r.policy.name)}: "
            f'<strong class="{f.verdict}">{f.verdict}</strong>; resolves to '
            f"{_e(f.version or '(unresolved)')}; governance: {_e(t.model)} (steward: "
            f"{_e(t.steward)})</p>"
            + _h_table(["Releases", "License", "First evidence"], _range_rows(t))
            + _h_table(["Date", "Event"], [[e.date, e.event] for e in t.events], css_class="events")
        )
    return "".join(parts)


def _h_matrix(r: AdrResult) -> str:
    rows = [[d.name, _n(d.weight), *(_score_text(o, d.id) for o in r.options)] for d in r.drivers]
    rows.append(["Weighted total", _n(1.0), *(_n(r.totals[o.id]) for o in r.options)])
    rows.append(["Rank", "", *(str(r.ranking.index(o.id) + 1) for o in r.options)])
    return _h_table(["Driver", "Weight", *(o.label for o in r.options)], rows, frozenset({1}))


def _h_sensitivity(r: AdrResult) -> str:
    rows = [
        [_driver_name(r, s.driver), _n(s.current_weight), _threshold(s), _label(r, s.new_winner)]
        for s in r.sensitivity
    ]
    header = ["Driver", "Weight now", "Winner changes when weight is", "New winner"]
    return _h_table(header, rows, frozenset({1}))


def _h_consequences(r: AdrResult) -> str:
    return "".join(
        f"<h3>If we choose {_e(o.label)}</h3><p>What we accept:</p>"
        + _h_list(o.consequences.accept)
        + f"<p>What we get (scores of {GOOD_SCORE} or more):</p>"
        + _h_list(list(o.consequences.get) or ["(no score of 4 or more)"])
        for o in r.options
    )


def _h_new_sections(r: AdrResult) -> str:
    out = (
        f"<h2>Decision path</h2><p>{_e(parts.PATH_METHOD)}</p>"
        + _h_list(parts.path_lines(r))
        + "<pre>"
        + _e("\n".join(parts.path_mermaid(r)[1:-1]))
        + "</pre>"
    )
    if r.claims:
        out += f"<h2>Claims checked</h2><p>{_e(parts.CLAIMS_METHOD)}</p>" + _h_table(
            ["Claim", "Result", "What the matrix says"], parts.claim_rows(r)
        )
    elif r.claims_skipped:
        out += f"<h2>Claims checked</h2><p>The matrix's claims were {_e(r.claims_skipped)}.</p>"
    if r.what_if is not None:
        out += "<h2>What if</h2>" + "".join(f"<p>{_e(x)}</p>" for x in parts.what_if_lines(r))
    return out


def _h_audit(r: AdrResult) -> str:
    a = r.audit
    if a is None:
        return ""
    out = (
        f"<h2>Migration audit</h2><p>Scanned: {_e(', '.join(a.paths))} ({a.files} files met, "
        f"{a.parsed} parsed as manifests).</p><p>Deployed today:</p>"
    )
    out += _h_table(
        ["Engine", "Kind", "Version", "License", "Verdict", "Where"], parts.audit_deployed_rows(a)
    )
    out += "<p>Modules loaded:</p>" + _h_table(
        ["Module", "Version", "Capability", "Loaded by", "Where"], parts.audit_module_rows(a)
    )
    for label, items in parts.audit_candidate_lines(a):
        out += f"<h3>Moving to {_e(label)}</h3>" + _h_list(items)
    if a.cache_warmup:
        out += f"<p>For a cache: {_e(a.cache_warmup)}</p>"
    return out


def render_html(r: AdrResult) -> str:
    """The ADR as one self-contained HTML page (inline CSS, no scripts, everything escaped)."""
    meta = _h_table(None, [[k, v] for k, v in _headline(r)], css_class="meta")
    drivers = _h_table(
        ["Driver", "Weight", "What it asks"],
        [[d.name, _n(d.weight), d.description or ""] for d in r.drivers],
        frozenset({1}),
    )
    derived = f"<p>{_e(DERIVED_METHOD)}</p>" if any(o.derived for o in r.options) else ""
    decision = "".join(f"<p>{_e(line)}</p>" for line in _decision_text(r))
    people = _h_table(
        ["Field", "Value"],
        [["Decided by", ""], ["Date", ""], ["Status", f"proposed ({STATUSES})"]],
    )
    body = (
        f"<h1>{_e(_title(r))}</h1>{meta}"
        f"<h2>Context</h2><p>License history of each candidate, from the catalog.</p>"
        f"{_h_context(r)}<h2>Decision drivers</h2>{drivers}"
        f"<h2>Scored comparison</h2><p>{_e(METHOD)}</p>{derived}{_h_chart(r)}{_h_matrix(r)}"
        + "".join(
            f"<p>{_e(n)}</p>"
            for n in [o.scope_note for o in r.options if o.scope_note] + _total_claim_notes(r)
        )
        + f"<h2>Sensitivity</h2><p>{_e(SENSITIVITY_METHOD)}</p>{_h_sensitivity(r)}"
        + _h_new_sections(r)
        + f"<h2>Consequences</h2>{_h_consequences(r)}"
        + _h_audit(r)
        + f"<h2>Decision</h2>{decision}<h3>To be completed by people</h3>{people}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(_title(r))}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


# -- JSON ------------------------------------------------------------------------------------


def _option_json(o: OptionResult) -> dict[str, Any]:
    f = o.finding
    t = o.timeline
    return {
        "id": o.id,
        "label": o.label,
        "matrix_label": o.matrix_label,
        "scope_note": o.scope_note,
        "candidate": o.candidate,
        "engine": o.engine.id,
        "version": f.version,
        "license": f.license,
        "effective_license": f.effective_license,
        "verdict": str(f.verdict),
        "elected": f.elected,
        "rules": list(f.rules),
        "pinned": f.pinned,
        "converts": f.converts,
        "scores": dict(o.scores),
        "score_notes": dict(o.score_notes),
        "derived": dict(o.derived),
        "consequences": {"accept": list(o.consequences.accept), "get": list(o.consequences.get)},
        "timeline": {
            "steward": t.steward,
            "governance_model": t.model,
            "ranges": [
                {
                    "versions": rg.versions,
                    "license": rg.license,
                    "evidence": rg.evidence,
                    "converts": rg.converts,
                    "verified_at_tags": rg.verified,
                    "current": rg.current,
                }
                for rg in t.ranges
            ],
            "events": [
                {"date": e.date, "event": e.event, "evidence": e.evidence} for e in t.events
            ],
        },
    }


def adr_json(r: AdrResult) -> dict[str, Any]:
    """The ADR as a JSON-ready dict; totals, margin and thresholds rounded to 4 places."""
    d = r.decision
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "policycheck", "version": __version__},
        "as_of": r.as_of.isoformat(),
        "policy": {
            "name": r.policy.name,
            "sha256": r.policy.sha256,
            "uses": [u.value for u in r.policy.uses],
        },
        "matrix": {"source": r.matrix.source, "sha256": r.matrix.sha256, "title": r.matrix.title},
        "drivers": [{"id": x.id, "name": x.name, "weight": x.weight} for x in r.drivers],
        "options": [_option_json(o) for o in r.options],
        "omitted_options": list(r.omitted),
        "totals": {o.id: round(r.totals[o.id], 4) for o in r.options},
        "ranking": list(r.ranking),
        "ranking_rule": RANKING_RULE,
        "sensitivity": [
            {
                "driver": s.driver,
                "current_weight": s.current_weight,
                "threshold_weight": s.threshold_weight,
                "new_winner": s.new_winner,
                "direction": s.direction,
            }
            for s in r.sensitivity
        ],
        "path": parts.path_json(r),
        "claims": parts.claims_json(r),
        "claims_skipped": r.claims_skipped,
        "what_if": parts.what_if_json(r),
        "audit": parts.audit_json(r.audit),
        "decision": {
            "recommended": d.recommended,
            "runner_up": d.runner_up,
            "margin": round(d.margin, 4) if d.margin is not None else None,
            "caveat": d.caveat,
            "decided_by": None,
            "date": None,
            "status": "proposed",
        },
    }


def render_json(r: AdrResult) -> str:
    """The ADR as pretty-printed JSON with a fixed key order."""
    return pretty(adr_json(r))


RENDERERS: dict[str, Callable[[AdrResult], str]] = {
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
}
"""``--format`` name to renderer, for the CLI."""
