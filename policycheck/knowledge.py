"""The license knowledge: what each license is and what it does under each use context.

Loaded once, lazily, from ``licenses/licenses/*.yaml`` and ``licenses/judgements.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policycheck.data import data_dir, remembered
from policycheck.errors import DataError
from policycheck.yamlload import load_file

if TYPE_CHECKING:
    from policycheck.identify.spdx_list import ListedLicense


class Use(StrEnum):
    """How the organization uses an engine: the contexts license effects are stated for."""

    INTERNAL = "internal"
    SAAS = "saas"
    MANAGED_SERVICE = "managed-service"
    DISTRIBUTION = "distribution"
    MODIFICATION = "modification"


class Effect(StrEnum):
    """What a license does to one use: nothing, a duty, or a prohibition."""

    NONE = "none"
    OBLIGATION = "obligation"
    RESTRICTION = "restriction"


CATEGORIES = (
    "permissive",
    "weak-copyleft",
    "strong-copyleft",
    "network-copyleft",
    "source-available",
    "proprietary",
    "unknown",
)


@dataclass(frozen=True)
class UseEffect:
    """The effect of one license (or grant) on one use, with its reason and clause."""

    use: Use
    effect: Effect
    rationale: str
    clause: str
    url: str
    judgement: str | None = None
    confirm: str | None = None
    confirm_unless: tuple[Use, ...] = ()

    @classmethod
    def from_data(cls, use: Use, data: dict[str, Any], url: str) -> UseEffect:
        """Build from a record's ``effects`` entry."""
        confirm = data.get("confirm") or {}
        return cls(
            use,
            Effect(data["effect"]),
            data["rationale"],
            data["clause"],
            url,
            data.get("judgement"),
            confirm.get("statement"),
            tuple(Use(u) for u in confirm.get("unless_uses", ())),
        )


@dataclass(frozen=True)
class License:
    """One license record."""

    id: str
    name: str
    category: str
    osi_approved: bool
    fsf_libre: bool
    url: str
    summary: str
    aliases: tuple[str, ...]
    effects: dict[Use, UseEffect]
    text_read: dict[str, str]
    licensor_url: str | None = None
    #: For an exception that takes rights away (used after WITH): the base licenses its
    #: effects are recorded for. Its effects then stand for ``<base> WITH <exception>``.
    exception_to: tuple[str, ...] = ()

    def restricts(self, base: str) -> bool:
        """Whether this record states the effects of ``base WITH`` this exception."""
        return base in self.exception_to


@dataclass(frozen=True)
class Judgement:
    """A judgement call behind a contestable reading (J1 ... J18)."""

    id: str
    title: str
    summary: str
    adopted: str


@dataclass(frozen=True)
class Knowledge:
    """All license records, indexed by id and by alias (case-insensitive)."""

    licenses: dict[str, License]
    aliases: dict[str, str]
    judgements: dict[str, Judgement]

    def canonical_id(self, key: str) -> str | None:
        """The record id for an id or alias as a user typed it, or None when unknown."""
        if key in self.licenses:
            return key
        return self.aliases.get(key.lower())

    def get(self, key: str) -> License | None:
        """The record for an id or alias, or None."""
        cid = self.canonical_id(key)
        return None if cid is None else self.licenses[cid]

    def listed(self, key: str) -> ListedLicense | None:
        """The SPDX License List entry for ``key`` (any case): every listed id is known by
        name and OSI/FSF flags, even without a record here (its effects are then unknown,
        and the evaluator fails closed on it)."""
        from policycheck.identify.spdx_list import spdx_license

        return spdx_license(key)


def effects_from_data(data: dict[str, Any], url: str) -> dict[Use, UseEffect]:
    """Parse a five-context ``effects`` mapping."""
    return {use: UseEffect.from_data(use, data[use.value], url) for use in Use}


@cache
def knowledge() -> Knowledge:
    """The bundled license knowledge, loaded on first use (schema: ``data.check_bundled``).

    Building it reads every license record (a hundredth of a second, the most of a
    one-engine check after the catalog); the built knowledge is remembered in the cache
    folder by the digest of those files and of this module, like the catalog.
    """
    root = data_dir("licenses")
    files = sorted((root / "licenses").glob("*.yaml"))
    judgements = [p for p in [root / "judgements.yaml"] if p.exists()]
    sources = [*files, *judgements, Path(__file__)]
    return remembered("knowledge", sources, lambda: _build_knowledge(root, files))


def _build_knowledge(root: Path, files: list[Path]) -> Knowledge:
    licenses: dict[str, License] = {}
    aliases: dict[str, str] = {}
    for path in files:
        doc = load_file(path)
        d = doc.value
        if path.stem != d["id"]:
            raise DataError(f"file name does not match id {d['id']!r}", str(path))
        lic = License(
            id=d["id"],
            name=d["name"],
            category=d["category"],
            osi_approved=d["osi_approved"],
            fsf_libre=d["fsf_libre"],
            url=d["url"],
            summary=d["summary"],
            aliases=tuple(d.get("aliases", [])),
            effects=effects_from_data(d["effects"], d["url"]),
            text_read=dict(d["text_read"]),
            licensor_url=d.get("licensor_url"),
            exception_to=tuple(d.get("exception_to", [])),
        )
        licenses[lic.id] = lic
        for name in (lic.id, *lic.aliases):
            aliases[name.lower()] = lic.id
    judgements: dict[str, Judgement] = {}
    jpath = root / "judgements.yaml"
    if jpath.exists():
        for item in load_file(jpath).value or []:
            judgements[item["id"]] = Judgement(
                item["id"], item["title"], item["summary"], item["adopted"]
            )
    return Knowledge(licenses, aliases, judgements)
