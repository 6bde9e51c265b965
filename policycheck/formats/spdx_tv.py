"""SPDX 2.3 tag-value: the same document as ``spdx-json``, in the format people read and diff."""

from __future__ import annotations

import copy as copy_module
from typing import TYPE_CHECKING, Any, TextIO

from policycheck.formats.interface import Formatter
from policycheck.formats.spdx_json import write_spdx
from policycheck.report import Report

if TYPE_CHECKING:
    from spdx_tools.spdx.model import Document


def _write_tag_value(document: Document, stream: TextIO) -> None:
    from spdx_tools.spdx.writer.tagvalue import tagvalue_writer

    tagvalue_writer.write_document_to_stream(_closed_texts(document), stream, validate=False)


_END_OF_TEXT = "</text>"


def _closed_texts(value: Any) -> Any:
    """A copy of ``value`` in which no string can end a ``<text>`` field early.

    Multi-line tag-value fields are wrapped in ``<text>...</text>``; a policy rationale
    or an input value holding ``</text>`` would end the field there and let what
    follows read as tags of its own (a forged package). Escaped, it reads as text.
    """
    if isinstance(value, str):
        return value.replace(_END_OF_TEXT, "&lt;/text&gt;") if _END_OF_TEXT in value else value
    if isinstance(value, list):
        return [_closed_texts(item) for item in value]
    if type(value).__module__.startswith("spdx_tools.spdx.model"):
        copy = copy_module.copy(value)
        for name, item in vars(value).items():
            fixed = _closed_texts(item)
            if fixed is not item:
                object.__setattr__(copy, name, fixed)
        return copy
    return value


class SpdxTagValueFormat(Formatter):
    """SPDX 2.3 tag-value, validated by spdx-tools before it is written."""

    name = "spdx"
    description = "SPDX 2.3 tag-value SBOM, one package per finding, verdicts as REVIEW annotations"

    def render(self, report: Report) -> str:
        """The report as an SPDX 2.3 tag-value document."""
        return write_spdx(report, _write_tag_value)


FORMAT = SpdxTagValueFormat()
