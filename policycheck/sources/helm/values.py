"""Helm values files: the engine image a chart will deploy, read before the chart is rendered.

Charts spell their image in a few ways, and this source understands all of them:

* ``image: {registry, repository, tag, digest}`` (Bitnami, most charts);
* ``image: quay.io/opstree/redis`` with a sibling ``tag: v7.0.15`` (OT operator charts);
* ``image: "redis:7.2"`` as one string.

The engine is decided by the catalogued image name alone (``images.component_for_image``),
so exporters such as ``bitnami/redis-exporter`` or ``oliver006/redis_exporter`` are never
engines, and no engine is guessed from a key name.

A mapping with ``enabled: false`` switches its subtree off by default: Bitnami's
``sentinel.enabled: false`` means the sentinel image is not deployed unless someone
turns it on. Such images are still reported, since one setting deploys them, with
``disabled`` saying which key switches them off. Only the literal boolean ``false``
counts; a templated or missing ``enabled`` leaves the subtree on.

An empty tag means the chart falls back to its ``appVersion``; that is read from the
``Chart.yaml`` beside the values file, and without one the component is unresolved.

A chart vendored under ``<parent>/charts/<name>/`` is configured by its parent: the
parent's dependency ``condition`` can switch it off, and the parent's values
(``<alias>.image``) override the subchart's own, in which case the subchart's default
image is the same deployment as the parent's entry (``same_as``), reported there.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from policycheck.images import component_for_image
from policycheck.model import Component, Location
from policycheck.sources.helm.chart import (
    Chart,
    Dependency,
    Values,
    dependency_disabled,
    load_chart,
    load_values,
    parent_of,
    parse_values,
    sibling_display,
)
from policycheck.sources.interface import (
    Source,
    mentions_engine,
    starts_a_line,
    without_comment_lines,
)
from policycheck.yamlload import Located, PathKey

_VALUES_NAME = re.compile(r"^values|[-_.]values(?:[-_.]|$)", re.IGNORECASE)
#: ``apiVersion:`` and ``kind:`` keys at the very start of a line (``starts_a_line``).
_MANIFEST_HEAD = (re.compile(rb"apiVersion\s*:"), re.compile(rb"kind\s*:"))
_NO_APP_VERSION = "tag is empty and no Chart.yaml beside the values file gives appVersion"


@dataclass(frozen=True)
class ImageSpot:
    """One image a values file sets: its parts as written and the line to report.

    ``path`` leads to the ``image`` value (a mapping or a string); ``disabled`` says
    which ``enabled: false`` switches it off by default, if one does.
    """

    registry: str
    repository: str
    tag: str
    digest: str
    line: int | None
    tag_may_default: bool
    path: PathKey = ()
    disabled: str | None = None

    def reference(self, tag: str | None = None) -> str:
        """``registry/repository:tag@digest``, leaving out the parts that are empty."""
        text = f"{self.registry}/{self.repository}" if self.registry else self.repository
        chosen = self.tag if tag is None else tag
        if chosen:
            text += f":{chosen}"
        return f"{text}@{self.digest}" if self.digest else text

    @property
    def tag_is_empty(self) -> bool:
        """True when the chart will substitute its appVersion for the tag."""
        return self.tag_may_default and not self.tag and not self.digest


def _raw_scalar(text_lines: tuple[str, ...], line: int | None, key: str) -> str:
    """The scalar after ``key:`` on ``line`` exactly as written (``7.10`` must not become 7.1)."""
    if line is None or not 0 < line <= len(text_lines):
        return ""
    m = re.search(rf"\b{re.escape(key)}\s*:\s*[\"']?([^\"'\s#]+)", text_lines[line - 1])
    return m.group(1) if m else ""


def scalar_text(value: Any, text_lines: tuple[str, ...], line: int | None, key: str) -> str:
    """A values scalar as the chart's template would print it."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return _raw_scalar(text_lines, line, key) or str(value)
    return ""


def _spot_from_mapping(
    image: Mapping[Any, Any], path: PathKey, doc: Located, text_lines: tuple[str, ...]
) -> ImageSpot | None:
    repository = image.get("repository")
    if not isinstance(repository, str) or not repository.strip():
        return None
    registry = image.get("registry")
    tag_line = doc.line_of((*path, "tag"))
    return ImageSpot(
        registry=registry.strip().rstrip("/") if isinstance(registry, str) else "",
        repository=repository.strip(),
        tag=scalar_text(image.get("tag"), text_lines, tag_line, "tag"),
        digest=image["digest"].strip() if isinstance(image.get("digest"), str) else "",
        line=doc.line_of((*path, "repository")),
        tag_may_default=True,
        path=path,
    )


def _spot_from_string(
    image: str,
    owner: Mapping[Any, Any],
    path: PathKey,
    doc: Located,
    text_lines: tuple[str, ...],
) -> ImageSpot | None:
    """``image: repo[:tag]`` at ``path`` in ``owner``, with a sibling ``tag:`` if it has none."""
    text = image.strip()
    if not text:
        return None
    line = doc.line_of(path)
    has_own_tag = ":" in text.rsplit("/", 1)[-1] or "@" in text
    if has_own_tag or "tag" not in owner:
        return ImageSpot("", text, "", "", line, tag_may_default=False, path=path)
    tag_path = (*path[:-1], "tag")
    tag = scalar_text(owner["tag"], text_lines, doc.line_of(tag_path), "tag")
    return ImageSpot("", text, tag, "", line, tag_may_default=True, path=path)


def spot_at(
    owner: Mapping[Any, Any], key: Any, path: PathKey, doc: Located, text_lines: tuple[str, ...]
) -> ImageSpot | None:
    """The image set by ``owner[key]`` (found at ``path``, which ends with ``key``)."""
    image = owner.get(key)
    if isinstance(image, Mapping):
        return _spot_from_mapping(image, path, doc, text_lines)
    if isinstance(image, str):
        return _spot_from_string(image, owner, path, doc, text_lines)
    return None


def disabled_by(mapping: Mapping[Any, Any], path: PathKey, values_name: str) -> str | None:
    """``sentinel.enabled is false in values.yaml`` when ``mapping`` (at ``path``) has
    ``enabled: false``."""
    if mapping.get("enabled") is not False:
        return None
    return f"{dotted((*path, 'enabled'))} is false in {values_name}"


def dotted(path: PathKey) -> str:
    """``sentinel.image`` / ``extraContainers[0].image`` for a values path."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


#: Values that hold no image: a values tree's leaves.
_SCALARS = (str, int, float, type(None))


def iter_image_spots(
    value: Any,
    path: PathKey,
    doc: Located,
    text_lines: tuple[str, ...],
    values_name: str = "values.yaml",
    disabled: str | None = None,
) -> Iterator[ImageSpot]:
    """Every image in a values tree, depth first in file order, each with the first
    (outermost) ``enabled: false`` that switches it off."""
    if isinstance(value, Mapping):
        disabled = disabled or disabled_by(value, path, values_name)
        spot = (
            spot_at(value, "image", (*path, "image"), doc, text_lines) if "image" in value else None
        )
        if spot is not None:
            yield dataclasses.replace(spot, disabled=disabled)
        for key, child in value.items():
            if isinstance(child, _SCALARS) or (key == "image" and spot is not None):
                continue  # most values: nothing below them (no generator made for them)
            yield from iter_image_spots(child, (*path, key), doc, text_lines, values_name, disabled)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            if not isinstance(child, _SCALARS):
                yield from iter_image_spots(
                    child, (*path, index), doc, text_lines, values_name, disabled
                )


def spot_in_values(values: Values, path: PathKey) -> ImageSpot | None:
    """The image at ``path`` of a values file (``("sentinel", "image")``), with the
    ``enabled: false`` that switches it off, if any."""
    if not path:
        return None
    owner: Any = values.doc.value
    disabled: str | None = None
    for depth, key in enumerate(path[:-1]):
        if isinstance(owner, Mapping):
            disabled = disabled or disabled_by(owner, path[:depth], values.name)
            owner = owner.get(key)
        elif isinstance(owner, list) and isinstance(key, int) and 0 <= key < len(owner):
            owner = owner[key]
        else:
            return None
    if not isinstance(owner, Mapping):
        return None
    disabled = disabled or disabled_by(owner, path[:-1], values.name)
    spot = spot_at(owner, path[-1], path, values.doc, values.lines)
    return dataclasses.replace(spot, disabled=disabled) if spot is not None else None


def component_for_spot(
    spot: ImageSpot, chart: Chart | None, location_path: str, text_prefix: str = ""
) -> Component | None:
    """The engine a values image deploys, its tag falling back to the chart's appVersion."""
    line = spot.line
    if not spot.tag_is_empty:
        ref = spot.reference()
        component = component_for_image(ref, Location(location_path, line, text_prefix + ref))
    else:
        bare = spot.reference()
        app_version, why = chart.app_version_or_reason() if chart else (None, _NO_APP_VERSION)
        if app_version is not None:
            text = f"{text_prefix}{bare} (tag empty; appVersion {app_version} from Chart.yaml)"
            ref = spot.reference(app_version)
            component = component_for_image(ref, Location(location_path, line, text))
        else:
            where = Location(location_path, line, f"{text_prefix}{bare} (tag empty)")
            component = component_for_image(bare, where)
            if component is not None:
                reason = why if chart and chart.problem else _NO_APP_VERSION
                component = dataclasses.replace(
                    component, version=None, floating=False, unresolved=reason
                )
    if component is None:
        return None
    return dataclasses.replace(component, disabled=spot.disabled)


class HelmSource(Source):
    """Helm chart values files (``values.yaml``, ``values-prod.yaml``, ``redis-values.yaml``)."""

    name = "helm"
    #: Lower runs first: a values file must not fall to the Kubernetes source.
    priority = 20

    def claims(self, path: Path, head: bytes) -> bool:
        """A YAML file named like a values file that is not itself a manifest.

        The name test accepts ``values`` as a whole word anywhere in the stem
        (``bitnami-redis-values.yaml``), because exported values files are rarely
        named exactly ``values.yaml``.
        """
        if not self.may_claim(path.name.lower()):
            return False
        return not all(starts_a_line(head, pattern) for pattern in _MANIFEST_HEAD)

    def may_claim(self, name: str) -> bool:
        """YAML files with ``values`` as a word of their name."""
        stem, dot, suffix = name.rpartition(".")
        return bool(dot) and suffix in ("yaml", "yml") and _VALUES_NAME.search(stem) is not None

    def worth_parsing(self, lowered: bytes) -> bool:
        """An engine word, and an ``image`` key for it to be under: every image of a
        values file is (see ``iter_image_spots``). A double-quoted key may spell the
        word with escapes, so a backslash anywhere keeps the file too.

        A chart collection's values name engines in comments, connection settings
        and subchart switches; values without images are most of those. The words
        must stand outside comment lines (``without_comment_lines``), which are
        emptied only for a file that passes the first test on its whole text."""
        if not ((b"image" in lowered or b"\\" in lowered) and mentions_engine(lowered)):
            return False
        content = without_comment_lines(lowered)
        return (b"image" in content or b"\\" in content) and mentions_engine(content)

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """One component per engine image in the values file, off-by-default ones too."""
        docs = parse_values(path, display, text)
        text_lines = tuple(text.splitlines())
        name = PurePosixPath(display).name
        chart = load_chart(path.parent, sibling_display(display, "Chart.yaml"))
        parent = _ParentContext.of(path.parent, display) if name == "values.yaml" else None
        for doc in docs:
            for spot in iter_image_spots(doc.value, (), doc, text_lines, name):
                component = component_for_spot(spot, chart, display)
                if component is not None:
                    yield parent.adjust(component, spot) if parent else component


@dataclass(frozen=True)
class _ParentContext:
    """How a parent chart configures the subchart vendored in its ``charts/`` folder."""

    dependency: Dependency
    values: Values | None
    disabled: str | None

    @classmethod
    def of(cls, folder: Path, display: str) -> _ParentContext | None:
        found = parent_of(folder, str(PurePosixPath(display).parent))
        if found is None:
            return None
        parent, dependency = found
        values_display = sibling_display(parent.display, "values.yaml")
        values = load_values(parent.folder, values_display)
        return cls(dependency, values, dependency_disabled(dependency, values))

    def adjust(self, component: Component, spot: ImageSpot) -> Component:
        """The subchart's component as its parent deploys it."""
        disabled = component.disabled or self.disabled
        override = self.override(spot)
        same_as = override if override is not None else component.same_as
        return dataclasses.replace(component, disabled=disabled, same_as=same_as)

    def override(self, spot: ImageSpot) -> Location | None:
        """Where the parent's values set this image instead, when they set an engine."""
        if self.values is None:
            return None
        theirs = spot_in_values(self.values, (self.dependency.key, *spot.path))
        if theirs is None:
            return None
        found = component_for_image(theirs.reference(""), Location(self.values.display))
        return Location(self.values.display, theirs.line) if found is not None else None


SOURCE = HelmSource()
