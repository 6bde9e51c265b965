"""SPDX RDF/XML: triples read with pyoxigraph, the model built by spdx-tools from a few."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax import SAXParseException

from policycheck.errors import InputError
from policycheck.sources.spdx.match import could_be_engine
from policycheck.sources.spdx.read import HINT, guarded, refuse_entities, utf8_xml

if TYPE_CHECKING:
    from spdx_tools.spdx.model import Document

#: Where relative IRIs in an RDF/XML SBOM are resolved (only ids, which stay relative).
_RDF_BASE = "https://sbom.invalid/document"

_SPDX_NS = "http://spdx.org/rdf/terms#"

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#: SPDX element classes: a triple pointing at one that is not read is left out.
_RDF_ELEMENTS = frozenset(f"{_SPDX_NS}{c}" for c in ("Package", "File", "Snippet", "SpdxDocument"))


def read_rdf(path: Path, text: str, display: str) -> Document:
    """The document and its packages that could be engines (entities refused)."""
    from spdx_tools.spdx.parser.rdf.rdf_parser import translate_graph_to_document

    refuse_entities(text, display)
    data = utf8_xml(text)
    graph = _engine_graph(data)
    if graph is None:
        graph = _rdflib_graph(data, display)
    return guarded(lambda: translate_graph_to_document(graph))


def _rdflib_graph(data: bytes, display: str) -> Any:
    """The whole graph as rdflib reads it: slow, but it says where XML is broken."""
    from rdflib import Graph

    graph = Graph()
    try:
        graph.parse(data=data, format="xml")
    except SAXParseException as exc:
        raise InputError(
            f"invalid XML: {exc.getMessage()}", display, exc.getLineNumber(), HINT
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
