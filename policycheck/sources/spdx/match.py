"""Which SBOM packages are engines: purls and exact names, never substrings.

``match_names`` is the matcher (see ``policycheck.sources.spdx``); ``could_be_engine``
is the cheap, wider test each serialisation's reader runs on every package first, so
that spdx-tools builds its model only for the packages the matcher may accept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import unquote

from policycheck.catalog import Engine, catalog
from policycheck.images import (
    engine_for_image,
    engine_running,
    image_version,
    parse_image,
    version_from_tag,
)

#: purl types whose packages are container images: the name is an image repository.
IMAGE_PURL_TYPES = frozenset({"docker", "oci"})

#: purl types whose packages are installable server builds, named like the engine.
#: Language ecosystems (pypi, npm, maven, gem, golang, cargo, nuget...) are left out on
#: purpose: their "redis" packages are clients.
_DISTRIBUTION_PURL_TYPES = frozenset({"generic", "deb", "rpm", "apk", "alpm", "bitnami"})


@dataclass(frozen=True)
class Purl:
    """A package URL split into its parts, percent-decoded (``pkg:type/ns/name@v?q#sub``)."""

    type: str
    namespace: str | None
    name: str
    version: str | None
    qualifiers: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """Namespace and name, as an image repository or ``owner/repo`` is written."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def parse_purl(text: str) -> Purl | None:
    """Parse a package URL; None when ``text`` is not one (no ``pkg:`` scheme, no name)."""
    scheme, colon, rest = text.strip().partition(":")
    if not colon or scheme.lower() != "pkg":
        return None
    rest = rest.lstrip("/").partition("#")[0]
    rest, _, query = rest.partition("?")
    rest, at, version = rest.rpartition("@") if "@" in rest else (rest, "", "")
    segments = [unquote(s) for s in rest.strip("/").split("/") if s]
    if len(segments) < 2:
        return None
    qualifiers = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        qualifiers[key.lower()] = unquote(value)
    return Purl(
        type=segments[0].lower(),
        namespace="/".join(segments[1:-1]) or None,
        name=segments[-1],
        version=unquote(version) if at and version else None,
        qualifiers=qualifiers,
    )


@dataclass(frozen=True)
class Match:
    """An engine a package was identified as, and the purl that said so (if any)."""

    engine: Engine
    purl: Purl | None


def match_names(name: str, locators: list[str]) -> Match | None:
    """The engine a package with this name and purl locators is: by purl when it has any."""
    purls = [p for p in map(parse_purl, locators) if p is not None]
    if purls:
        for purl in purls:
            engine = engine_for_purl(purl)
            if engine is not None:
                return Match(engine, purl)
        return None
    engine = engine_for_name(name)
    return Match(engine, None) if engine else None


def engine_for_purl(purl: Purl) -> Engine | None:
    """The engine a purl names: image repository, GitHub repository, or package name."""
    if purl.type in IMAGE_PURL_TYPES:
        ref = parse_image(image_name(purl))
        return engine_running(ref) if ref else None
    if purl.type == "github":
        return _repositories().get(purl.path.lower())
    if purl.type in _DISTRIBUTION_PURL_TYPES:
        return catalog().get(purl.name)
    return None


def image_name(purl: Purl) -> str:
    """The image repository of a docker or oci purl.

    ``repository_url`` is the registry for docker purls (``gcr.io``) but the whole
    repository for oci purls (``docker.io/library/redis``); either way it ends in the
    name when it is the whole repository.
    """
    url = re.sub(r"^[a-z]+://", "", purl.qualifiers.get("repository_url", "")).strip("/")
    if not url:
        return purl.path
    if url.rsplit("/", 1)[-1].lower() == purl.name.lower():
        return url
    return f"{url}/{purl.path}"


@cache
def _repositories() -> dict[str, Engine]:
    return {e.repository.lower(): e for e in catalog().engines.values()}


def engine_for_name(name: str) -> Engine | None:
    """The engine whose id, alias or image repository is exactly ``name``."""
    engine = catalog().get(name)
    if engine is not None:
        return engine
    ref = parse_image(name)  # a package name is not an image: catalogued images only
    return engine_for_image(ref) if ref else None


def could_be_engine(name: object, purls: list[str]) -> bool:
    """False only when neither the package name nor its purls can name an engine.

    Deliberately wider than ``match_package``: a package the matcher would reject for
    its purls but accept by name (or the other way round) is kept, so that how a
    serialisation spells a reference type can never hide an engine. Most packages are
    answered by one substring test (``catalog_words``) before any purl is parsed.
    """
    if not isinstance(name, str):
        return True  # malformed: spdx-tools says what is wrong
    text = " ".join([name, *(unquote(p) if "%" in p else p for p in purls)]).lower()
    if not has_catalog_word(text):
        return False
    return match_names(name, purls) is not None or (
        bool(purls) and match_names(name, []) is not None
    )


def has_catalog_word(lowered: str) -> bool:
    for word in catalog_words():  # noqa: SIM110 - a loop, not any(): no generator per call
        if word in lowered:
            return True
    return False


@cache
def catalog_words() -> tuple[str, ...]:
    """Words one of which every name the matcher accepts contains, lower-cased.

    The matcher compares whole names: an engine id or alias, an image repository (its
    last segment is in the name), a GitHub repository or a distribution package named
    like the engine. The words are those names and last segments, less any that
    contains another (``redisjson`` holds ``redis``).
    """
    words: set[str] = set()
    for engine in catalog().engines.values():
        words.update(n.lower() for n in (engine.id, *engine.aliases))
        for image in (*engine.images, *engine.derived_images, engine.repository):
            ref = parse_image(image) if image != engine.repository else None
            words.add((ref.name if ref else image).rsplit("/", 1)[-1].lower())
    words.discard("")
    return tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))


# -- versions of SBOM packages (SPDX and CycloneDX alike) --------------------------------

#: Package types whose version carries a distribution revision (``7.0.15-1~deb12u1``).
DISTRO_REVISION_TYPES = frozenset({"deb", "rpm", "apk", "alpm", "bitnami"})
_DIGEST = re.compile(r"^sha\d+:[0-9a-f]+$", re.IGNORECASE)


def package_version(
    name: str,
    version: str | None,
    purl: Purl | None,
    engine: Engine,
    tags: tuple[str, ...] = (),
    field: str = "version",
) -> tuple[str | None, bool, str | None]:
    """(version, floating, unresolved reason) of an SBOM package: an image's tag (read as
    the engine tags its images), else the package's ``field`` or the purl's version.

    ``tags`` are further tags the document records for an image (Trivy's properties).
    """
    if (purl is not None and purl.type in IMAGE_PURL_TYPES) or (
        purl is None and parse_image(name) is not None and ("/" in name or ":" in name)
    ):
        return _image_version(name, version, purl, engine, tags, field)
    text = version or (purl.version if purl else None)
    if not text:
        return None, False, f"the SBOM gives no {field} for package {name!r}"
    if purl is not None and purl.type in DISTRO_REVISION_TYPES:
        text = upstream_version(text)
    return text, False, None


def _image_version(
    name: str,
    version: str | None,
    purl: Purl | None,
    engine: Engine,
    tags: tuple[str, ...],
    field: str,
) -> tuple[str | None, bool, str | None]:
    """An image's version is its tag; a digest names no release."""
    own = parse_image(name)
    candidates = [version, *tags]
    if purl is not None:
        candidates += [purl.version, purl.qualifiers.get("tag")]
    if own is not None and own.tag:
        candidates.append(own.tag)
    found = [t for t in map(_tag_of, candidates) if t]
    repository = image_name(purl) if purl is not None else (own.repository if own else name)
    ref = parse_image(f"{repository}:{found[0]}") if found else None
    if ref is not None:
        return image_version(ref, engine)
    if found:
        return version_from_tag(found[0], engine.build_suffix)
    if any(candidates):
        why = (
            f"image {name!r} is pinned by digest only; the digest does not say which release it is"
        )
        return None, False, why
    return None, False, f"the SBOM gives no tag or {field} for image {name!r}"


def _tag_of(text: str | None) -> str | None:
    """The tag a version, tag or ``image:tag`` text names; None for a digest."""
    if not text or _DIGEST.match(text) or re.fullmatch(r"[0-9a-f]{64}", text):
        return None
    if "/" in text or ":" in text:
        ref = parse_image(text)
        return ref.tag if ref is not None else None
    return text


def upstream_version(text: str) -> str:
    """``5:7.0.15-1~deb12u1`` -> ``7.0.15``; ``7.2.5-r0`` -> ``7.2.5``; ``8.0~rc1-1`` -> ``8.0-rc1``."""
    version = re.sub(r"^\d+:", "", text.strip())
    if "-" in version:
        version = version.rsplit("-", 1)[0]
    return version.replace("~", "-")
