"""SPDX license expressions as a small tree we evaluate ourselves.

license-expression (the library spdx-tools builds on) does the parsing; we turn its
result into three node types so the evaluator can say, for ``A OR B``, which side the
licensee elects and why, and for ``A AND B``, that both apply. User spellings that
are not SPDX ids (``RSALv2``, ``BSD 3-Clause``) are normalised through the aliases in
the license records before parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

from policycheck.knowledge import knowledge


@dataclass(frozen=True)
class Lic:
    """A single license, optionally with a WITH exception that travels with it."""

    key: str
    exception: str | None = None

    def __str__(self) -> str:
        return f"{self.key} WITH {self.exception}" if self.exception else self.key


@dataclass(frozen=True)
class AnyOf:
    """``A OR B``: the licensee may elect any one alternative."""

    options: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_wrap(o, AllOf) for o in self.options)


@dataclass(frozen=True)
class AllOf:
    """``A AND B``: every part applies at once."""

    parts: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrap(p, AnyOf) for p in self.parts)


Node = Lic | AnyOf | AllOf


def _wrap(node: Node, needs_parens: type) -> str:
    text = str(node)
    return f"({text})" if isinstance(node, needs_parens) else text


class ExpressionSyntaxError(ValueError):
    """The text is not a valid license expression."""


@cache
def _licensing() -> Licensing:
    return Licensing()


@cache
def _alias_pattern() -> re.Pattern[str] | None:
    spaced = sorted((a for a in knowledge().aliases if " " in a), key=len, reverse=True)
    if not spaced:
        return None
    return re.compile(
        r"(?<![\w.-])(" + "|".join(re.escape(a) for a in spaced) + r")(?![\w.-])", re.IGNORECASE
    )


def parse(text: str) -> Node:
    """Parse an SPDX expression, normalising known aliases to their record ids."""
    return _parse(text)


@lru_cache(maxsize=4096)
def _parse(text: str) -> Node:
    """``parse``, remembered: a scan meets the same few expressions hundreds of times
    (every release of a catalogued engine, every finding), and the nodes are frozen.
    Errors are raised again each time, never remembered."""
    kb = knowledge()
    pattern = _alias_pattern()
    source = text
    if pattern is not None:
        source = pattern.sub(lambda m: kb.aliases[m.group(1).lower()], text)
    if not source.strip():
        raise ExpressionSyntaxError("empty license expression")
    try:
        parsed = _licensing().parse(source, simple=False)
    except ExpressionError as exc:
        raise ExpressionSyntaxError(f"invalid license expression {text!r}: {exc}") from None
    if parsed is None:
        raise ExpressionSyntaxError("empty license expression")
    return _convert(parsed)


def _norm(key: str) -> str:
    return knowledge().canonical_id(key) or key


def _convert(expr: object) -> Node:
    if isinstance(expr, LicenseWithExceptionSymbol):
        return Lic(_norm(expr.license_symbol.key), expr.exception_symbol.key)
    if isinstance(expr, LicenseSymbol):
        return Lic(_norm(expr.key))
    if isinstance(expr, OR):
        return AnyOf(tuple(_flatten(expr, OR)))
    if isinstance(expr, AND):
        return AllOf(tuple(_flatten(expr, AND)))
    raise ExpressionSyntaxError(f"unsupported expression element {expr!r}")


def _flatten(expr: object, kind: type) -> list[Node]:
    out: list[Node] = []
    for arg in expr.args:  # type: ignore[attr-defined]
        if isinstance(arg, kind):
            out.extend(_flatten(arg, kind))
        else:
            out.append(_convert(arg))
    return out


def licenses_in(node: Node) -> list[Lic]:
    """Every single license in the expression, left to right."""
    if isinstance(node, Lic):
        return [node]
    children = node.options if isinstance(node, AnyOf) else node.parts
    return [lic for child in children for lic in licenses_in(child)]


def is_spdx_id(key: str) -> bool:
    """True when ``key`` is an id on the SPDX list or ScanCode's LicenseRef namespace."""
    return not get_spdx_licensing().validate(key).errors


# --- comparing a declared license with the catalog's -------------------------------------


def license_disagreement(declared: str, catalog_expr: str) -> str | None:
    """A sentence when the SBOM's license set differs from the catalog's, else None.

    Sets, not trees, are compared: ``RSALv2 OR SSPL-1.0`` and ``SSPL-1.0 OR
    LicenseRef-scancode-rsalv2`` agree (aliases are normalised by the parser), while
    ``BSD-3-Clause`` for Redis 7.4.0 (catalog: RSALv2 OR SSPL) does not. It lives here,
    not in the SBOM source, because the evaluator makes the comparison for any component
    that declares a license; the sentences name the SBOM, today the only input that does.
    """
    catalog_set = _license_set(catalog_expr)
    try:
        declared_set = _license_set(declared)
    except ExpressionSyntaxError:
        return (
            f"the SBOM declares {declared!r}, which is not a valid SPDX license expression; "
            f"the catalog records {catalog_expr}"
        )
    if declared_set.keys() == catalog_set.keys():
        return None
    only_sbom = _listed(declared_set, catalog_set)
    only_catalog = _listed(catalog_set, declared_set)
    return (
        f"the SBOM declares {declared} but the catalog records {catalog_expr} "
        f"(only in the SBOM: {only_sbom}; only in the catalog: {only_catalog})"
    )


def _license_set(expression: str) -> dict[str, str]:
    """Licenses of an expression keyed case-insensitively (SPDX ids are case-insensitive)."""
    return {str(lic).casefold(): str(lic) for lic in licenses_in(parse(expression))}


def _listed(these: dict[str, str], others: dict[str, str]) -> str:
    return ", ".join(sorted(these[k] for k in these.keys() - others.keys())) or "nothing"
