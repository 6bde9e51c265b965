"""CycloneDX SBOMs (JSON and XML, spec 1.2-1.6): the engines a BOM says are shipped.

Syft and Trivy write CycloneDX by default. A BOM describes one subject (``metadata.
component``: for an image scan, the image itself) and its components, nested to any
depth. Each is matched as the SPDX source matches packages (``spdx.match``): by purl when
it has one, and only purls of a kind that ships servers count (images, distribution
packages, generic binaries, GitHub repositories); ``pkg:npm/redis``, ``pkg:pypi/redis``
and ``pkg:maven/redis.clients/jedis`` are client libraries and never findings. A
component with no purl counts when its name is exactly an engine id, alias or image.

The files are read with the standard library: JSON as it is, XML after refusing entity
declarations (as the SPDX XML readers do), so no BOM can make the reader expand entities.
cyclonedx-python-lib was measured (about 300 ms to import, 5 MB with its dependencies) and
is stricter than what tools write; nothing here needs its model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policycheck.errors import InputError
from policycheck.model import Component, Location
from policycheck.sources.interface import Source
from policycheck.sources.spdx.match import (
    has_catalog_word,
    match_names,
    package_version,
)
from policycheck.sources.spdx.read import refuse_entities, utf8_xml

_SUFFIXES = (".cdx.json", ".cdx.xml", ".cyclonedx.json", ".cyclonedx.xml")
_JSON_HEAD = re.compile(r'"bomFormat"\s*:\s*"CycloneDX"')
_XML_NAMESPACE = re.compile(r"cyclonedx\.org/schema/bom/\d")
#: Trivy records the tags of the scanned image as properties of the BOM's subject.
_TAG_PROPERTIES = frozenset({"aquasecurity:trivy:RepoTag", "syft:image:tag"})

HINT = "check that the file is a CycloneDX BOM as Syft or Trivy write it (cyclonedx.org/docs)"


@dataclass(frozen=True)
class BomComponent:
    """What the matcher needs of one CycloneDX component, whichever serialisation."""

    name: str
    version: str | None
    purl: str | None
    licenses: tuple[str, ...]
    tags: tuple[str, ...]


class CycloneDxSource(Source):
    """CycloneDX BOMs in JSON or XML."""

    name = "cyclonedx"
    #: With SPDX, ahead of the generic readers: a BOM is not a manifest.
    priority = 5

    def may_claim(self, name: str) -> bool:
        """CycloneDX names and any JSON or XML file (whose head then decides)."""
        return name.endswith((".json", ".xml"))

    def claims(self, path: Path, head: bytes) -> bool:
        """CycloneDX file names, or a head that says ``"bomFormat": "CycloneDX"`` (JSON)
        or carries the CycloneDX namespace (XML)."""
        name = path.name.lower()
        if name.endswith(_SUFFIXES):
            return True
        text = head.decode("utf-8", errors="ignore")
        if name.endswith(".json"):
            return _JSON_HEAD.search(text) is not None
        return name.endswith(".xml") and _XML_NAMESPACE.search(text) is not None

    def worth_parsing(self, lowered: bytes) -> bool:
        """Any catalogued engine word: a BOM may list any catalogued product."""
        return has_catalog_word(lowered.decode("utf-8", errors="ignore"))

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """One Component per component that is a catalogued engine; each once."""
        text = text.removeprefix("\ufeff")
        stripped = text.lstrip()
        components = (
            _read_xml(text, display) if stripped.startswith("<") else _read_json(text, display)
        )
        lines = _Lines(text)
        seen: set[Component] = set()
        for bc in components:
            component = component_for(bc, display, lines)
            if component is not None and component not in seen:
                seen.add(component)
                yield component


def component_for(bc: BomComponent, display: str, lines: _Lines) -> Component | None:
    """The Component for one BOM component, or None when it is not a catalogued engine."""
    match = match_names(bc.name, [bc.purl] if bc.purl else [])
    if match is None:
        return None
    version, floating, unresolved = package_version(
        bc.name, bc.version, match.purl, match.engine, tuple(bc.tags)
    )
    described = f"{bc.name} {bc.version}" if bc.version else bc.name
    if bc.purl:
        described += f" ({bc.purl})"
    return Component(
        match.engine.id,
        version,
        Location(display, lines.line_of(bc.purl or bc.name), described),
        unresolved=unresolved,
        floating=floating,
        declared_license=" AND ".join(bc.licenses) if bc.licenses else None,
        origin="sbom",
    )


# -- JSON ------------------------------------------------------------------------------


def _read_json(text: str, display: str) -> list[BomComponent]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", display, exc.lineno, HINT) from None
    except RecursionError:
        raise InputError("JSON nests too deeply to read", display, None, HINT) from None
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise InputError('not a CycloneDX BOM: "bomFormat" is not "CycloneDX"', display, 1, HINT)
    found: list[BomComponent] = []
    metadata = doc.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict):
        _json_component(metadata["component"], found, display)
    _json_components(doc.get("components"), found, display)
    return found


def _json_components(items: object, found: list[BomComponent], display: str) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        raise InputError('"components" must be a list', display, None, HINT)
    for item in items:
        if not isinstance(item, dict):
            raise InputError('every entry of "components" must be an object', display, None, HINT)
        _json_component(item, found, display)


def _json_component(item: dict[str, Any], found: list[BomComponent], display: str) -> None:
    name, version, purl = item.get("name"), item.get("version"), item.get("purl")
    if not isinstance(name, str):
        raise InputError('a component has no "name" string', display, None, HINT)
    licenses: list[str] = []
    for entry in item.get("licenses") or []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("expression"), str):
            licenses.append(entry["expression"])
        elif isinstance(entry.get("license"), dict) and isinstance(entry["license"].get("id"), str):
            licenses.append(entry["license"]["id"])
    tags = [
        p["value"]
        for p in item.get("properties") or []
        if isinstance(p, dict)
        and p.get("name") in _TAG_PROPERTIES
        and isinstance(p.get("value"), str)
    ]
    found.append(
        BomComponent(
            name,
            version if isinstance(version, str) else None,
            purl if isinstance(purl, str) else None,
            tuple(licenses),
            tuple(tags),
        )
    )
    _json_components(item.get("components"), found, display)


# -- XML -------------------------------------------------------------------------------


def _read_xml(text: str, display: str) -> list[BomComponent]:
    from xml.etree import ElementTree

    refuse_entities(text, display)
    try:
        root = ElementTree.fromstring(utf8_xml(text))
    except ElementTree.ParseError as exc:
        raise InputError(f"invalid XML: {exc}", display, exc.position[0], HINT) from None
    if _local(root.tag) != "bom" or not _XML_NAMESPACE.search(root.tag):
        raise InputError(
            "not a CycloneDX BOM: the root element must be <bom> in a CycloneDX namespace",
            display,
            1,
            HINT,
        )
    found: list[BomComponent] = []
    for child in root:
        if _local(child.tag) == "metadata" or _local(child.tag) == "components":
            for sub in child:
                if _local(sub.tag) == "component":
                    _xml_component(sub, found)
    return found


def _xml_component(element: Any, found: list[BomComponent]) -> None:
    fields: dict[str, str] = {}
    licenses: list[str] = []
    tags: list[str] = []
    nested: list[Any] = []
    for child in element:
        tag = _local(child.tag)
        if tag in ("name", "version", "purl"):
            fields[tag] = (child.text or "").strip()
        elif tag == "licenses":
            for lic in child:
                if _local(lic.tag) == "expression" and lic.text:
                    licenses.append(lic.text.strip())
                elif _local(lic.tag) == "license":
                    ident = next((x for x in lic if _local(x.tag) == "id"), None)
                    if ident is not None and ident.text:
                        licenses.append(ident.text.strip())
        elif tag == "properties":
            for prop in child:
                if prop.get("name") in _TAG_PROPERTIES and prop.text:
                    tags.append(prop.text.strip())
        elif tag == "components":
            nested.extend(c for c in child if _local(c.tag) == "component")
    if fields.get("name"):
        found.append(
            BomComponent(
                fields["name"],
                fields.get("version") or None,
                fields.get("purl") or None,
                tuple(licenses),
                tuple(tags),
            )
        )
    for sub in nested:
        _xml_component(sub, found)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Lines:
    """Line of the first not yet used occurrence of a purl or name, in file order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.used: dict[str, int] = {}

    def line_of(self, needle: str) -> int | None:
        for candidate in (needle, needle.replace("/", "\\/"), _xml_escape(needle)):
            start = self.used.get(candidate, 0)
            at = self.text.find(candidate, start)
            if at >= 0:
                self.used[candidate] = at + len(candidate)
                return self.text.count("\n", 0, at) + 1
        return None


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SOURCE = CycloneDxSource()
