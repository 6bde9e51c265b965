"""What ``engines`` and ``licenses`` print: aligned tables for people, JSON for programs.

The JSON documents are contracts like the report (``schemas/engine-list.schema.json``,
``schemas/license-list.schema.json``): versioned, sorted by id, nothing that changes
between runs on the same data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from policycheck import __version__
from policycheck.catalog import Engine, catalog
from policycheck.errors import InputError
from policycheck.knowledge import License, knowledge
from policycheck.notice import catalog_identity
from policycheck.suggest import did_you_mean

LIST_SCHEMA_VERSION = "1.0"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows under headers, each column as wide as its widest cell (the last is not padded)."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return [
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]


def _head(kind: str) -> dict[str, Any]:
    return {
        "schema_version": LIST_SCHEMA_VERSION,
        "tool": {"name": "policycheck", "version": __version__},
        "catalog": catalog_identity(),
        "kind": kind,
    }


def find_engine(name: str) -> Engine:
    """The engine by id or alias; an InputError that says what was probably meant."""
    engine = catalog().get(name)
    if engine is None:
        maybe = did_you_mean(name, catalog().engines)
        raise InputError(
            f"unknown engine {name!r}{maybe}", hint="run 'policycheck engines' for the list"
        )
    return engine


def find_license(key: str) -> License:
    """The license by id or alias; an InputError that says what was probably meant."""
    lic = knowledge().get(key)
    if lic is None:
        maybe = did_you_mean(key, knowledge().licenses)
        raise InputError(
            f"unknown license {key!r}{maybe}", hint="run 'policycheck licenses' for the list"
        )
    return lic


def engine_json(e: Engine) -> dict[str, Any]:
    """One engine: identity, governance and its license eras with their evidence."""
    g = e.governance
    return {
        "id": e.id,
        "name": e.name,
        "repository": e.repository,
        "governance": {"model": g.model, "steward": g.steward, "cla": g.cla.to_json()},
        "newest_known": str(e.newest_known),
        "ranges": [
            {
                "versions": str(r.versions),
                "license": r.license,
                "verified_at_tags": r.verified_at_tags,
                "evidence": [ev.cite() for ev in r.evidence],
            }
            for r in e.ranges
        ],
    }


def engines_json(only: Engine | None = None) -> dict[str, Any]:
    """Every catalogued engine (or ``only`` one) as the engine-list document."""
    chosen = [only] if only else sorted(catalog().engines.values(), key=lambda x: x.id)
    return {**_head("engines"), "engines": [engine_json(e) for e in chosen]}


def eras(e: Engine) -> str:
    """The engine's licenses in version order, consecutive ranges of one license merged:
    ``BSD-3-Clause from 1.3.6; LicenseRef-scancode-rsalv2 OR SSPL-1.0 from 7.3.0``."""
    parts: list[tuple[str, str]] = []
    for r in e.ranges:
        if parts and parts[-1][0] == r.license:
            continue
        low = re.search(r"(?:>=|==)\s*([^,\s]+)", str(r.versions))
        high = re.match(r"<\s*([^,\s]+)$", str(r.versions))
        since = f"from {low.group(1)}" if low else f"before {high.group(1)}" if high else ""
        parts.append((r.license, since or f"({r.versions})"))
    return "; ".join(f"{lic} {since}" for lic, since in parts)


def engines_table() -> list[str]:
    """ID, governance, newest release and license eras, one engine a row."""
    rows = [
        (
            e.id,
            e.governance.model,
            str(e.newest_known),
            eras(e),
        )
        for e in sorted(catalog().engines.values(), key=lambda x: x.id)
    ]
    return table(("ENGINE", "GOVERNANCE", "NEWEST", "LICENSE BY VERSION"), rows)


def license_json(lic: License) -> dict[str, Any]:
    """One license: identity, classification and its effect under each use."""
    return {
        "id": lic.id,
        "name": lic.name,
        "category": lic.category,
        "osi_approved": lic.osi_approved,
        "fsf_libre": lic.fsf_libre,
        "url": lic.url,
        "effects": {
            use.value: {
                "effect": e.effect.value,
                "rationale": e.rationale,
                "clause": e.clause,
                "judgement": e.judgement,
            }
            for use, e in lic.effects.items()
        },
    }


def licenses_json(only: License | None = None) -> dict[str, Any]:
    """Every known license (or ``only`` one) as the license-list document."""
    chosen = [only] if only else sorted(knowledge().licenses.values(), key=lambda x: x.id)
    return {**_head("licenses"), "licenses": [license_json(lic) for lic in chosen]}


def licenses_table() -> list[str]:
    """ID, category, OSI approval and name, one license a row."""
    rows = [
        (lic.id, lic.category, "yes" if lic.osi_approved else "no", lic.name)
        for lic in sorted(knowledge().licenses.values(), key=lambda x: x.id)
    ]
    return table(("LICENSE", "CATEGORY", "OSI", "NAME"), rows)
