"""SPDX tag-value: spdx-tools' parser, fed only the elements that could be engines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policycheck.sources.spdx.match import could_be_engine
from policycheck.sources.spdx.read import guarded

if TYPE_CHECKING:
    from spdx_tools.spdx.model import Document


def read_tag_value(path: Path, text: str, display: str) -> Document:
    """The document, its elements that are never engines blanked out first."""
    parser = _tag_value_parser_class()(write_tables=False, debug=False, errorlog=_null_log())
    text = text.replace("\r\n", "\n")  # spdx-tools' lexer knows no CR; its own reader drops it
    document: Document = guarded(lambda: parser.parse(_tag_value_to_read(text)))
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
