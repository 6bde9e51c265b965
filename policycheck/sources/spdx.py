"""SPDX SBOMs: the engines an SBOM says are shipped, matched by purl or exact name only.

An application's SBOM lists client libraries (redis-py, hiredis, the PyPI and npm
packages called ``redis``) beside or instead of servers, and license texts say
"Redistribution" everywhere. So a package counts as an engine only when one of its
purls is of a kind that ships servers (container images, distribution packages, GitHub
repositories, generic binaries) and names a catalogued engine, image or repository; a
package with no purl counts when its name is exactly an engine id, alias or image name.
Substrings never match.

spdx-tools does the parsing (tag-value, JSON, YAML, RDF/XML, XML) and reports every
problem it finds; those messages become an ``InputError``. spdx-tools keeps no line
numbers, so a package's line is where its ``SPDXID`` is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote
from xml.sax import SAXParseException

import yaml

from policycheck.catalog import Engine, catalog
from policycheck.errors import InputError

# The comparison of a declared license with the catalog's lives in the core (the evaluator
# makes it); it stays importable from here, where the declared license is read.
from policycheck.expression import license_disagreement as license_disagreement
from policycheck.images import engine_for_image, parse_image, version_from_tag
from policycheck.model import Component, Location
from policycheck.sources.interface import Source

if TYPE_CHECKING:
    from spdx_tools.spdx.model import Document, Package

_SUFFIXES = (
    ".spdx",
    ".spdx.json",
    ".spdx.yaml",
    ".spdx.yml",
    ".spdx.rdf",
    ".spdx.rdf.xml",
    ".spdx.xml",
)
_HINT = (
    "the file must be an SPDX 2.2 or 2.3 document; spdx-tools (pyspdxtools -i FILE) "
    "shows every problem; regenerate the SBOM or fix the fields named"
)
_NOT_SPDX_HINT = (
    "only SPDX 2.x SBOMs are read here; exclude the file with --exclude if it is not one"
)
_MAX_MESSAGES = 3

#: purl types whose packages are container images: the name is an image repository.
_IMAGE_PURL_TYPES = frozenset({"docker", "oci"})
#: purl types whose packages are installable server builds, named like the engine.
#: Language ecosystems (pypi, npm, maven, gem, golang, cargo, nuget...) are left out on
#: purpose: their "redis" packages are clients.
_DISTRIBUTION_PURL_TYPES = frozenset({"generic", "deb", "rpm", "apk", "alpm", "bitnami"})
#: Distribution versions carry an epoch (``5:``) and a packaging revision (``-1~deb12u1``).
_DISTRO_REVISION_TYPES = frozenset({"deb", "rpm", "apk", "alpm", "bitnami"})
_DIGEST = re.compile(r"^sha\d+:[0-9a-f]+$", re.IGNORECASE)
_SPDX_LINE = re.compile(r"\b[Ll]ine:? (\d+)")


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


class SpdxSource(Source):
    """SPDX 2.x SBOMs in every serialisation spdx-tools reads."""

    name = "spdx"
    #: Ahead of generic YAML and JSON readers: ``*.spdx.yaml`` is an SBOM, not a manifest.
    priority = 5

    def claims(self, path: Path, head: bytes) -> bool:
        """SPDX file names, or a ``.json`` file whose first bytes mention ``spdxVersion``."""
        name = path.name.lower()
        if name.endswith(_SUFFIXES):
            return True
        return name.endswith(".json") and b"spdxVersion" in head

    def may_claim(self, name: str) -> bool:
        """SPDX names and any JSON file (whose head then decides)."""
        return name.endswith((*_SUFFIXES, ".json"))

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """One Component per package that is a catalogued engine; nothing else."""
        document = parse_document(path, text, display)
        for package in document.packages:
            component = component_for_package(package, text, display)
            if component is not None:
                yield component


# --- parsing -----------------------------------------------------------------------------


def parse_document(path: Path, text: str, display: str) -> Document:
    """The SPDX document in ``text``, or an InputError naming what spdx-tools rejected.

    The serialisation is chosen by name and then by content, because tools write JSON
    into ``.spdx`` files and both RDF and plain SPDX XML into ``.xml`` files.
    """
    from spdx_tools.spdx.parser.error import SPDXParsingError

    reader = _reader_for(path.name.lower(), text)
    try:
        return reader(path, text, display)
    except SPDXParsingError as exc:
        messages = exc.get_messages()
        raise InputError(
            f"not a valid SPDX document: {_summarise(messages)}",
            display,
            _line_in_messages(messages),
            _HINT,
        ) from None


def _reader_for(name: str, text: str) -> Callable[[Path, str, str], Document]:
    start = text.lstrip()[:1]
    if name.endswith(".json") or (name.endswith(".spdx") and start == "{"):
        return _read_json
    if name.endswith((".yaml", ".yml")):
        return _read_yaml
    if name.endswith((".rdf", ".rdf.xml")) or "rdf:RDF" in text[:4096]:
        return _read_rdf
    if name.endswith(".xml"):
        return _read_xml
    return _read_tag_value


def _read_json(path: Path, text: str, display: str) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", display, exc.lineno, _HINT) from None
    return _from_dict(data, display)


class _TextTimestampLoader(yaml.SafeLoader):
    """safe_load with timestamps left as text: spdx-tools parses ``created`` itself."""


_TextTimestampLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path, text: str, display: str) -> Document:
    try:
        data = yaml.load(text, Loader=_TextTimestampLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"invalid YAML: {problem}", display, line, _HINT) from None
    return _from_dict(data, display)


def _from_dict(data: object, display: str) -> Document:
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    if not isinstance(data, dict) or "spdxVersion" not in data:
        raise InputError(
            "not an SPDX document: the top level must be a mapping with spdxVersion",
            display,
            1,
            _NOT_SPDX_HINT,
        )
    return _guarded(lambda: JsonLikeDictParser().parse(data))


def _read_tag_value(path: Path, text: str, display: str) -> Document:
    from ply import yacc
    from spdx_tools.spdx.parser.tagvalue.parser import Parser

    # No parse tables written into site-packages, no "Generating LALR tables" on stderr.
    parser = Parser(write_tables=False, debug=False, errorlog=yacc.NullLogger())
    return _guarded(lambda: parser.parse(text))


def _read_rdf(path: Path, text: str, display: str) -> Document:
    from rdflib import Graph
    from spdx_tools.spdx.parser.rdf.rdf_parser import translate_graph_to_document

    graph = Graph()
    try:
        graph.parse(data=text, format="xml")
    except SAXParseException as exc:
        raise InputError(
            f"invalid XML: {exc.getMessage()}", display, exc.getLineNumber(), _HINT
        ) from None
    return _guarded(lambda: translate_graph_to_document(graph))


def _read_xml(path: Path, text: str, display: str) -> Document:
    from spdx_tools.spdx.parser.xml import xml_parser

    try:
        return _guarded(lambda: xml_parser.parse_from_file(str(path)))
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", display) from None


def _guarded(parse_call: Callable[[], Document]) -> Document:
    """Run an spdx-tools parser; its own errors pass through, any other becomes one.

    spdx-tools reports most problems as SPDXParsingError, but malformed input can reach
    a plain TypeError or AttributeError inside it (a list where a mapping belongs); the
    Source contract says no library exception escapes, so those are wrapped too.
    """
    from spdx_tools.spdx.parser.error import SPDXParsingError

    try:
        return parse_call()
    except SPDXParsingError:
        raise
    except Exception as exc:  # library internals, see docstring
        raise SPDXParsingError([f"{type(exc).__name__}: {exc}"]) from None


def _summarise(messages: list[str]) -> str:
    shown = "; ".join(m.strip() for m in messages[:_MAX_MESSAGES]) or "no detail given"
    more = len(messages) - _MAX_MESSAGES
    return f"{shown} (and {more} more)" if more > 0 else shown


def _line_in_messages(messages: list[str]) -> int | None:
    for message in messages:
        m = _SPDX_LINE.search(message)
        if m:
            return int(m.group(1))
    return None


# --- matching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    """An engine a package was identified as, and the purl that said so (if any)."""

    engine: Engine
    purl: Purl | None


def component_for_package(package: Package, text: str, display: str) -> Component | None:
    """The Component for one SBOM package, or None when it is not a catalogued engine."""
    match = match_package(package)
    if match is None:
        return None
    version, floating, unresolved = _version(package, match.purl, match.engine)
    return Component(
        match.engine.id,
        version,
        Location(display, line_of_spdx_id(text, package.spdx_id), _describe(package, match)),
        unresolved=unresolved,
        floating=floating,
        declared_license=license_as_written(package),
        origin="sbom",
    )


def match_package(package: Package) -> _Match | None:
    """Identify a package by its purls, or by its exact name when it has none."""
    purls = [p for p in map(parse_purl, _purl_locators(package)) if p is not None]
    if purls:
        for purl in purls:
            engine = engine_for_purl(purl)
            if engine is not None:
                return _Match(engine, purl)
        return None
    engine = engine_for_name(package.name)
    return _Match(engine, None) if engine else None


def _purl_locators(package: Package) -> list[str]:
    return [
        ref.locator for ref in package.external_references if ref.reference_type.lower() == "purl"
    ]


def engine_for_purl(purl: Purl) -> Engine | None:
    """The engine a purl names: image repository, GitHub repository, or package name."""
    if purl.type in _IMAGE_PURL_TYPES:
        ref = parse_image(_image_name(purl))
        return engine_for_image(ref) if ref else None
    if purl.type == "github":
        return _repositories().get(purl.path.lower())
    if purl.type in _DISTRIBUTION_PURL_TYPES:
        return catalog().get(purl.name)
    return None


def _image_name(purl: Purl) -> str:
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
    ref = parse_image(name)
    return engine_for_image(ref) if ref else None


# --- versions, licenses, lines -----------------------------------------------------------


def _version(
    package: Package, purl: Purl | None, engine: Engine
) -> tuple[str | None, bool, str | None]:
    """(version, floating, unresolved reason) from versionInfo, else the purl."""
    if purl is not None and purl.type in _IMAGE_PURL_TYPES:
        return _image_version(package, purl, engine)
    if purl is None and package.name and parse_image(package.name) and "/" in package.name:
        return _image_version(package, None, engine)
    text = package.version or (purl.version if purl else None)
    if not text:
        return None, False, f"the SBOM gives no versionInfo for package {package.name!r}"
    if purl is not None and purl.type in _DISTRO_REVISION_TYPES:
        text = upstream_version(text)
    return text, False, None


def _image_version(
    package: Package, purl: Purl | None, engine: Engine
) -> tuple[str | None, bool, str | None]:
    """An image's version is its tag (builds read as the engine tags them); a digest is not."""
    candidates = [package.version]
    if purl is not None:
        candidates += [purl.version, purl.qualifiers.get("tag")]
    tags = [c for c in candidates if c and not _DIGEST.match(c)]
    if tags:
        return version_from_tag(tags[0], engine.build_suffix)
    if any(candidates):
        why = f"image {package.name!r} is pinned by digest only; the digest does not say which release it is"
        return None, False, why
    return None, False, f"the SBOM gives no tag or versionInfo for image {package.name!r}"


def upstream_version(text: str) -> str:
    """``5:7.0.15-1~deb12u1`` -> ``7.0.15``; ``7.2.5-r0`` -> ``7.2.5``; ``8.0~rc1-1`` -> ``8.0-rc1``."""
    version = re.sub(r"^\d+:", "", text.strip())
    if "-" in version:
        version = version.rsplit("-", 1)[0]
    return version.replace("~", "-")


def license_as_written(package: Package) -> str | None:
    """The declared license expression, else the concluded one; None for NOASSERTION/NONE."""
    from license_expression import LicenseExpression

    for value in (package.license_declared, package.license_concluded):
        if isinstance(value, LicenseExpression):
            return str(value)
    return None


def line_of_spdx_id(text: str, spdx_id: str) -> int | None:
    """1-based line where ``spdx_id`` is declared: ``SPDXID: id``, ``"SPDXID": "id"`` or RDF ``#id``."""
    escaped = re.escape(spdx_id.rsplit("#", 1)[-1])
    patterns = (
        rf"SPDXID[\"']?\s*:\s*[\"']?{escaped}(?![\w.-])",
        rf"#{escaped}[\"']",
    )
    for pattern in patterns:
        m = re.search(pattern, text)
        if m:
            return text.count("\n", 0, m.start()) + 1
    return None


def _describe(package: Package, match: _Match) -> str:
    text = f"{package.name} {package.version}" if package.version else package.name
    return f"{text} ({_purl_text(match.purl, package)})" if match.purl else text


def _purl_text(purl: Purl, package: Package) -> str:
    for locator in _purl_locators(package):
        if parse_purl(locator) == purl:
            return locator
    return f"pkg:{purl.type}/{purl.path}"


SOURCE = SpdxSource()
