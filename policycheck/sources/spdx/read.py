"""Reading an SPDX SBOM in every serialisation, as far as engines are concerned.

spdx-tools builds the model (tag-value, JSON, YAML, RDF/XML, XML) and reports every
problem it finds in what it reads; those messages become an ``InputError``. It costs
about 100 µs a package, and image SBOMs list 100,000 packages, nearly all of them
never engines. So each serialisation is first read cheaply (JSON, policycheck's YAML
loader, tag-value lines, RDF triples through pyoxigraph) and spdx-tools is handed the
document's header and the packages whose name or purls could name a catalogued engine
(``could_be_engine``, wider than the matcher); files, snippets, relationships and the
other packages are left unread, and problems in them unreported (``pyspdxtools -i``
validates a whole SBOM). XML entity declarations are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote
from xml.parsers.expat import ExpatError

import yaml

from policycheck.errors import InputError
from policycheck.sources.spdx.lines import SpdxIdLines
from policycheck.sources.spdx.match import could_be_engine, has_catalog_word
from policycheck.yamlload import PartialDocument, collector_paused

_T = TypeVar("_T")

if TYPE_CHECKING:
    from spdx_tools.spdx.model import Document

HINT = (
    "the file must be an SPDX 2.2 or 2.3 document; spdx-tools (pyspdxtools -i FILE) "
    "shows every problem; regenerate the SBOM or fix the fields named"
)

NOT_SPDX_HINT = (
    "only SPDX 2.x SBOMs are read here; exclude the file with --exclude if it is not one"
)

_MAX_MESSAGES = 3

_SPDX_LINE = re.compile(r"\b[Ll]ine:? (\d+)")


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
            HINT,
        ) from None


def _reader_for(name: str, text: str) -> Callable[[Path, str, str], Document]:
    # Those two modules use this one's helpers: imported here, when first needed.
    from policycheck.sources.spdx.rdf import read_rdf
    from policycheck.sources.spdx.tagvalue import read_tag_value

    start = text.lstrip()[:1]
    if name.endswith(".json") or (name.endswith(".spdx") and start == "{"):
        return _read_json
    if name.endswith((".yaml", ".yml")):
        return _read_yaml
    if name.endswith((".rdf", ".rdf.xml")) or "rdf:RDF" in text[:4096]:
        return read_rdf
    if name.endswith(".xml"):
        return _read_xml
    return read_tag_value


#: Top-level keys of a JSON or YAML SBOM that never name an engine; left out unread.
_UNREAD_KEYS = frozenset({"files", "snippets", "relationships", "documentDescribes", "annotations"})


def _read_json(path: Path, text: str, display: str) -> Document:
    try:
        data = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON at column {exc.colno}: {exc.msg}", display, exc.lineno, HINT
        ) from None
    except RecursionError:
        raise InputError(
            "nests too deeply to read", display, _deepest_json_line(text), HINT
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
    if "*" not in written and not has_catalog_word(written.lower()):
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
            NOT_SPDX_HINT,
        )
    read = {k: v for k, v in data.items() if k not in _UNREAD_KEYS}
    packages = data.get("packages")
    if isinstance(packages, list):
        read["packages"] = [_unlinked(p) for p in packages if _dict_could_be_engine(p)]
    try:
        return guarded(lambda: JsonLikeDictParser().parse(read))
    except SPDXParsingError as exc:
        line = _first_bad_package_line(read.get("packages"), text)
        if line is None:
            raise
        messages = exc.get_messages()
        raise InputError(
            f"not a valid SPDX document: {_summarise(messages)}", display, line, HINT
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
            guarded(partial(PackageParser().parse_package, package))
        except SPDXParsingError:
            spdx_id = package.get("SPDXID") if isinstance(package, dict) else None
            return lines.line_of(spdx_id) if isinstance(spdx_id, str) else None
    return None


_ENTITY = re.compile(r"<!ENTITY\b")

_XML_ENCODING = re.compile(r"""\A(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


def refuse_entities(text: str, display: str) -> None:
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


def utf8_xml(text: str) -> bytes:
    """The text as UTF-8, its XML declaration saying so (it was decoded from anything)."""
    return _XML_ENCODING.sub(r"\1\2UTF-8\2", text, count=1).encode("utf-8")


def _read_xml(path: Path, text: str, display: str) -> Document:
    """Plain SPDX XML: read as spdx-tools' XML reader does, then as JSON-like data.

    spdx-tools would open the file again as UTF-8; the text given is used instead,
    whatever it was decoded from.
    """
    import xmltodict
    from spdx_tools.spdx.parser.xml import xml_parser

    refuse_entities(text, display)
    try:
        parsed = xmltodict.parse(utf8_xml(text), disable_entities=True)
    except ExpatError as exc:
        raise InputError(f"invalid XML: {exc}", display, exc.lineno, HINT) from None
    document = xml_parser._fix_list_like_fields(parsed).get("Document")
    if not isinstance(document, dict):
        raise InputError(
            'not an SPDX document: the top-level XML element must be "Document"',
            display,
            1,
            NOT_SPDX_HINT,
        )
    return _from_dict(document, display, text)


def guarded(parse_call: Callable[[], _T]) -> _T:
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
