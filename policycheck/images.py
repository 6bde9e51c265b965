"""Container image references: parse them and tell which engine and version they run.

The image table is data (``images``, ``derived_images`` and ``related_images`` in each
engine's catalog entry); this module knows the grammar of
``registry/repository:tag@digest``, how engine images tag their releases (``7.4.2-alpine``,
``8.2.1-debian-12-r0``, ``v7.0.15``, ``7.2``, ``latest``), and the rules that decide what an
image runs, in this order:

1. An image the organization declares in its policy (``registries.images``).
2. A mirror the policy declares (``registries.mirrors``): the prefix is replaced by the
   registry it mirrors, and the rules below apply to the upstream name.
3. A catalogued image, on its own registry.
4. A catalogued repository path of two or more segments (``library/redis``,
   ``bitnami/redis``, ``dragonflydb/dragonfly``) at the end of the path on any other
   registry: a mirror or pull-through cache. The registry is recorded in the notes and
   the tag is read as the upstream tag.
5. A Docker Hub official name (``redis``) as the last segment of any other path. On
   Docker Hub (``shubham192001/redis``) it is that account's own build; elsewhere
   (``registry.corp:5000/redis``) it may be a mirror or a build of its own. Either way
   the engine is known and the version is not (fail closed): the tag names the image.
6. Any other image whose path names an engine as a word (``corp/redis-hardened``,
   ``acme/valkey-fips``) is unrecognised: the engine is reported, the version is not,
   unless a word of the path names a role that runs no server (``exporter``,
   ``operator``, ...). Words are split at ``/ . _ -``, so ``redisson`` names no engine.

Engines whose catalog entry declares a ``build_suffix`` tag numbered builds of a release
(Redis Stack ``7.4.0-v3``, ``7.4.0-v3-arm64``); their tags keep the build for the evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from policycheck.catalog import BuildSuffix, Engine, ImageEntry, catalog
from policycheck.errors import DataError
from policycheck.model import Component, Location
from policycheck.registries import DeclaredImage, Mirror, Registries
from policycheck.versions import TIMESTAMP_RELEASE, parse_version

_DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")
_HUB = "docker.io"
_VERSION_TAG = re.compile(r"^v?(\d+(?:\.\d+){0,2}(?:-?(?:rc|alpha|beta|m)\d*)?)(?:[-_+].*)?$", re.I)
_FLOATING = {"latest", "stable", "alpine", "bookworm", "bullseye", "trixie", "edge"}
_WORD_SPLIT = re.compile(r"[/._-]+")

#: Words of an image path that name a role running no engine server: an image called
#: ``acme/redis-exporter`` or ``corp/valkey-operator`` connects to a server or manages
#: one, and is not one. Only these stay silent; any other word next to an engine name
#: (``redis-hardened``, ``node-redis``, ``redis-backup``) is reported for review.
NON_SERVER_WORDS = frozenset(
    {
        "exporter",
        "operator",
        "commander",
        "insight",
        "redisinsight",
        "cli",
        "ui",
        "gui",
        "webui",
        "admin",
        "dashboard",
        "browser",
        "client",
        "proxy",
        "metrics",
    }
)


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

    @property
    def host(self) -> str:
        """The registry, ``docker.io`` for Docker Hub."""
        return self.registry or _HUB

    @property
    def path(self) -> str:
        """The repository path on its registry (``library/redis`` for Docker Hub's ``redis``)."""
        if self.registry is None and "/" not in self.repository:
            return f"library/{self.repository}"
        return self.repository


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


# --- what an image runs ------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """What an image runs, and how its tag reads.

    ``engine`` is None for an image that runs no engine (it is not reported). ``tag`` is
    ``release``, ``line`` or ``image`` (see ``catalog.ImageEntry``); with ``image``,
    ``reason`` says why the tag is not the engine's version. ``notes`` say how the
    image was recognised (the mirror it came through, what a vendor image contains).
    """

    engine: str | None
    tag: str
    reason: str | None = None
    tag_prefix: re.Pattern[str] | None = None
    notes: tuple[str, ...] = ()
    discontinued: str | None = None


@dataclass(frozen=True)
class _Tables:
    exact: dict[tuple[str, str], ImageEntry]
    by_path: dict[str, ImageEntry]
    official: dict[str, ImageEntry]
    words: dict[str, list[tuple[tuple[str, ...], str]]]


def _key(ref: ImageRef) -> tuple[str, str]:
    return ref.host, ref.path


@cache
def _tables() -> _Tables:
    exact: dict[tuple[str, str], ImageEntry] = {}
    by_path: dict[str, ImageEntry] = {}
    official: dict[str, ImageEntry] = {}
    words: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for engine in catalog().engines.values():
        for entry in engine.image_entries:
            ref = parse_image(entry.image)
            if ref is None:
                raise DataError(f"image {entry.image!r} is not an image reference", engine.id)
            exact[_key(ref)] = entry
            if "/" in ref.path:
                other = by_path.setdefault(ref.path, entry)
                if _reading(other) != _reading(entry):
                    raise DataError(
                        f"images {other.image!r} and {entry.image!r} share the path "
                        f"{ref.path!r} but run different things",
                        engine.id,
                    )
            if ref.host == _HUB and ref.path.startswith("library/") and entry.role == "server":
                official[ref.repository] = entry
        for name in (engine.id, *engine.aliases):
            sequence = tuple(_words(name))
            words.setdefault(sequence[0], []).append((sequence, engine.id))
    for candidates in words.values():
        candidates.sort(key=lambda item: -len(item[0]))
    return _Tables(exact, by_path, official, words)


def _reading(entry: ImageEntry) -> tuple[str, str, str, str | None]:
    prefix = entry.tag_prefix.pattern if entry.tag_prefix else None
    return entry.engine, entry.role, entry.tag, prefix


def _words(text: str) -> list[str]:
    return [w for w in _WORD_SPLIT.split(text.lower()) if w]


# --- the organization's registries ---------------------------------------------------------

_registries = Registries()
_identities: dict[str, Identity | None] = {}

#: Lower-cased names of the images the policy declares, for the walker's cheap
#: "does this file mention an engine" test: an in-house image need not name one.
DECLARED_WORDS: tuple[bytes, ...] = ()


def configure(registries: Registries) -> None:
    """Use ``registries`` (a policy's declared mirrors and images) from now on.

    Set before the scan starts: worker processes are forked with it. ``core.check``
    does this for its policy; see ``using`` for a scoped change.
    """
    global _registries, DECLARED_WORDS
    _registries = registries
    _identities.clear()
    DECLARED_WORDS = tuple(
        dict.fromkeys(i.image.rsplit("/", 1)[-1].encode() for i in registries.images)
    )


def configured() -> Registries:
    """The registries in use."""
    return _registries


@contextmanager
def using(registries: Registries) -> Iterator[None]:
    """Use ``registries`` inside the block, then restore what was configured before."""
    before = _registries
    configure(registries)
    try:
        yield
    finally:
        configure(before)


def warm_up() -> None:
    """Load the catalog and build the image tables now (see ``Source.prepare``)."""
    _tables()


def identify(ref: ImageRef) -> Identity | None:
    """What ``ref`` runs, by the rules in the module docstring; None when no engine is named."""
    text = f"{ref.host}/{ref.path}:{ref.tag}"
    if text not in _identities:
        _identities[text] = _identify(ref)
    return _identities[text]


def _identify(ref: ImageRef) -> Identity | None:
    declared = _declared(ref)
    if declared is not None:
        return declared
    mirror = _mirror_of(ref)
    if mirror is not None:
        upstream, note = mirror
        found = _declared(upstream) or _catalogued(upstream) or _by_name(upstream)
        if found is not None:
            return Identity(
                found.engine, found.tag, found.reason, found.tag_prefix, (note, *found.notes)
            )
    return _catalogued(ref) or _by_name(ref)


def _declared(ref: ImageRef) -> Identity | None:
    for image in _registries.images:
        if _declared_match(image, ref):
            return _declared_identity(image, ref)
    return None


def _declared_match(image: DeclaredImage, ref: ImageRef) -> bool:
    declared = parse_image(image.image)
    if declared is None:
        return False
    if declared.registry is not None:
        return _key(declared) == _key(ref)
    tail = declared.repository.split("/")
    return ref.repository.split("/")[-len(tail) :] == tail


def _declared_identity(image: DeclaredImage, ref: ImageRef) -> Identity:
    if image.engine is None:
        return Identity(None, "image")  # declared to run no engine: silent
    name = catalog().engines[image.engine].name
    where = image.image
    if _registries.source:
        line = f", line {image.line}" if image.line else ""
        where = f"{where}; {_registries.source}{line}"
    notes = [f"declared as an image of {name} in the policy's registries.images ({where})"]
    if image.note:
        notes.append(image.note)
    reason = None
    if image.tag == "image":
        reason = (
            f"{ref.name} is declared in the policy as an image of {name} whose tag is its own "
            f"version; its {_tag_words(ref)} does not say which {name} release it runs"
        )
    return Identity(image.engine, image.tag, reason, None, tuple(notes))


def _mirror_of(ref: ImageRef) -> tuple[ImageRef, str] | None:
    """The upstream image when ``ref`` comes through a mirror the policy declares."""
    full = f"{ref.host}/{ref.repository}"
    for mirror in _registries.mirrors:
        if full.startswith(mirror.prefix + "/"):
            rest = full[len(mirror.prefix) + 1 :]
            upstream = parse_image(
                f"{mirror.of}/{rest}:{ref.tag}" if ref.tag else f"{mirror.of}/{rest}"
            )
            if upstream is not None:
                return upstream, _mirror_note(mirror)
    return None


def _mirror_note(mirror: Mirror) -> str:
    upstream = "Docker Hub" if mirror.of in _DOCKER_HUB else mirror.of
    line = f", line {mirror.line}" if mirror.line else ""
    where = f" ({_registries.source}{line})" if _registries.source else ""
    return (
        f"pulled through {mirror.prefix}, a mirror of {upstream} declared in the policy{where}; "
        "its tag is read as the upstream tag"
    )


def _catalogued(ref: ImageRef) -> Identity | None:
    """A catalogued image on its own registry, or its path on another (rules 3 and 4)."""
    tables = _tables()
    entry = tables.exact.get(_key(ref))
    notes: tuple[str, ...] = ()
    if entry is None:
        segments = ref.path.split("/")
        for start in range(len(segments) - 1):
            entry = tables.by_path.get("/".join(segments[start:]))
            if entry is not None:
                through = "/".join([ref.host, *segments[:start]])
                notes = (_through_note(through, entry),)
                break
    if entry is None:
        return None
    if entry.role == "related":
        return Identity(None, "image")
    if entry.note:
        notes = (*notes, entry.note)
    reason = None
    if entry.role == "derived":
        name = catalog().engines[entry.engine].name
        reason = (
            f"{ref.name} is an image built on {name}; its {_tag_words(ref)} is the image's own "
            f"version, not the {name} release"
        )
    return Identity(entry.engine, entry.tag, reason, entry.tag_prefix, notes, entry.discontinued)


def _tag_words(ref: ImageRef) -> str:
    """``tag '1.2'`` for messages, or just ``tag`` when the reference has none (yet)."""
    return f"tag {ref.tag!r}" if ref.tag else "tag"


def _through_note(through: str, entry: ImageEntry) -> str:
    registry = "Docker Hub" if through == _HUB else through
    listed = parse_image(entry.image)
    upstream = f"{listed.host}/{listed.path}" if listed else entry.image
    return (
        f"pulled through {registry}, which the catalog does not list for {upstream} "
        "(a mirror or pull-through cache); its tag is read as the upstream tag"
    )


def _by_name(ref: ImageRef) -> Identity | None:
    """Rules 5 and 6: an official name on another path, or an engine word in the path."""
    tables = _tables()
    segments = ref.path.split("/")
    official = tables.official.get(segments[-1])
    if official is not None:
        name = catalog().engines[official.engine].name
        if ref.registry is None:
            reason = (
                f"{ref.name} is an image of the Docker Hub account {segments[0]!r}, not the "
                f"official {segments[-1]} image: a third-party build whose {_tag_words(ref)} "
                f"names the image, not a {name} release"
            )
        else:
            registry = "/".join([ref.host, *segments[:-1]])
            reason = (
                f"{ref.name} may be a mirror of Docker Hub's official {segments[-1]} image or "
                f"a build of its own, so its {_tag_words(ref)} is not read as a {name} release; "
                f"if {registry} mirrors Docker Hub, declare it under registries.mirrors in the "
                "policy"
            )
        return Identity(official.engine, "image", reason)
    words = _words(ref.path)
    engine = _engine_named(words, tables)
    if engine is None or NON_SERVER_WORDS.intersection(words):
        return None
    name = catalog().engines[engine].name
    reason = (
        f"unrecognised image that appears to run {name}; declare it in the policy's registries "
        f"({ref.name})"
    )
    return Identity(engine, "image", reason)


def _engine_named(words: list[str], tables: _Tables) -> str | None:
    """The engine whose id or alias appears as whole words; the longest name wins."""
    best: tuple[int, str] | None = None
    for start, word in enumerate(words):
        for sequence, engine in tables.words.get(word, ()):
            if tuple(words[start : start + len(sequence)]) == sequence:
                if best is None or len(sequence) > best[0]:
                    best = (len(sequence), engine)
                break
    return best[1] if best else None


def engine_for_image(ref: ImageRef) -> Engine | None:
    """The engine an image runs when its tag names the engine's release (or line).

    Catalogued images, their paths through any mirror, and in-house images the policy
    declares with ``tag: release`` or ``line``. Derived, third-party and unrecognised
    images run a known engine at an unknown version: ``component_for_image`` reports them.
    """
    found = identify(ref)
    if found is None or found.engine is None or found.tag == "image":
        return None
    return catalog().engines[found.engine]


def engine_running(ref: ImageRef) -> Engine | None:
    """The engine an image runs, whatever its tag says: derived, third-party and
    unrecognised images included (their version is then unknown, see ``read_tag``)."""
    found = identify(ref)
    return catalog().engines[found.engine] if found and found.engine else None


def image_version(ref: ImageRef, engine: Engine) -> tuple[str | None, bool, str | None]:
    """(version, floating, unresolved reason) of an image that runs ``engine``, read the
    way ``component_for_image`` reads it (tag prefixes, line tags, image-own tags)."""
    found = identify(ref)
    if found is None or found.engine != engine.id:
        return version_from_tag(ref.tag, engine.build_suffix)
    version, floating, why, _ = read_tag(ref.tag, found, engine)
    return version, floating, why


# --- tags -----------------------------------------------------------------------------------


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
    stamp = TIMESTAMP_RELEASE.match(tag)
    if stamp is not None and (stamp.end() == len(tag) or tag[stamp.end()] in "-_.+"):
        return (
            stamp.group(0),
            False,
            None,
        )  # MinIO: the release is its timestamp; a variant may follow
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


def read_tag(
    tag: str | None, found: Identity, engine: Engine
) -> tuple[str | None, bool, str | None, tuple[str, ...]]:
    """(version, floating, unresolved reason, notes) for ``tag`` of an identified image."""
    if found.tag == "image":
        return None, False, found.reason, ()
    text = tag
    if tag is not None and found.tag_prefix is not None:
        m = found.tag_prefix.match(tag)
        if m is not None and m.end() < len(tag):
            text = tag[m.end() :]
    version, floating, why = version_from_tag(text, engine.build_suffix)
    if found.discontinued and floating and why is None:
        # A floating tag of an image that gets no new tags named some old release when it
        # was last pushed; which one cannot be read from the tag (fail closed).
        return (
            None,
            False,
            f"image tag {tag or 'latest'!r} floats on a discontinued image: {found.discontinued}",
            (),
        )
    if found.tag != "line" or version is None or version == "latest":
        return version, floating, why, ()
    line = re.match(r"\d+(?:\.\d+)?", version)
    if line is None:
        return version, floating, why, ()
    note = (
        f"the tag {tag!r} is the image's own version; it names the {engine.name} release "
        f"line {line.group(0)}, not a release"
    )
    return line.group(0), True, None, (note,)


def component_for_image(
    text: str, location: Location, *, unknown_tag: str | None = None
) -> Component | None:
    """A Component for an image string that runs an engine, else None.

    Recognised images give the version their tag names; derived, third-party and
    unrecognised engine images give the engine with an unresolved version (review).
    ``unknown_tag`` says why the tag cannot be known (``${TAG}`` has no value): ``text``
    is then the repository alone, and any engine it runs is reported unresolved.
    """
    ref = parse_image(text)
    if ref is None:
        return None
    found = identify(ref)
    if found is None or found.engine is None:
        return None
    engine = catalog().engines[found.engine]
    if unknown_tag is not None and found.tag != "image":
        return Component(
            engine.id, None, location, unresolved=unknown_tag, origin="image", notes=found.notes
        )
    if found.tag == "image":
        return Component(
            engine.id, None, location, unresolved=found.reason, origin="image", notes=found.notes
        )
    if ref.tag is None and ref.digest is not None:
        return Component(
            engine.id,
            None,
            location,
            unresolved=f"image {text!r} is pinned by digest only; the digest does not say which release it is",
            origin="image",
            notes=found.notes,
        )
    version, floating, why, notes = read_tag(ref.tag, found, engine)
    if ref.digest is not None and why is None:
        floating = False  # the digest fixes what runs, whatever the tag says
        notes = (*notes, _digest_note(ref))
    return Component(
        engine.id,
        version,
        location,
        unresolved=why,
        floating=floating,
        origin="image",
        notes=(*found.notes, *notes),
    )


def _digest_note(ref: ImageRef) -> str:
    """What a digest-pinned image's finding rests on: the digest decides, the tag is trusted."""
    digest = ref.digest or ""
    short = digest if len(digest) <= 19 else digest[:19] + "..."
    return (
        f"Pinned by digest {short}: the digest, not the tag, decides what runs. The release "
        f"is read from the tag {ref.tag!r}, trusted to name what the digest holds; "
        "policycheck does not fetch the image to check."
    )
