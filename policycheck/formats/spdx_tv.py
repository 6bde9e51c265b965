"""SPDX 2.3 tag-value: the same document as ``spdx-json``, in the format people read and diff."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from policycheck.formats.interface import Formatter
from policycheck.formats.spdx_json import write_spdx
from policycheck.report import Report

if TYPE_CHECKING:
    from spdx_tools.spdx.model import Document


def _write_tag_value(document: Document, stream: TextIO) -> None:
    from spdx_tools.spdx.writer.tagvalue import tagvalue_writer

    tagvalue_writer.write_document_to_stream(document, stream, validate=False)


class SpdxTagValueFormat(Formatter):
    """SPDX 2.3 tag-value, validated by spdx-tools before it is written."""

    name = "spdx"
    description = "SPDX 2.3 tag-value SBOM, one package per finding, verdicts as REVIEW annotations"

    def render(self, report: Report) -> str:
        """The report as an SPDX 2.3 tag-value document."""
        return write_spdx(report, _write_tag_value)


FORMAT = SpdxTagValueFormat()
