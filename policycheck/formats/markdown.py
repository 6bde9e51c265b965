"""Markdown: the legal sign-off report as a file to keep next to the code it judges.

The content comes from ``_signoff``; this module only draws it. Every piece of text is
escaped so that nothing from an input (a ``|`` in a note, a ``#`` at the start of a
rationale) can break a table or turn into a heading, link or HTML.
"""

from __future__ import annotations

import re

from policycheck.formats._signoff import (
    Block,
    Bullets,
    Checklist,
    Document,
    Facts,
    Heading,
    Paragraph,
    Section,
    SignatureBlock,
    Table,
    build_document,
)
from policycheck.formats.interface import Formatter
from policycheck.report import Report

#: Characters that are markup anywhere in a line (emphasis, code, links, HTML, tables).
_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>|~])")
#: An ``&`` that would start an HTML entity such as ``&lt;``.
_ENTITY_START = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
#: Characters that start a heading, list, rule or setext underline at the start of a line.
_LEADING_MARKUP = re.compile(r"^([#+=\-])")
#: ``1.`` or ``1)`` then a space (or nothing) at the start of a line starts an ordered list.
_LEADING_ORDINAL = re.compile(r"^(\d+)([.)])(?=\s|$)")


def escape(text: str) -> str:
    """Plain text as inline Markdown that renders as exactly that text, on one line.

    Newlines become ``<br>`` so a value never ends a table row or a list item early.
    """
    escaped = _ENTITY_START.sub(r"\\&", _INLINE_MARKUP.sub(r"\\\1", text))
    lines = [_escape_line_start(line.strip()) for line in escaped.splitlines()]
    return "<br>".join(line for line in lines if line) if lines else ""


def _escape_line_start(line: str) -> str:
    line = _LEADING_MARKUP.sub(r"\\\1", line)
    return _LEADING_ORDINAL.sub(r"\1\\\2", line)


def _table(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> list[str]:
    def row(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(escape(c) for c in cells) + " |"

    return [row(header), "| " + " | ".join("---" for _ in header) + " |", *map(row, rows)]


def _signature(block: SignatureBlock) -> list[str]:
    lines = _table(("Field", "Entry"), tuple((f, "") for f in block.fields))
    lines += ["", "Decision (tick one):", ""]
    lines += [f"- [ ] {escape(d)}" for d in block.decisions]
    return lines


def _block(block: Block) -> list[str]:
    match block:
        case Heading(text):
            return [f"### {escape(text)}"]
        case Paragraph(text):
            return [escape(text)]
        case Facts(rows):
            return [f"- **{escape(label)}:** {escape(value)}" for label, value in rows]
        case Table(header, rows):
            return _table(header, rows)
        case Bullets(items):
            return [f"- {escape(item)}" for item in items]
        case Checklist(items):
            return [f"- [ ] {escape(item)}" for item in items]
        case SignatureBlock():
            return _signature(block)
    raise TypeError(f"unknown block {block!r}")


def _section(section: Section) -> str:
    parts = ["---"] if section.component else []
    parts.append(f"## {escape(section.title)}")
    parts += ["\n".join(_block(b)) for b in section.blocks]
    return "\n\n".join(parts)


def render_document(doc: Document) -> str:
    """The document as Markdown (GitHub-flavoured tables and task lists)."""
    parts = [f"# {escape(doc.title)}", escape(doc.subtitle)]
    parts += [_section(s) for s in doc.sections]
    return "\n\n".join(parts) + "\n"


class MarkdownFormat(Formatter):
    """The sign-off report in Markdown, for review in a pull request or a wiki."""

    name = "markdown"
    description = "legal sign-off report in Markdown (checklists, evidence, signature block)"

    def render(self, report: Report) -> str:
        """The sign-off report."""
        return render_document(build_document(report))


FORMAT = MarkdownFormat()
