"""SPDX SBOMs: the engines an SBOM says are shipped, matched by purl or exact name only.

An application's SBOM lists client libraries (redis-py, hiredis, the PyPI and npm
packages called ``redis``) beside or instead of servers, and license texts say
"Redistribution" everywhere. So a package counts as an engine only when one of its
purls is of a kind that ships servers (container images, distribution packages, GitHub
repositories, generic binaries) and names a catalogued engine, image or repository; a
package with no purl counts when its name is exactly an engine id, alias or image name.
Substrings never match.

Reading each serialisation is in ``read`` (JSON, YAML, XML), ``tagvalue`` and
``rdf``: spdx-tools builds the model of only the packages ``match`` says
could be engines. A package's line is where its ``SPDXID`` is written (``lines``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from policycheck.model import Component, Location
from policycheck.sources.interface import Source
from policycheck.sources.spdx.lines import SpdxIdLines as SpdxIdLines
from policycheck.sources.spdx.lines import line_of_spdx_id as line_of_spdx_id
from policycheck.sources.spdx.match import Match, match_names, package_version
from policycheck.sources.spdx.match import Purl as Purl
from policycheck.sources.spdx.match import could_be_engine as could_be_engine
from policycheck.sources.spdx.match import engine_for_name as engine_for_name
from policycheck.sources.spdx.match import engine_for_purl as engine_for_purl
from policycheck.sources.spdx.match import parse_purl as parse_purl
from policycheck.sources.spdx.match import upstream_version as upstream_version
from policycheck.sources.spdx.read import parse_document as parse_document

if TYPE_CHECKING:
    from spdx_tools.spdx.model import Package

_SUFFIXES = (
    ".spdx",
    ".spdx.json",
    ".spdx.yaml",
    ".spdx.yml",
    ".spdx.rdf",
    ".spdx.rdf.xml",
    ".spdx.xml",
)

#: Distribution versions carry an epoch (``5:``) and a packaging revision (``-1~deb12u1``).


_DOCUMENT_ID = re.compile(r'"SPDXID"\s*:\s*"SPDXRef-DOCUMENT"')


class SpdxSource(Source):
    """SPDX 2.x SBOMs in every serialisation spdx-tools reads."""

    name = "spdx"
    #: Ahead of generic YAML and JSON readers: ``*.spdx.yaml`` is an SBOM, not a manifest.
    priority = 5

    def claims(self, path: Path, head: bytes) -> bool:
        """SPDX file names, or a ``.json`` file whose first bytes are an SPDX document's.

        ``spdxVersion`` comes first as tools write it, the document's ``SPDXID`` first
        when the keys are sorted; a head in UTF-16 or UTF-32 (with its byte order mark)
        is read as such.
        """
        name = path.name.lower()
        if name.endswith(_SUFFIXES):
            return True
        if not name.endswith(".json"):
            return False
        text = _decode_head(head)
        return "spdxVersion" in text or _DOCUMENT_ID.search(text) is not None

    def may_claim(self, name: str) -> bool:
        """SPDX names and any JSON file (whose head then decides)."""
        return name.endswith((*_SUFFIXES, ".json"))

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """One Component per package that is a catalogued engine; nothing else.

        A package listed twice (a YAML alias repeating it) is reported once.
        """
        text = text.removeprefix("\ufeff")
        document = parse_document(path, text, display)
        lines = SpdxIdLines(text)
        seen: set[Component] = set()
        for package in document.packages:
            component = component_for_package(package, display, lines.line_of(package.spdx_id))
            if component is not None and component not in seen:
                seen.add(component)
                yield component


def _decode_head(head: bytes) -> str:
    """The head as text: UTF-32 and UTF-16 by their byte order marks, else UTF-8."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head.decode(codec, errors="ignore")
    return head.decode("utf-8", errors="ignore")


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def component_for_package(package: Package, display: str, line: int | None) -> Component | None:
    """The Component for one SBOM package, or None when it is not a catalogued engine."""
    match = match_package(package)
    if match is None:
        return None
    version, floating, unresolved = package_version(
        package.name, package.version, match.purl, match.engine, field="versionInfo"
    )
    return Component(
        match.engine.id,
        version,
        Location(display, line, _describe(package, match)),
        unresolved=unresolved,
        floating=floating,
        declared_license=license_as_written(package),
        origin="sbom",
    )


def match_package(package: Package) -> Match | None:
    """Identify a package by its purls, or by its exact name when it has none."""
    return match_names(package.name, _purl_locators(package))


def _purl_locators(package: Package) -> list[str]:
    return [
        ref.locator for ref in package.external_references if ref.reference_type.lower() == "purl"
    ]


def license_as_written(package: Package) -> str | None:
    """The declared license expression, else the concluded one; None for NOASSERTION/NONE."""
    from license_expression import LicenseExpression

    for value in (package.license_declared, package.license_concluded):
        if isinstance(value, LicenseExpression):
            return str(value)
    return None


def _describe(package: Package, match: Match) -> str:
    text = f"{package.name} {package.version}" if package.version else package.name
    return f"{text} ({_purl_text(match.purl, package)})" if match.purl else text


def _purl_text(purl: Purl, package: Package) -> str:
    for locator in _purl_locators(package):
        if parse_purl(locator) == purl:
            return locator
    return f"pkg:{purl.type}/{purl.path}"


SOURCE = SpdxSource()
