"""SPDX SBOMs: the engines an SBOM says are shipped, matched by purl or exact name only.

An application's SBOM lists client libraries (redis-py, hiredis, the PyPI and npm
packages called ``redis``) beside or instead of servers, and license texts say
"Redistribution" everywhere. So a package counts as an engine only when one of its
purls is of a kind that ships servers (container images, distribution packages, GitHub
repositories, generic binaries) and names a catalogued engine, image or repository; a
package with no purl counts when its name is exactly an engine id, alias or image name.
Substrings never match.

spdx-tools builds the model (tag-value, JSON, YAML, RDF/XML, XML) and reports every
problem it finds in what it reads; those messages become an ``InputError``. It costs
about 100 µs a package, and image SBOMs list 100,000 packages, nearly all of them
never engines. So each serialisation is first read cheaply (JSON, policycheck's YAML
loader, tag-value lines, RDF triples through pyoxigraph) and spdx-tools is handed the
document's header and the packages whose name or purls could name a catalogued engine
(``could_be_engine``, wider than the matcher); files, snippets, relationships and the
other packages are left unread, and problems in them unreported (``pyspdxtools -i``
validates a whole SBOM). spdx-tools keeps no line numbers, so a package's line is where
its ``SPDXID`` is written (``SpdxIdLines``). XML entity declarations are refused.
"""

from __future__ import annotations

import bisect
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote
from xml.parsers.expat import ExpatError
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
from policycheck.yamlload import PartialDocument, collector_paused

_T = TypeVar("_T")

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
_DOCUMENT_ID = re.compile(r'"SPDXID"\s*:\s*"SPDXRef-DOCUMENT"')


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


# --- parsing -----------------------------------------------------------------------------


def parse_document(path: Path, text: str, display: str) -> Document:
    """The document's header and every package that could be an engine, or an InputError.

    The serialisation is chosen by name and then by content, because tools write JSON
    into ``.spdx`` files and both RDF and plain SPDX XML into ``.xml`` files. Packages
    whose name and purls cannot name a catalogued engine are left out before spdx-tools
    builds its model (see the module docstring).
    """
    from spdx_tools.spdx.parser.error import SPDXParsingError

    reader = _reader_for(path.name.lower(), text)
    try:
        with collector_paused():
            return reader(path, text, display)
    except SPDXParsingError as exc:
        messages = exc.get_messages()
        raise InputError(
            f"not a valid SPDX document: {_summarise(messages)}",
            display,
            _line_in_messages(messages, text),
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
    if not _has_catalog_word(text):
        return False
    return _match(name, purls) is not None or (bool(purls) and _match(name, []) is not None)


def _has_catalog_word(lowered: str) -> bool:
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


# --- JSON and YAML -----------------------------------------------------------------------

#: Top-level keys of a JSON or YAML SBOM that never name an engine; left out unread.
_UNREAD_KEYS = frozenset({"files", "snippets", "relationships", "documentDescribes", "annotations"})


def _read_json(path: Path, text: str, display: str) -> Document:
    try:
        data = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON at column {exc.colno}: {exc.msg}", display, exc.lineno, _HINT
        ) from None
    except RecursionError:
        raise InputError(
            "nests too deeply to read", display, _deepest_json_line(text), _HINT
        ) from None
    return _from_dict(data, display, text)


def _json_int(digits: str) -> int | str:
    """An integer, or its text when it is longer than Python converts (4,300 digits)."""
    try:
        return int(digits)
    except ValueError:
        return digits


_JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deepest_json_line(text: str) -> int:
    """The line where JSON text first reaches its deepest nesting (for the error)."""
    depth = deepest = where = 0
    for m in _JSON_NESTING.finditer(text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, m.start()
        elif token in "]}":
            depth -= 1
    return text.count("\n", 0, where) + 1


def _read_yaml(path: Path, text: str, display: str) -> Document:
    """YAML through policycheck's loader: aliases capped, dates and huge numbers as text.

    Only the parts read are built: the header, and the packages whose name and purls
    could name an engine (building every node cost as much as composing them).
    """
    doc = PartialDocument(text, display)
    top = doc.entries(doc.root)
    if top is None:  # not a plain mapping: built whole, and said what is wrong
        return _from_dict(None if doc.root is None else doc.build(doc.root), display, text)
    data: dict[Any, Any] = {}
    for key, node in top:
        if key in _UNREAD_KEYS:
            continue
        if key == "packages" and isinstance(node, yaml.SequenceNode):
            data[key] = [doc.build(n) for n in node.value if _node_could_be_engine(doc, n)]
        else:
            data[key] = doc.build(node)
    return _from_dict(data, display, text)


def _node_could_be_engine(doc: PartialDocument, node: yaml.Node) -> bool:
    """``_dict_could_be_engine`` for a package node, building only its name and refs.

    Most packages are answered by their text alone: with no catalog word in it, even
    once percent-escapes are decoded, and no alias that could stand for one, nothing in
    them names an engine.
    """
    if not isinstance(node, yaml.MappingNode):
        return True
    written = doc.text_of(node)
    if "%" in written.replace("%40", ""):  # %40 (@, npm scopes) hides no word
        written += " " + unquote(written)
    if "*" not in written and not _has_catalog_word(written.lower()):
        return False
    wanted: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _YAML_MERGE:
            return True  # only building the whole package can tell its fields
        if key_node.value in ("name", "externalRefs"):
            wanted[key_node.value] = doc.build(value_node)
    return _dict_could_be_engine(wanted)


_YAML_MERGE = "tag:yaml.org,2002:merge"


def _from_dict(data: object, display: str, text: str) -> Document:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    if not isinstance(data, dict) or "spdxVersion" not in data:
        raise InputError(
            "not an SPDX document: the top level must be a mapping with spdxVersion",
            display,
            1,
            _NOT_SPDX_HINT,
        )
    read = {k: v for k, v in data.items() if k not in _UNREAD_KEYS}
    packages = data.get("packages")
    if isinstance(packages, list):
        read["packages"] = [_unlinked(p) for p in packages if _dict_could_be_engine(p)]
    try:
        return _guarded(lambda: JsonLikeDictParser().parse(read))
    except SPDXParsingError as exc:
        line = _first_bad_package_line(read.get("packages"), text)
        if line is None:
            raise
        messages = exc.get_messages()
        raise InputError(
            f"not a valid SPDX document: {_summarise(messages)}", display, line, _HINT
        ) from None


def _dict_could_be_engine(package: object) -> bool:
    if not isinstance(package, dict):
        return True
    refs = package.get("externalRefs") or []
    if not isinstance(refs, list):
        return True
    purls = []
    for ref in refs:
        if not isinstance(ref, dict):
            return True
        kind, locator = ref.get("referenceType"), ref.get("referenceLocator")
        if not isinstance(kind, str) or not isinstance(locator, str):
            return True
        if kind.lower() == "purl":
            purls.append(locator)
    return could_be_engine(package.get("name"), purls)


def _unlinked(package: object) -> object:
    """A package without ``hasFiles``: the files are not read, nor the links to them."""
    if isinstance(package, dict) and "hasFiles" in package:
        return {k: v for k, v in package.items() if k != "hasFiles"}
    return package


def _first_bad_package_line(packages: object, text: str) -> int | None:
    """The line of the first package spdx-tools rejects on its own (errors name none)."""
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.package_parser import PackageParser

    if not isinstance(packages, list):
        return None
    lines = SpdxIdLines(text)
    for package in packages:
        try:
            _guarded(partial(PackageParser().parse_package, package))
        except SPDXParsingError:
            spdx_id = package.get("SPDXID") if isinstance(package, dict) else None
            return lines.line_of(spdx_id) if isinstance(spdx_id, str) else None
    return None


# --- tag-value ---------------------------------------------------------------------------


def _read_tag_value(path: Path, text: str, display: str) -> Document:
    parser = _tag_value_parser_class()(write_tables=False, debug=False, errorlog=_null_log())
    text = text.replace("\r\n", "\n")  # spdx-tools' lexer knows no CR; its own reader drops it
    document: Document = _guarded(lambda: parser.parse(_tag_value_to_read(text)))
    return document


@cache
def _tag_value_parser_class() -> Any:
    """spdx-tools' tag-value Parser, sharing one license-expression parser per process.

    Its license rule calls ``license_expression.get_spdx_licensing()``, which loads the
    license index and builds a new Licensing for every license field (17 s for 1,000
    packages). The module's reference to that factory is pointed at the Licensing
    spdx-tools already shares between its JSON, YAML and RDF parsers.
    """
    from spdx_tools.common.spdx_licensing import spdx_licensing
    from spdx_tools.spdx.parser.tagvalue import parser

    parser.get_spdx_licensing = lambda: spdx_licensing
    return parser.Parser


def _null_log() -> Any:
    """No parse tables written into site-packages, no "Generating LALR tables" on stderr."""
    from ply import yacc

    return yacc.NullLogger()


#: The tag that starts each kind of tag-value element, and the element's own tags.
_TV_ELEMENT_TAGS = {
    "PackageName": frozenset(
        [
            "PackageName",
            "SPDXID",
            "PackageVersion",
            "PackageFileName",
            "PackageSupplier",
            "PackageOriginator",
            "PackageDownloadLocation",
            "FilesAnalyzed",
            "PackageVerificationCode",
            "PackageChecksum",
            "PackageHomePage",
            "PackageSourceInfo",
            "PackageLicenseConcluded",
            "PackageLicenseInfoFromFiles",
            "PackageLicenseDeclared",
            "PackageLicenseComments",
            "PackageCopyrightText",
            "PackageSummary",
            "PackageDescription",
            "PackageComment",
            "ExternalRef",
            "ExternalRefComment",
            "PackageAttributionText",
            "PrimaryPackagePurpose",
            "BuiltDate",
            "ReleaseDate",
            "ValidUntilDate",
        ]
    ),
    "FileName": frozenset(
        [
            "FileName",
            "SPDXID",
            "FileType",
            "FileChecksum",
            "LicenseConcluded",
            "LicenseInfoInFile",
            "FileCopyrightText",
            "LicenseComments",
            "FileComment",
            "FileNotice",
            "FileContributor",
            "FileAttributionText",
        ]
    ),
    "SnippetSPDXID": frozenset(
        [
            "SnippetSPDXID",
            "SnippetName",
            "SnippetComment",
            "SnippetCopyrightText",
            "SnippetLicenseComments",
            "SnippetFromFileSPDXID",
            "SnippetLicenseConcluded",
            "LicenseInfoInSnippet",
            "SnippetAttributionText",
            "SnippetByteRange",
            "SnippetLineRange",
        ]
    ),
    "Relationship": frozenset({"Relationship", "RelationshipComment"}),
}
#: Tags that start an element policycheck reads in full.
_TV_KEPT_STARTS = frozenset({"LicenseID", "Annotator"})
_TV_TAG = re.compile(r"[ \t]*([A-Za-z]+)[ \t]*:(.*)")


@dataclass
class _TagValueElement:
    """One element of a tag-value document: its kind and its fields' line spans."""

    start: str | None  # the tag that opened it; None before the first element
    fields: list[tuple[str, str, int, int]] = field(default_factory=list)  # tag, value, lines
    understood: bool = True


def _tag_value_to_read(text: str) -> str:
    """``text`` with the lines of elements never read made blank; line numbers unchanged.

    Files, snippets, relationships and packages that cannot be engines make up almost
    all of a large SBOM, and spdx-tools' parser costs about 30 µs a line. Only the
    element's own tags are blanked, and only in elements whose every line was
    understood; anything else reaches spdx-tools as written, to be read or reported.
    """
    lines = text.splitlines(keepends=True)
    blank = bytearray(len(lines))
    for element in _tag_value_elements(lines):
        if not _droppable(element):
            continue
        own = _TV_ELEMENT_TAGS[element.start or ""]
        for tag, _, first, last in element.fields:
            if tag in own:
                blank[first : last + 1] = b"\x01" * (last + 1 - first)
    if not any(blank):
        return text
    return "".join("\n" if drop else line for line, drop in zip(lines, blank, strict=True))


def _tag_value_elements(lines: list[str]) -> Iterator[_TagValueElement]:
    element = _TagValueElement(None)
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        m = _TV_TAG.match(line)
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        if m is None:
            element.understood = False
            index += 1
            continue
        tag, value = m.group(1), m.group(2).strip()
        last = index
        if value.startswith("<text>"):
            end = _text_end(lines, index)
            if end is None:
                element.understood = False
                yield element
                return
            last = end
        elif not value:
            element.understood = False
        if tag in _TV_ELEMENT_TAGS or tag in _TV_KEPT_STARTS:
            yield element
            element = _TagValueElement(tag)
        element.fields.append((tag, value, index, last))
        index = last + 1
    yield element


def _text_end(lines: list[str], index: int) -> int | None:
    """The line where the ``<text>`` value opened on line ``index`` closes, if cleanly."""
    opened = lines[index].index("<text>") + len("<text>")
    for number in range(index, len(lines)):
        line = lines[number]
        close = line.find("</text>", opened if number == index else 0)
        if close >= 0:
            rest = line[close + len("</text>") :]
            return number if not rest.strip() else None
    return None


def _droppable(element: _TagValueElement) -> bool:
    if element.start not in _TV_ELEMENT_TAGS or not element.understood:
        return False
    if element.start != "PackageName":
        return True
    name = element.fields[0][1]
    purls = []
    for tag, value, _, _ in element.fields:
        if tag == "ExternalRef":
            parts = value.split(" ")
            if len(parts) != 3:
                return False
            if parts[1].lower() == "purl":
                purls.append(parts[2])
    return not name.startswith("<text>") and not could_be_engine(name, purls)


# --- RDF/XML and XML ---------------------------------------------------------------------

_ENTITY = re.compile(r"<!ENTITY\b")
_XML_ENCODING = re.compile(r"""\A(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")
#: Where relative IRIs in an RDF/XML SBOM are resolved (only ids, which stay relative).
_RDF_BASE = "https://sbom.invalid/document"
_SPDX_NS = "http://spdx.org/rdf/terms#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: SPDX element classes: a triple pointing at one that is not read is left out.
_RDF_ELEMENTS = frozenset(f"{_SPDX_NS}{c}" for c in ("Package", "File", "Snippet", "SpdxDocument"))


def _refuse_entities(text: str, display: str) -> None:
    """Refuse a DOCTYPE that declares entities: expanding nested ones never ends.

    A 579-byte file of entities referring to entities kept rdflib busy for over a
    minute. SBOM tools never write them.
    """
    doctype = text.find("<!DOCTYPE")
    if doctype < 0:
        return
    end = text.find("]>", doctype)
    m = _ENTITY.search(text, doctype, end if end >= 0 else len(text))
    if m is not None:
        raise InputError(
            "XML entity declarations are refused: expanding them can take minutes and gigabytes",
            display,
            text.count("\n", 0, m.start()) + 1,
            "SBOM tools do not write entities; regenerate the SBOM, or write the text out",
        )


def _utf8_xml(text: str) -> bytes:
    """The text as UTF-8, its XML declaration saying so (it was decoded from anything)."""
    return _XML_ENCODING.sub(r"\1\2UTF-8\2", text, count=1).encode("utf-8")


def _read_rdf(path: Path, text: str, display: str) -> Document:
    from spdx_tools.spdx.parser.rdf.rdf_parser import translate_graph_to_document

    _refuse_entities(text, display)
    data = _utf8_xml(text)
    graph = _engine_graph(data)
    if graph is None:
        graph = _rdflib_graph(data, display)
    return _guarded(lambda: translate_graph_to_document(graph))


def _rdflib_graph(data: bytes, display: str) -> Any:
    """The whole graph as rdflib reads it: slow, but it says where XML is broken."""
    from rdflib import Graph

    graph = Graph()
    try:
        graph.parse(data=data, format="xml")
    except SAXParseException as exc:
        raise InputError(
            f"invalid XML: {exc.getMessage()}", display, exc.getLineNumber(), _HINT
        ) from None
    return graph


def _engine_graph(data: bytes) -> Any:
    """An rdflib graph of the document and its packages that could be engines.

    pyoxigraph reads RDF/XML about thirty times faster than rdflib, and spdx-tools
    builds a model object per package and relationship; so triples are read with
    pyoxigraph, and only those of the document (not its relationships) and of the
    packages that could be engines are handed to spdx-tools, through rdflib. None when
    pyoxigraph rejects the file: rdflib then reads it and says where it is broken.
    """
    try:
        triples = _RdfTriples(data)
    except SyntaxError:
        return None
    roots = triples.documents + [p for p in triples.packages if triples.could_be_engine(p)]
    return _to_rdflib(triples.closure(roots))


class _RdfTriples:
    """The triples of an RDF/XML text by subject, with its packages and documents.

    Subjects are keyed by their text (an IRI, or a blank node's label, which has no
    colon): a string hashes faster than a pyoxigraph term, and this loop runs once for
    every triple of the file.
    """

    def __init__(self, data: bytes) -> None:
        import pyoxigraph as ox

        self.literal = ox.Literal
        by_subject: defaultdict[str, list[Any]] = defaultdict(list)
        facts: defaultdict[str, list[tuple[str, Any]]] = defaultdict(list)
        typed = []
        for quad in ox.parse(data, format=ox.RdfFormat.RDF_XML, base_iri=_RDF_BASE):
            subject = quad.subject.value
            by_subject[subject].append(quad)
            predicate = quad.predicate.value
            if predicate in _RDF_FACTS:  # what could_be_engine reads, kept apart
                facts[subject].append((predicate, quad.object))
                if predicate == _RDF_TYPE:
                    typed.append(quad)
        self.by_subject = by_subject
        self.facts = facts
        self.elements = {q.subject.value for q in typed if q.object.value in _RDF_ELEMENTS}
        package, document = f"{_SPDX_NS}Package", f"{_SPDX_NS}SpdxDocument"
        self.packages = list(
            dict.fromkeys(q.subject.value for q in typed if q.object.value == package)
        )
        self.documents = list(
            dict.fromkeys(q.subject.value for q in typed if q.object.value == document)
        )

    def quads(self, key: str) -> list[Any]:
        found = self.by_subject.get(key)
        return [] if found is None else found

    def could_be_engine(self, key: str) -> bool:
        """``could_be_engine`` for a package; True when it is malformed."""
        names, purls = [], []
        for predicate, obj in self.facts.get(key, ()):
            if predicate == _SPDX_NAME:
                names.append(obj.value if isinstance(obj, self.literal) else None)
            elif predicate == _SPDX_REF:
                kind = locator = None
                count = 0
                for p, o in self.facts.get(obj.value, ()):
                    if p == _SPDX_REF_TYPE:
                        kind, count = o.value, count + 1
                    elif p == _SPDX_LOCATOR:
                        locator, count = o, count + 1
                if count != 2 or kind is None or not isinstance(locator, self.literal):
                    return True  # malformed: spdx-tools says what is wrong
                if kind.lower().endswith("purl"):
                    purls.append(locator.value)
        return len(names) != 1 or could_be_engine(names[0], purls)

    def closure(self, roots: list[str]) -> list[Any]:
        """The triples of ``roots`` and of the nodes they lead to, but of no other element.

        Relationships are left out (never read), and so is a triple pointing at a
        package, file, snippet or document that is not a root: the walk stays within
        what is read.
        """
        wanted = set(roots)
        seen: set[str] = set()
        stack = roots[::-1]  # the first root first: spdx-tools lists packages in graph order
        out = []
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            for quad in self.quads(key):
                if quad.predicate.value == _SPDX_RELATIONSHIP:
                    continue
                obj = quad.object
                if not isinstance(obj, self.literal) and obj.value not in wanted:
                    if obj.value in self.elements:
                        continue
                    stack.append(obj.value)
                out.append(quad)
        return out


_SPDX_NAME = f"{_SPDX_NS}name"
_SPDX_REF = f"{_SPDX_NS}externalRef"
_SPDX_REF_TYPE = f"{_SPDX_NS}referenceType"
_SPDX_LOCATOR = f"{_SPDX_NS}referenceLocator"
_SPDX_RELATIONSHIP = f"{_SPDX_NS}relationship"
_RDF_FACTS = frozenset({_RDF_TYPE, _SPDX_NAME, _SPDX_REF, _SPDX_REF_TYPE, _SPDX_LOCATOR})


def _to_rdflib(quads: list[Any]) -> Any:
    import pyoxigraph as ox
    from rdflib import BNode, Graph, Literal, URIRef

    def term(value: Any) -> Any:
        if isinstance(value, ox.NamedNode):
            return URIRef(value.value)
        if isinstance(value, ox.BlankNode):
            return BNode(value.value)
        if value.language:
            return Literal(value.value, lang=value.language)
        datatype = value.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(value.value)
        return Literal(value.value, datatype=URIRef(datatype))

    graph = Graph()
    for quad in quads:
        graph.add((term(quad.subject), term(quad.predicate), term(quad.object)))
    return graph


def _read_xml(path: Path, text: str, display: str) -> Document:
    """Plain SPDX XML: read as spdx-tools' XML reader does, then as JSON-like data.

    spdx-tools would open the file again as UTF-8; the text given is used instead,
    whatever it was decoded from.
    """
    import xmltodict
    from spdx_tools.spdx.parser.xml import xml_parser

    _refuse_entities(text, display)
    try:
        parsed = xmltodict.parse(_utf8_xml(text), disable_entities=True)
    except ExpatError as exc:
        raise InputError(f"invalid XML: {exc}", display, exc.lineno, _HINT) from None
    document = xml_parser._fix_list_like_fields(parsed).get("Document")
    if not isinstance(document, dict):
        raise InputError(
            'not an SPDX document: the top-level XML element must be "Document"',
            display,
            1,
            _NOT_SPDX_HINT,
        )
    return _from_dict(document, display, text)


def _guarded(parse_call: Callable[[], _T]) -> _T:
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


_LICENSE_TAG_LINE = re.compile(
    r"^[ \t]*(?:PackageLicense(?:Declared|Concluded|InfoFromFiles)|LicenseConcluded|"
    r"LicenseInfoIn(?:File|Snippet)|SnippetLicenseConcluded)[ \t]*:[ \t]*(.*?)[ \t]*$",
    re.MULTILINE,
)


def _line_in_messages(messages: list[str], text: str) -> int | None:
    """The line a message names (``Line: 8``), or of the license expression it quotes."""
    for message in messages:
        m = _SPDX_LINE.search(message)
        if m:
            return int(m.group(1))
    joined = " ".join(messages)
    if "license expression: " not in joined:
        return None
    for m in _LICENSE_TAG_LINE.finditer(text):
        if m.group(1) and f"license expression: {m.group(1)}" in joined:
            return text.count("\n", 0, m.start()) + 1
    return None


# --- matching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    """An engine a package was identified as, and the purl that said so (if any)."""

    engine: Engine
    purl: Purl | None


def component_for_package(package: Package, display: str, line: int | None) -> Component | None:
    """The Component for one SBOM package, or None when it is not a catalogued engine."""
    match = match_package(package)
    if match is None:
        return None
    version, floating, unresolved = _version(package, match.purl, match.engine)
    return Component(
        match.engine.id,
        version,
        Location(display, line, _describe(package, match)),
        unresolved=unresolved,
        floating=floating,
        declared_license=license_as_written(package),
        origin="sbom",
    )


def match_package(package: Package) -> _Match | None:
    """Identify a package by its purls, or by its exact name when it has none."""
    return _match(package.name, _purl_locators(package))


def _match(name: str, locators: list[str]) -> _Match | None:
    purls = [p for p in map(parse_purl, locators) if p is not None]
    if purls:
        for purl in purls:
            engine = engine_for_purl(purl)
            if engine is not None:
                return _Match(engine, purl)
        return None
    engine = engine_for_name(name)
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
    """1-based line where ``spdx_id`` is declared: ``SPDXID: id``, ``"SPDXID": "id"``,
    ``<SPDXID>id`` or RDF ``rdf:about="...#id"`` (else the first RDF ``#id``).

    One search of the whole text; ``SpdxIdLines`` answers for every package at once.
    """
    escaped = re.escape(spdx_id.rsplit("#", 1)[-1])
    patterns = (
        rf"SPDXID[\"']?\s*[:>]\s*[\"']?{escaped}(?![\w.-])",
        rf"about\s*=\s*[\"'][^\"'#]*#{escaped}[\"']",
        rf"#{escaped}[\"']",
    )
    for pattern in patterns:
        m = re.search(pattern, text)
        if m:
            return text.count("\n", 0, m.start()) + 1
    return None


class SpdxIdLines:
    """The line of every SPDX id declared in a text, from one pass, as ``line_of_spdx_id``.

    Searching the text once per package was quadratic: 40,000 packages named redis took
    two minutes. Each index (id -> where it is first declared) is built on its first use,
    in one scan of the text; a position becomes a line only when asked for, counting
    from the nearest position already counted (packages are asked for in order).
    """

    _DECLARED = re.compile(r"""SPDXID["']?\s*[:>]\s*["']?([^"'<\r\n]*)""")
    _ABOUT = re.compile(r"""about\s*=\s*["'][^"'#]*#([\w.-]+)["']""")
    _RDF = re.compile(r"""#([\w.-]+)["']""")
    _ID = re.compile(r"[\w.-]+")

    def __init__(self, text: str) -> None:
        self.text = text
        self._declared: dict[str, int] | None = None
        self._loose: dict[str, int] = {}
        self._about: dict[str, int] | None = None
        self._rdf: dict[str, int] | None = None
        self._counted: list[tuple[int, int]] = [(0, 1)]  # (position, its line), sorted

    def line_of(self, spdx_id: str | None) -> int | None:
        """The line ``line_of_spdx_id`` gives for ``spdx_id``, or None."""
        if not spdx_id:
            return None
        wanted = spdx_id.rsplit("#", 1)[-1]
        if self._declared is None:
            self._declared = self._index_declared()
        position = self._declared.get(wanted)
        if position is None:
            position = self._loose.get(wanted.strip())
        if position is None:
            if self._about is None:
                self._about = self._first_positions(self._ABOUT)
            position = self._about.get(wanted)
        if position is None:
            if self._rdf is None:
                self._rdf = self._first_positions(self._RDF)
            position = self._rdf.get(wanted)
        return None if position is None else self._line_at(position)

    def _index_declared(self) -> dict[str, int]:
        """Ids as ``SPDXID`` declares them: each leading run of id characters, as the
        search's ``(?![\\w.-])`` reads it, and (for odd ids) the whole value."""
        out: dict[str, int] = {}
        for m in self._DECLARED.finditer(self.text):
            value = m.group(1)
            run = self._ID.match(value)
            if run is not None:
                out.setdefault(run.group(), m.start())
            self._loose.setdefault(value.strip(), m.start())
        return out

    def _first_positions(self, pattern: re.Pattern[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in pattern.finditer(self.text):
            out.setdefault(m.group(1), m.start())
        return out

    def _line_at(self, position: int) -> int:
        index = bisect.bisect_right(self._counted, (position, sys.maxsize)) - 1
        start, line = self._counted[index]
        line += self.text.count("\n", start, position)
        self._counted.insert(index + 1, (position, line))
        return line


def _describe(package: Package, match: _Match) -> str:
    text = f"{package.name} {package.version}" if package.version else package.name
    return f"{text} ({_purl_text(match.purl, package)})" if match.purl else text


def _purl_text(purl: Purl, package: Package) -> str:
    for locator in _purl_locators(package):
        if parse_purl(locator) == purl:
            return locator
    return f"pkg:{purl.type}/{purl.path}"


SOURCE = SpdxSource()
