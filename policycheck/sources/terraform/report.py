"""From evaluated Terraform values to findings: engine, version, or why not.

``component`` turns a cache's engine and version (as ``expressions`` computed them, with
the raw text for messages) into a Component: the provider's default where
``licenses/terraform.yaml`` cites one and the provider versions in use admit it (a
``.terraform.lock.hcl`` pin, else the ``required_providers`` constraints), the
version normalised to what the catalog reads, and otherwise the reason it is
unresolved. ``instances`` says whether ``count``/``for_each`` create anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from policycheck.model import Component, Location
from policycheck.sources.terraform.config import Scope
from policycheck.sources.terraform.expressions import (
    Known,
    Result,
    Unknown,
    as_text,
    expression_text,
    is_reference,
    show,
)
from policycheck.sources.terraform.facts import (
    EngineRule,
    ResourceFacts,
    VersionRule,
    cite,
    parse_constraint,
    parse_version,
)

ORIGIN = "terraform"
#: The engine of a finding whose engine cannot be known: never a guessed "redis".
UNKNOWN_ENGINE = "unknown"
ENGINES = ("redis", "valkey", "memcached", "elasticsearch", "opensearch", "mongodb", "grafana")
_AWS_SEARCH_VERSION = re.compile(
    r"^(?:(?:OpenSearch|Elasticsearch)_)?(?P<version>\d+(?:\.\d+)*)$", re.IGNORECASE
)
_GCP_VERSION = re.compile(r"^(?:REDIS|VALKEY|MEMCACHE)_(\d+)_(\d+|X)(?:_(\d+))?$", re.IGNORECASE)


def instances(body: dict[str, Any], scope: Scope, where: str) -> tuple[str | None, list[str]]:
    """Why ``count``/``for_each`` create no instance (None: they may), and notes."""
    notes: list[str] = []
    for meta in ("count", "for_each"):
        if meta not in body:
            continue
        result = scope.evaluate(body[meta])
        text = expression_text(body[meta])
        if isinstance(result, Unknown):
            notes.append(f"{meta} = {text} is unknown here ({result.why}): reported as created")
            continue
        value = result.value
        empty = value == 0 if meta == "count" else value in (None, {}, [])
        if empty and not isinstance(value, bool):
            return f"{where}: {meta} = {text} is {show(value)}: no instance is created", notes
    return None, notes


def provider_name(kind: str, body: dict[str, Any], scope: Scope) -> str:
    """The provider local name a resource uses: its ``provider`` argument, else its prefix."""
    given = body.get("provider")
    if isinstance(given, str):
        name = given.removeprefix("${").removesuffix("}").split(".")[0].strip()
        if name:
            return name
    return kind.split("_")[0]


class ProviderGate:
    """Whether a provider default recorded for some provider versions applies here."""

    def __init__(self, scope: Scope, provider: str, extra: str | None = None) -> None:
        self.scope = scope
        self.provider = provider
        self.extra = extra

    def holds(self, rule: VersionRule) -> tuple[bool, str]:
        if not rule.provider_versions:
            return True, ""
        wanted = rule.provider_versions.get(self.provider)
        if wanted is None:
            return (
                False,
                f"the default is recorded for the {', '.join(rule.provider_versions)} provider",
            )
        facts_range = parse_constraint(wanted)
        assert facts_range is not None
        root = self.scope.chain[-1].directory
        locked = root.locked_provider(self.provider)
        if locked is not None and (version := parse_version(locked)) is not None:
            holds = facts_range.admits(version)
            return holds, f"{self.provider} {locked} in .terraform.lock.hcl"
        constraints = [
            c for s in self.scope.chain for c in s.directory.required_provider(self.provider)
        ]
        if self.extra:
            constraints.append(self.extra)
        constraints = list(dict.fromkeys(constraints))
        interval = None
        for constraint in constraints:
            parsed = parse_constraint(constraint)
            if parsed is not None:
                interval = parsed if interval is None else interval & parsed
        if interval is None or interval.high is None:
            shown = f" ({', '.join(constraints)})" if constraints else ""
            return True, f"Terraform installs the newest {self.provider} provider{shown}"
        holds = interval.within(facts_range)
        return holds, f"{self.provider} provider {', '.join(constraints)}"


@dataclass(frozen=True)
class Value:
    """An engine or version value as evaluated, with the raw text for messages."""

    result: Result
    raw: Any
    name: str

    def why(self, reason: str) -> str:
        if self.raw is None or is_reference(self.raw) or not isinstance(self.raw, str):
            return f"{self.name}: {reason}"
        return f"{self.name} is an expression: {expression_text(self.raw)}: {reason}"


def engine_result(rule: EngineRule, body: dict[str, Any], scope: Scope) -> Result:
    if rule.value is not None:
        return Known(rule.value)
    if rule.attribute is None or rule.attribute not in body:
        return Known(None)
    return scope.evaluate(body[rule.attribute])


def component(
    resource: ResourceFacts,
    where: str,
    engine_value: Value,
    version_value: Value,
    gate: ProviderGate,
    location: Location,
    notes: list[str],
    disabled: str | None,
) -> Component:
    """The finding for one cache: engine and version resolved, or the reason why not."""
    notes = list(notes)
    provider = resource.provider or None
    if resource.note:
        notes.append(resource.note)
    imitated = resource.engine.imitates
    if imitated is not None:
        # compatible with an engine, but not it: never given that engine's license
        return Component(
            imitated["service"],
            None,
            location,
            provider=provider,
            origin=ORIGIN,
            disabled=disabled,
            notes=(f"{where}: {imitated['why']}", *notes),
        )

    def unresolved(engine: str, why: str) -> Component:
        return Component(
            engine,
            None,
            location,
            unresolved=f"{where}: {why}",
            provider=provider,
            origin=ORIGIN,
            disabled=disabled,
            notes=tuple(notes),
        )

    engine_result = engine_value.result
    if isinstance(engine_result, Unknown):
        return unresolved(UNKNOWN_ENGINE, engine_value.why(engine_result.why))
    value = engine_result.value
    if value is None:
        if resource.engine.default is None:
            return unresolved(UNKNOWN_ENGINE, resource.engine.unset)
        value = resource.engine.default
        notes.append(
            f"{engine_value.name} is not set: the provider's default is {value} "
            f"({cite(resource.engine.evidence)})"
        )
    elif engine_result.via:
        notes.append(f"{engine_value.name}: {'; '.join(engine_result.via)}")
    if isinstance(value, str) and resource.engine.prefixes:
        value = engine_of_prefixed(value, resource.engine) or value
    if not isinstance(value, str) or value.strip().lower() not in ENGINES:
        return unresolved(UNKNOWN_ENGINE, engine_value.why(f"unknown engine {show(value)}"))
    engine = value.strip().lower()
    rule = resource.version
    version_result = version_value.result
    if isinstance(version_result, Unknown):
        return unresolved(engine, version_value.why(version_result.why))
    text: str | None
    if version_result.value is None:
        via = "; ".join(version_result.via)
        null = f" ({via})" if "= null" in via else f" ({via}: null)" if via else ""
        if rule.default is None:
            return unresolved(engine, rule.unset + null)
        holds, context = gate.holds(rule)
        if not holds:
            return unresolved(engine, f"{rule.unset}{null}; {context}")
        text = rule.default
        how = f"{version_value.name} not set; provider default {text} ({cite(rule.evidence)})"
        notes.append(how + (f"; {context}" if context else ""))
        location = replace(location, text=f"{location.text or where} ({how})")
    else:
        text = as_text(version_result.value)
        if text is None:
            return unresolved(
                engine,
                version_value.why(f"the value {show(version_result.value)} is not a version"),
            )
        if version_result.via:
            # the outermost step: where the value is written (a .tfvars file, a default)
            shown = f"{location.text or where} ({version_result.via[-1]}: {text!r})"
            location = replace(location, text=shown)
            if len(version_result.via) > 1:
                notes.append(f"{version_value.name}: {'; '.join(version_result.via)}")
    version = normalise(text, rule.format)
    return Component(
        engine,
        version,
        location,
        floating=version.count(".") < 2,
        provider=provider,
        origin=ORIGIN,
        disabled=disabled,
        notes=tuple(notes),
    )


def engine_of_prefixed(value: str, rule: EngineRule) -> str | None:
    """The engine a prefixed version names: ``OpenSearch_2.11`` -> opensearch; a value
    without a prefix (``7.10``) names the rule's ``bare`` engine; None when unknown."""
    prefix, sep, _ = value.strip().partition("_")
    if not sep:
        return rule.bare if _AWS_SEARCH_VERSION.match(value.strip()) else None
    return rule.prefixes.get(prefix.lower())


def normalise(text: str, format: str) -> str:
    """A version as the catalog reads it: ``6.x`` -> ``6``; ``REDIS_7_2`` -> ``7.2``;
    ``MEMCACHE_1_6_15`` -> ``1.6.15``; ``OpenSearch_2.11`` -> ``2.11``."""
    text = text.strip()
    if format == "aws-opensearch":
        m = _AWS_SEARCH_VERSION.match(text)
        return m.group("version") if m else text
    if format == "gcp":
        m = _GCP_VERSION.match(text)
        if m:
            major, minor, patch = m.groups()
            if minor.upper() == "X":
                return major
            return f"{major}.{minor}" + (f".{patch}" if patch else "")
        return text
    if format == "elasticache":
        return re.sub(r"\.x$", "", text, flags=re.IGNORECASE)
    return text
