"""HTML: the legal sign-off report as one self-contained page to open, print and sign.

The content comes from ``_signoff``; this module only draws it. The page carries its
own CSS and nothing else: no scripts, fonts, images or links to fetch, so it opens the
same way offline, years later, and cannot run anything from its input. All text goes
through ``html.escape``. Print styles start each component on a new page and keep the
checkboxes and signature lines visible on paper.
"""

from __future__ import annotations

import html

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

_CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 Georgia, "Times New Roman", serif; color: #111; margin: 0;
  background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 2.5rem 4rem; }
h1 { font-size: 1.9rem; margin: 0 0 .25rem; }
.subtitle { margin: 0 0 1.5rem; color: #444; }
h2 { font-size: 1.4rem; border-bottom: 2px solid #111; padding-bottom: .2rem;
  margin: 2.5rem 0 .8rem; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
p { margin: .4rem 0 .8rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #888; padding: .3rem .45rem; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
thead th { background: #eee; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
  margin: .4rem 0 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; overflow-wrap: break-word; min-width: 0; }
ul { margin: .3rem 0 .9rem; padding-left: 1.4rem; }
li { margin: .2rem 0; }
ul.checklist { list-style: none; padding-left: 0; }
ul.checklist li { display: flex; gap: .5rem; align-items: baseline; }
ul.checklist input { flex: none; width: 1rem; height: 1rem; margin: 0; }
.verdict-allow { border-left: 6px solid #2a7a2a; padding-left: .6rem; }
.verdict-review { border-left: 6px solid #b07d00; padding-left: .6rem; }
.verdict-deny { border-left: 6px solid #b00020; padding-left: .6rem; }
table.signature td { height: 2.6rem; }
table.signature th { width: 14rem; }
@media print {
  @page { size: A4; margin: 16mm 14mm; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section.component, section.signoff { break-before: page; page-break-before: always; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr, li, dl.facts { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  thead th { background: none; border-bottom: 2px solid #000; }
  th, td { border-color: #000; }
}
""".strip()


def _text(value: str) -> str:
    """Escaped text; newlines in the input stay visible as line breaks."""
    return html.escape(value, quote=True).replace("\n", "<br>")


def _table(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...], css: str = "") -> str:
    head = "".join(f'<th scope="col">{_text(h)}</th>' for h in header)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{_text(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _checklist(items: tuple[str, ...]) -> str:
    lis = "\n".join(
        f'<li><input type="checkbox" aria-label="done"><span>{_text(item)}</span></li>'
        for item in items
    )
    return f'<ul class="checklist">\n{lis}\n</ul>'


def _signature(block: SignatureBlock) -> str:
    rows = "\n".join(f'<tr><th scope="row">{_text(f)}</th><td></td></tr>' for f in block.fields)
    fields = f'<table class="signature">\n<tbody>\n{rows}\n</tbody>\n</table>'
    return f"{fields}\n<p>Decision (tick one):</p>\n{_checklist(block.decisions)}"


def _block(block: Block) -> str:
    match block:
        case Heading(text):
            return f"<h3>{_text(text)}</h3>"
        case Paragraph(text):
            return f"<p>{_text(text)}</p>"
        case Facts(rows):
            items = "\n".join(f"<dt>{_text(k)}</dt><dd>{_text(v)}</dd>" for k, v in rows)
            return f'<dl class="facts">\n{items}\n</dl>'
        case Table(header, rows):
            return _table(header, rows)
        case Bullets(items):
            return "<ul>\n" + "\n".join(f"<li>{_text(i)}</li>" for i in items) + "\n</ul>"
        case Checklist(items):
            return _checklist(items)
        case SignatureBlock():
            return _signature(block)
    raise TypeError(f"unknown block {block!r}")


def _section(section: Section) -> str:
    classes = ["component"] if section.component else [section.anchor]
    if section.verdict:
        classes.append(f"verdict-{section.verdict}")
    head = f'<section id="{html.escape(section.anchor)}" class="{" ".join(classes)}">'
    body = "\n".join(_block(b) for b in section.blocks)
    return f"{head}\n<h2>{_text(section.title)}</h2>\n{body}\n</section>"


def render_document(doc: Document) -> str:
    """The document as one self-contained HTML page."""
    sections = "\n".join(_section(s) for s in doc.sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_text(doc.title)}: {_text(doc.subtitle)}</title>\n"
        f"<style>\n{_CSS}\n</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_text(doc.title)}</h1>\n"
        f'<p class="subtitle">{_text(doc.subtitle)}</p>\n'
        f"{sections}\n</main>\n</body>\n</html>\n"
    )


class HtmlFormat(Formatter):
    """The sign-off report as a self-contained, printable HTML page."""

    name = "html"
    description = "legal sign-off report as one printable HTML page (no scripts, no assets)"

    def render(self, report: Report) -> str:
        """The sign-off report."""
        return render_document(build_document(report))


FORMAT = HtmlFormat()
