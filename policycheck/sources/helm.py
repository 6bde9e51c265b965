"""Helm values files: the engine image a chart will deploy, read before the chart is rendered.

Charts spell their image in a few ways, and this source understands all of them:

* ``image: {registry, repository, tag, digest}`` (Bitnami, most charts);
* ``image: quay.io/opstree/redis`` with a sibling ``tag: v7.0.15`` (OT operator charts);
* ``image: "redis:7.2"`` as one string.

The engine is decided by the catalogued image name alone (``images.component_for_image``),
so exporters such as ``bitnami/redis-exporter`` or ``oliver006/redis_exporter`` are never
engines, and no engine is guessed from a key name.

A mapping with ``enabled: false`` switches its whole subtree off: Bitnami's
``sentinel.enabled: false`` means the sentinel image is never deployed, so it is not
reported. Only the literal boolean ``false`` disables; a templated or missing ``enabled``
leaves the subtree in.

An empty tag means the chart falls back to its ``appVersion``; that is read from the
``Chart.yaml`` beside the values file, and without one the component is unresolved.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from policycheck.errors import InputError
from policycheck.images import component_for_image
from policycheck.model import Component, Location
from policycheck.sources.interface import Source
from policycheck.yamlload import Located, PathKey, iter_documents, read_text

_VALUES_NAME = re.compile(r"^values|[-_.]values(?:[-_.]|$)", re.IGNORECASE)
_MANIFEST_HEAD = (re.compile(rb"(?m)^apiVersion\s*:"), re.compile(rb"(?m)^kind\s*:"))
_APP_VERSION = re.compile(r"""(?m)^appVersion\s*:\s*["']?([^"'\s#]+)""")
_NO_APP_VERSION = "tag is empty and no Chart.yaml beside the values file gives appVersion"


@dataclass(frozen=True)
class ImageSpot:
    """One image a values file sets: its parts as written and the line to report."""

    registry: str
    repository: str
    tag: str
    digest: str
    line: int | None
    tag_may_default: bool

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
        return self.tag_may_default and not self.tag


def _raw_scalar(text_lines: list[str], line: int | None, key: str) -> str:
    """The scalar after ``key:`` on ``line`` exactly as written (``7.10`` must not become 7.1)."""
    if line is None or not 0 < line <= len(text_lines):
        return ""
    m = re.search(rf"\b{re.escape(key)}\s*:\s*[\"']?([^\"'\s#]+)", text_lines[line - 1])
    return m.group(1) if m else ""


def _scalar_text(value: Any, text_lines: list[str], line: int | None, key: str) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return _raw_scalar(text_lines, line, key) or str(value)
    return ""


def _spot_from_mapping(
    image: Mapping[Any, Any], path: PathKey, doc: Located, text_lines: list[str]
) -> ImageSpot | None:
    repository = image.get("repository")
    if not isinstance(repository, str) or not repository.strip():
        return None
    registry = image.get("registry")
    tag_line = doc.line_of((*path, "tag"))
    return ImageSpot(
        registry=registry.strip().rstrip("/") if isinstance(registry, str) else "",
        repository=repository.strip(),
        tag=_scalar_text(image.get("tag"), text_lines, tag_line, "tag"),
        digest=image["digest"].strip() if isinstance(image.get("digest"), str) else "",
        line=doc.line_of((*path, "repository")),
        tag_may_default=True,
    )


def _spot_from_string(
    image: str, owner: Mapping[Any, Any], path: PathKey, doc: Located, text_lines: list[str]
) -> ImageSpot | None:
    """``image: repo[:tag]`` in ``owner`` (at ``path``), with a sibling ``tag:`` if it has none."""
    text = image.strip()
    if not text:
        return None
    line = doc.line_of((*path, "image"))
    has_own_tag = ":" in text.rsplit("/", 1)[-1] or "@" in text
    if has_own_tag or "tag" not in owner:
        return ImageSpot("", text, "", "", line, tag_may_default=False)
    tag = _scalar_text(owner["tag"], text_lines, doc.line_of((*path, "tag")), "tag")
    return ImageSpot("", text, tag, "", line, tag_may_default=True)


def image_spot(
    owner: Mapping[Any, Any], path: PathKey, doc: Located, text_lines: list[str]
) -> ImageSpot | None:
    """The image set by the ``image`` key of ``owner`` (found at ``path``), if any."""
    image = owner.get("image")
    if isinstance(image, Mapping):
        return _spot_from_mapping(image, (*path, "image"), doc, text_lines)
    if isinstance(image, str):
        return _spot_from_string(image, owner, path, doc, text_lines)
    return None


def is_disabled(mapping: Mapping[Any, Any]) -> bool:
    """A subtree switched off by ``enabled: false`` deploys nothing."""
    return mapping.get("enabled") is False


def iter_image_spots(
    value: Any, path: PathKey, doc: Located, text_lines: list[str]
) -> Iterator[ImageSpot]:
    """Every enabled image in a values tree, depth first in file order."""
    if isinstance(value, Mapping):
        if is_disabled(value):
            return
        spot = image_spot(value, path, doc, text_lines)
        if spot is not None:
            yield spot
        for key, child in value.items():
            if key == "image" and spot is not None:
                continue
            yield from iter_image_spots(child, (*path, key), doc, text_lines)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from iter_image_spots(child, (*path, index), doc, text_lines)


def app_version_beside(path: Path, display: str) -> str | None:
    """``appVersion`` of the Chart.yaml in the values file's directory, if there is one."""
    chart = path.parent / "Chart.yaml"
    if not chart.is_file():
        return None
    chart_display = f"{display.rsplit('/', 1)[0]}/Chart.yaml" if "/" in display else "Chart.yaml"
    m = _APP_VERSION.search(read_text(chart, chart_display))
    return m.group(1) if m else None


def _component_for_spot(spot: ImageSpot, path: Path, display: str) -> Component | None:
    if not spot.tag_is_empty:
        ref = spot.reference()
        return component_for_image(ref, Location(display, spot.line, ref))
    app_version = app_version_beside(path, display)
    bare = spot.reference()
    if app_version is not None:
        text = f"{bare} (tag empty; appVersion {app_version} from Chart.yaml)"
        return component_for_image(spot.reference(app_version), Location(display, spot.line, text))
    component = component_for_image(bare, Location(display, spot.line, f"{bare} (tag empty)"))
    if component is None:
        return None
    return dataclasses.replace(component, version=None, floating=False, unresolved=_NO_APP_VERSION)


def _load_values(path: Path) -> tuple[str, list[Located]] | None:
    """A values file's text and documents, parsed once per version of the file: every
    templated image of a chart asks about the same values.yaml."""
    try:
        st = path.stat()
    except OSError:
        return None
    return _parsed_values(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _parsed_values(path: Path, _mtime: int, _size: int) -> tuple[str, list[Located]] | None:
    try:
        text = read_text(path)
        docs = list(iter_documents(text, str(path)))
    except InputError:
        return None
    return (text, docs) if docs else None


def values_image_at(values_path: Path, keys: tuple[str, ...]) -> tuple[str, int | None] | None:
    """The engine and line of the image under ``.Values.<keys>`` in a chart's values file.

    Used by the Kubernetes source to tell which engine a templated ``image:`` line
    deploys. A values file that cannot be read or parsed answers None: the helm source
    reports its errors when it scans that file itself.
    """
    loaded = _load_values(values_path)
    if loaded is None:
        return None
    text, docs = loaded
    owner: Any = docs[0].value
    for key in keys:
        if not isinstance(owner, Mapping) or is_disabled(owner):
            return None
        owner = owner.get(key)
    if not isinstance(owner, Mapping) or is_disabled(owner):
        return None
    spot = image_spot(owner, tuple(keys), docs[0], text.splitlines())
    if spot is None:
        return None
    component = component_for_image(spot.reference(""), Location(str(values_path), spot.line))
    return (component.engine, spot.line) if component else None


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
        return not all(pattern.search(head) for pattern in _MANIFEST_HEAD)

    def may_claim(self, name: str) -> bool:
        """YAML files with ``values`` as a word of their name."""
        stem, dot, suffix = name.rpartition(".")
        return bool(dot) and suffix in ("yaml", "yml") and _VALUES_NAME.search(stem) is not None

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """One component per enabled engine image in the values file."""
        docs = list(iter_documents(text, display))
        text_lines = text.splitlines()
        for doc in docs:
            for spot in iter_image_spots(doc.value, (), doc, text_lines):
                component = _component_for_spot(spot, path, display)
                if component is not None:
                    yield component


SOURCE = HelmSource()
