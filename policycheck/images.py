"""Container image references: parse them and tell which engine and version they run.

The image table is data (``images`` in each engine's catalog entry); this module only
knows the grammar of ``registry/repository:tag@digest`` and how engine images tag
their releases (``7.4.2-alpine``, ``8.2.1-debian-12-r0``, ``v7.0.15``, ``7.2``, ``latest``).
Engines whose catalog entry declares a ``build_suffix`` tag numbered builds of a release
(Redis Stack ``7.4.0-v3``, ``7.4.0-v3-arm64``); their tags keep the build for the evaluator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from policycheck.catalog import BuildSuffix, Engine, catalog
from policycheck.model import Component, Location
from policycheck.versions import parse_version

_DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")
_VERSION_TAG = re.compile(r"^v?(\d+(?:\.\d+){0,2}(?:-?(?:rc|alpha|beta|m)\d*)?)(?:[-_+].*)?$", re.I)
_FLOATING = {"latest", "stable", "alpine", "bookworm", "bullseye", "trixie", "edge"}


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference. ``repository`` is normalised (Docker Hub library prefix dropped)."""

    text: str
    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """Registry and repository as the catalog lists them."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository


def parse_image(text: str) -> ImageRef | None:
    """Parse ``[registry/]repository[:tag][@digest]``; None when it is not an image reference."""
    ref = text.strip().strip("\"'")
    if not ref or any(ch.isspace() for ch in ref) or "{{" in ref or "${" in ref:
        return None
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
    parts = ref.lower().split("/")
    registry = None
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts[0]
        parts = parts[1:]
    if registry in _DOCKER_HUB:
        registry = None
    if registry is None and len(parts) == 2 and parts[0] == "library":
        parts = parts[1:]
    if not parts or not all(re.fullmatch(r"[a-z0-9][a-z0-9._-]*", p) for p in parts):
        return None
    return ImageRef(text.strip(), registry, "/".join(parts), tag or None, digest)


@cache
def _image_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for engine in catalog().engines.values():
        for image in engine.images:
            ref = parse_image(image)
            if ref is not None:
                table[ref.name] = engine.id
    return table


@cache
def _derived_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for engine in catalog().engines.values():
        for image in engine.derived_images:
            ref = parse_image(image)
            if ref is not None:
                table[ref.name] = engine.id
    return table


def warm_up() -> None:
    """Load the catalog and build the image tables now (see ``Source.prepare``)."""
    _image_table()
    _derived_table()


def engine_for_image(ref: ImageRef) -> Engine | None:
    """The catalogued engine an image runs, matched on the whole repository name only."""
    engine_id = _image_table().get(ref.name)
    return catalog().engines[engine_id] if engine_id else None


def version_from_tag(
    tag: str | None, build: BuildSuffix | None = None
) -> tuple[str | None, bool, str | None]:
    """(version text, floating, unresolved reason) for an engine image tag.

    ``7.4.2-alpine`` -> 7.4.2, pinned; ``7.2`` / ``8`` -> a release line, floating;
    ``latest`` or no tag -> latest, floating; ``e2e`` -> unresolved.

    With the engine's ``build``, ``7.4.0-v3-arm64`` -> 7.4.0-v3 (the evaluator reads the
    build). Text after a final release that is not a build (``7.4.0-vfoo``) leaves the tag
    unresolved: where upstream writes the build, a variant cannot be told from a mistyped
    build. A pre-release (``7.0.6-rc2``) is complete without a build, so variants may follow.
    """
    if tag is None:
        return "latest", True, None
    low = tag.lower()
    if low in _FLOATING:
        return "latest", True, None
    m = _VERSION_TAG.match(tag)
    if not m:
        return None, False, f"image tag {tag!r} is not a version"
    version = m.group(1)
    end = m.end(1)
    if build is not None and end < len(tag):
        suffix = build.match_at(tag, end)
        if suffix is not None:
            version += tag[end : suffix.end()]
        elif not _is_prerelease(version):
            return (
                None,
                False,
                f"image tag {tag!r} is not a version: this engine writes the build right "
                f"after a release (a suffix matching {build.pattern.pattern}), and "
                f"{tag[end:]!r} is not one",
            )
    core = re.match(r"\d+(?:\.\d+)*", version)
    floating = core is not None and core.group(0).count(".") < 2
    return version, floating, None


def _is_prerelease(text: str) -> bool:
    v = parse_version(text)
    return v is not None and v.is_prerelease


def component_for_image(text: str, location: Location) -> Component | None:
    """A Component for an image string that runs a catalogued engine, else None."""
    ref = parse_image(text)
    if ref is None:
        return None
    derived = _derived_table().get(ref.name)
    if derived is not None:
        return Component(
            derived,
            None,
            location,
            unresolved=f"{ref.name} is an image built on {derived}; its tag {ref.tag!r} is the "
            "image's own version, not the engine's",
            origin="image",
        )
    engine = engine_for_image(ref)
    if engine is None:
        return None
    if ref.tag is None and ref.digest is not None:
        return Component(
            engine.id,
            None,
            location,
            unresolved=f"image {text!r} is pinned by digest only; the digest does not say which release it is",
            origin="image",
        )
    version, floating, why = version_from_tag(ref.tag, engine.build_suffix)
    return Component(
        engine.id, version, location, unresolved=why, floating=floating, origin="image"
    )
