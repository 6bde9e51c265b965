"""HCL2 parsing for the Terraform source: tree-sitter's C parser, python-hcl2's output.

Terraform scanning used python-hcl2, a Lark grammar: about 0.19 s to import and build
per run and about 1.5 ms per small block, so a directory of modules cost more than the
rest of a scan. tree-sitter-hcl is a compiled C parser: the language loads in about
10 ms and a block parses in about 0.1 ms, so every file is parsed whole and a syntax
error anywhere in it is reported, with its line.

What remains costly is turning the syntax tree into Python values, so that is done only
for the top-level blocks a question needs (``HclFile.select``): the cache resources when
collecting, one ``variable`` block when a reference to it is resolved.

The values keep the shape python-hcl2 gives with ``SerializationOptions(
with_comments=False, explicit_blocks=False, strip_string_quotes=True)``, which
the Terraform source was written against: blocks as lists of dicts nested by label, strings
unquoted with escapes resolved, ``int`` and ``float`` numbers, ``True``/``False``/
``None``, lists and dicts, and every other expression as its text in ``${...}``
(``"${var.x}"``, ``"${var.prefix}-7.0"``, ``"${lookup(var.m, \\"k\\")}"``). python-hcl2
stays a test dependency: the tests compare this module's output with it. The few
places where the two differ are noted where they are handled.

Comments may sit between any two tokens (``a ? b :``, a comment line, then ``c``);
tree-sitter gives them as named nodes, which every step of the conversion leaves out.
tree-sitter-hcl reads string and heredoc text a character at a time: a file of long
descriptions parsed at 1.5 MB/s, and its tree costs about 180 bytes per character of
literal. So literal text reaches it as short placeholders (``_mask_long_literals``),
which are put back wherever text leaves this module: in values, in the block text a
selection tests, in syntax error messages. Work is bounded: more than 4 MB of HCL
outside literals is refused with an InputError. Integers too long for Python's ``int``
(over 4,000 digits) stay text. ``parse_template`` parses a value's text again for the
evaluator in ``expressions``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import tree_sitter_hcl
from tree_sitter import Language, Node, Parser, Tree

from policycheck.errors import InputError

_SYNTAX_HINT = "check the syntax with `terraform fmt` or `terraform validate`"
#: A backslash escape, or a ``$${...}``/``%%{...}`` sequence, which python-hcl2 keeps as
#: written (escapes inside it are not resolved).
_ESCAPED_MARKER = re.compile(
    r"(\\(?:u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.))|(\$\$\{[^}]{0,4096}\}|%%\{[^}]{0,4096}\})",
    re.DOTALL,
)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_UNICODE_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}")
_OPERAND_STARTS = frozenset("()")
#: Longer integers stay text: Python converts at most 4,300 digits by default.
_MAX_INT_DIGITS = 4000


@cache
def _parser() -> Parser:
    """The tree-sitter HCL parser, built on first use (about 10 ms)."""
    return Parser(Language(tree_sitter_hcl.language()))


def warm_up() -> None:
    """Build the parser now, before the walker forks its workers."""
    _parser()


def parse_hcl(text: str, display: str) -> dict[str, Any]:
    """Parse HCL2 text; malformed input becomes an InputError with its first bad line."""
    return HclFile(text, display).whole()


@dataclass(eq=False)
class HclFile:
    """One HCL file, parsed whole once; its top-level blocks converted when asked for."""

    text: str
    display: str
    _source: bytes = field(default=b"", repr=False)
    _tree: Tree | None = field(default=None, repr=False)
    _error: InputError | None = field(default=None, repr=False)
    _converted: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    _whole: dict[str, Any] | None = field(default=None, repr=False)
    _laid_out: bool = field(default=False, repr=False)
    _block_list: list[tuple[int, Node, str]] | None = field(default=None, repr=False)
    _masked: _Masked | None = field(default=None, repr=False)
    _positions: dict[tuple[str, ...], tuple[int, dict[str, int]]] = field(
        default_factory=dict, repr=False
    )

    def shown_as(self, display: str) -> HclFile:
        """This file under another name, sharing the parse when it went well: the
        scanner reads a file as itself (errors name it as the user sees it) and again as
        a sibling of the files beside it; one parse serves both."""
        twin = HclFile(self.text, display)
        try:
            self._body()
        except InputError:
            return twin  # parsed again, so that the error names ``display``
        twin._source, twin._tree, twin._masked = self._source, self._tree, self._masked
        twin._laid_out, twin._block_list = self._laid_out, self._block_list
        twin._converted, twin._positions = self._converted, self._positions
        return twin

    def whole(self) -> dict[str, Any]:
        """The whole file's values; raises InputError when it is not valid HCL2."""
        if self._whole is None:
            try:
                body = self._body()
                if body is None:
                    self._whole = {}
                else:
                    converter = self._converter()
                    self._whole = converter.body(body)
                    for node in _named(body):
                        if node.type == "block":
                            self._record_position(node, converter)
            except RecursionError:
                raise self._too_deep() from None
        return self._whole

    def select(self, wanted: Callable[[str], bool]) -> dict[str, Any]:
        """The document made of the top-level blocks whose text ``wanted`` accepts.

        Raises InputError when the file is not valid HCL2, whichever blocks are wanted.
        """
        try:
            return self._select(wanted)
        except RecursionError:
            raise self._too_deep() from None

    def block_line(self, keyword: str, *labels: str) -> int | None:
        """The 1-based line of a top-level block ``select`` returned, by type and labels."""
        found = self._positions.get((keyword, *labels))
        return found[0] if found else None

    def attribute_lines(self, keyword: str, *labels: str) -> dict[str, int]:
        """Lines of a selected block's attributes and nested blocks, by name (first one)."""
        found = self._positions.get((keyword, *labels))
        return dict(found[1]) if found else {}

    def _record_position(self, node: Node, converter: _Converter) -> None:
        parts = _children(node)
        labels: list[str] = []
        lines: dict[str, int] = {}
        for part in parts[1:]:
            if part.type == "identifier":
                labels.append(_text(part))
            elif part.type == "string_lit":
                labels.append(converter.string(part, False))
            elif part.type == "body":
                for item in _named(part):
                    if item.type in ("attribute", "block"):
                        name = _text(_children(item)[0])
                        lines.setdefault(name, item.start_point[0] + 1)
        key = (_text(parts[0]), *labels)
        self._positions.setdefault(key, (node.start_point[0] + 1, lines))

    def _converter(self) -> _Converter:
        assert self._masked is not None
        return _Converter(self.display, self._source, self._masked.restore)

    def _too_deep(self) -> InputError:
        return InputError("HCL nests too deeply to parse", self.display, hint=_SYNTAX_HINT)

    def _select(self, wanted: Callable[[str], bool]) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for index, node, text in self._blocks():
            if not wanted(text):
                continue
            if index not in self._converted:
                converter = self._converter()
                self._converted[index] = converter.body_items([node])
                self._record_position(node, converter)
            for key, value in self._converted[index].items():
                doc.setdefault(key, []).extend(value)
        return doc

    def _blocks(self) -> list[tuple[int, Node, str]]:
        """The top-level blocks with their index among the body's items and their text,
        listed once: a folder's variables are looked up one by one, each lookup going
        through every block of every file."""
        if self._block_list is None:
            body = self._body()
            items = _named(body) if body is not None else []
            restore = self._masked.restore if self._masked is not None else _as_is
            self._block_list = [
                (index, node, restore(_text(node)))
                for index, node in enumerate(items)
                if node.type == "block"
            ]
        return self._block_list

    def _body(self) -> Node | None:
        """The top-level ``body`` node (None for an empty file), or the syntax error."""
        if self._tree is None and self._error is None:
            self._masked = _mask_long_literals(self.text)
            self._source = self._masked.text.encode("utf-8", "surrogatepass")
            if len(self._source) > MAX_CODE_BYTES:
                self._error = _too_large(len(self._source), self.display)
                raise self._error
            tree = _parser().parse(self._source)
            self._error = _syntax_error(
                tree.root_node, self._source, self.display, self._masked.restore
            )
            self._tree = tree
        if self._error is not None:
            raise self._error
        assert self._tree is not None
        body = next((n for n in self._tree.root_node.named_children if n.type != "comment"), None)
        if body is not None and body.type != "body":
            # tree-sitter-hcl also reads a JSON-style ``{...}`` file; HCL2 does not.
            raise _invalid("a file cannot be a bare object", self.display, body)
        if body is not None and not self._laid_out:
            restore = self._masked.restore if self._masked is not None else _as_is
            self._error = _layout_error(body, self.display, restore)
            if self._error is not None:
                raise self._error
            self._laid_out = True
        return body


# -- long literals -----------------------------------------------------------------------

#: Files smaller than this are parsed as they are: the scan that finds their literals
#: (Python, about 10 MB/s) would cost more than it saves tree-sitter.
MASK_FILES_FROM = 2048
#: Literal text at least this long (one string's text between interpolations, or a
#: heredoc's) is handed to tree-sitter as a short placeholder: a module's descriptions,
#: resource types and labels. Measured on the real-repository benchmark's Terraform,
#: masking at 8 characters in files from 2 KiB took the scan and parse from 0.22 s to
#: 0.13 s; the memory bound of the tree (180 bytes a character of literal) holds too.
MASK_LITERALS_FROM = 8
#: More HCL than this outside long literals is refused: its syntax tree alone would
#: take several hundred megabytes (Terraform files are rarely over 1 MB).
MAX_CODE_BYTES = 4 * 1024 * 1024
_CODE_STOP = re.compile(r'"|#|//|/\*|<<-?[A-Za-z_]|[{}]')
_STRING_STOP = re.compile(r'["$%\n]')
_HEREDOC_STOP = re.compile(r"[$%\n]")
_HEREDOC_START = re.compile(r"<<(-?)([A-Za-z_][\w-]*)[ \t]*\r?\n")


@dataclass
class _Masked:
    """Text with its long literals replaced by placeholders, and how to put them back.

    A placeholder is ``MARK index MARK`` (``MARK`` a private-use character the text
    does not contain) followed by the newlines of the literal it stands for, so lines
    and everything outside literals keep their place.
    """

    text: str
    literals: list[str] = field(default_factory=list)
    mark: str = "\ue000"

    def restore(self, value: str) -> str:
        """``value`` with every placeholder it contains replaced by its literal."""
        if not self.literals or self.mark not in value:
            return value
        pattern = re.escape(self.mark) + r"(\d+)" + re.escape(self.mark) + r"(\n*)"

        def original(m: re.Match[str]) -> str:
            literal = self.literals[int(m.group(1))]
            return literal + m.group(2)[literal.count("\n") :]

        return re.sub(pattern, original, value)


def _mask_long_literals(text: str) -> _Masked:
    """Replace long string and heredoc text by placeholders (see ``MASK_FILES_FROM``).

    A scan in the lexical states of HCL (code, quoted string, heredoc, comment, and
    ``${...}``/``%{...}`` inside templates) finds literal text; it is linear in the
    text. Only literal text is replaced, with characters a template accepts, so the
    file parses to the same tree with shorter literals.
    """
    if len(text) < MASK_FILES_FROM:
        return _Masked(text)
    masked = _Masked("", mark=_unused_character(text))
    out: list[str] = []
    stack: list[str] = []  # "{" (braces in code), "${" (interpolation), '"', or a heredoc marker
    pos = 0
    length = len(text)

    def literal(start: int, end: int) -> None:
        chunk = text[start:end]
        if end - start < MASK_LITERALS_FROM:
            out.append(chunk)
            return
        mark = masked.mark
        out.append(f"{mark}{len(masked.literals)}{mark}" + "\n" * chunk.count("\n"))
        masked.literals.append(chunk)

    while pos < length:
        state = stack[-1] if stack else "{"
        if state in ("{", "${"):
            m = _CODE_STOP.search(text, pos)
            if m is None:
                out.append(text[pos:])
                break
            token = m.group()
            end = m.end()
            if token == '"':
                stack.append('"')
            elif token in ("#", "//"):
                newline = text.find("\n", end)
                end = length if newline < 0 else newline
            elif token == "/*":
                close = text.find("*/", end)
                end = length if close < 0 else close + 2
            elif token.startswith("<<"):
                heredoc = _HEREDOC_START.match(text, m.start())
                if heredoc is None:
                    end = m.start() + 2
                else:
                    end = heredoc.end()
                    stack.append(heredoc.group(2))
            elif token == "{":
                stack.append("{")
            elif stack:
                stack.pop()
            out.append(text[pos:end])
            pos = end
            continue
        # inside a quoted string or a heredoc: literal text up to a template sequence,
        # the closing quote, or the heredoc's closing line
        end = _literal_end(text, pos, state)
        literal(pos, end)
        pos = end
        if end >= length:
            break
        if text[end] in "$%":
            stack.append("${")
            out.append(text[end : end + 2])
            pos = end + 2
        elif state == '"':
            stack.pop()
            if text[end] == '"':
                out.append('"')
                pos = end + 1
        else:
            stack.pop()
            line_end = text.find("\n", end)
            pos = length if line_end < 0 else line_end
            out.append(text[end:pos])
    masked.text = "".join(out)
    return masked


def _literal_end(text: str, pos: int, state: str) -> int:
    """Where the literal text starting at ``pos`` ends: at ``${``/``%{``, at a quoted
    string's closing quote (or newline, when it is not closed), at the start of a
    heredoc's closing line, or at the end of the text."""
    quoted = state == '"'
    stop = _STRING_STOP if quoted else _HEREDOC_STOP
    length = len(text)
    while pos < length:
        if not quoted and (pos == 0 or text[pos - 1] == "\n"):
            line_end = text.find("\n", pos)
            if text[pos : length if line_end < 0 else line_end].strip() == state:
                return pos
        m = stop.search(text, pos)
        if m is None:
            return length
        at = m.start()
        char = m.group()
        if quoted and char == '"' and _escaped(text, pos, at):
            pos = at + 1
        elif char in "$%":
            if text.startswith(char + "{", at + 1):
                pos = at + 3  # ``$${`` and ``%%{`` are literal
            elif text.startswith("{", at + 1):
                return at
            else:
                pos = at + 1
        elif quoted:  # the closing quote, or the newline of a string never closed
            return at
        else:
            pos = at + 1
    return length


def _escaped(text: str, start: int, at: int) -> bool:
    """Whether an odd number of backslashes (counted back to ``start``) precede ``at``."""
    before = text[start:at]
    return (len(before) - len(before.rstrip("\\"))) % 2 == 1


# -- syntax errors -----------------------------------------------------------------------


def _syntax_error(
    root: Node, source: bytes, display: str, restore: Callable[[str], str] | None = None
) -> InputError | None:
    """The first ERROR or MISSING node as an InputError, or None for a clean tree."""
    if not root.has_error:
        return None
    node = _first_error(root)
    if node is None:  # has_error with no node to show: report the file
        return InputError("not valid HCL2", display, None, _SYNTAX_HINT)
    if node.is_missing:
        # The parser inserted the token where the next one starts; the mistake is
        # right after the previous token (``value =`` then a newline).
        line = _line_of_last_token(source, node.start_byte)
        if node.type == "quoted_template_end" and node.parent is not None:
            # an unclosed string runs on to the end of the file: name where it opens
            line = node.parent.start_point[0] + 1
        what = f"missing {node.type!r}"
    else:
        # An ERROR node holds what the parser could not place: complete pieces (a
        # block header, an attribute name) and the stray tokens. The last stray token
        # is where reading failed; for python-hcl2's errors on mutated files it is the
        # line python-hcl2 names about two times in three, the closest of the choices.
        stray = [c for c in node.children if c.child_count == 0 and not c.is_extra]
        line = (stray[-1] if stray else node).start_point[0] + 1
        first = (restore or _as_is)(_text(node)).strip().splitlines()
        what = f"unexpected {first[0][:40]!r}" if first else "unexpected end of file"
    return InputError(f"not valid HCL2: {what}", display, line, _SYNTAX_HINT)


def _layout_error(
    body: Node, display: str, restore: Callable[[str], str] | None = None
) -> InputError | None:
    """The first attribute or block header broken across lines, as an InputError.

    tree-sitter-hcl treats newlines as blanks, HCL2 does not: ``name =`` with its value
    on the next line, or a block's labels split from its type, is a syntax error for
    Terraform and python-hcl2 alike, so it is one here too.
    """
    for node in _named(body):
        kind = node.type
        if kind == "attribute":
            if node.start_point[0] == node.end_point[0]:
                continue  # on one line: most attributes, decided without their tokens
            parts = _children(node)
            head = parts[:3]
        elif kind == "block":
            parts = _children(node)
            head = parts[: next(i for i, n in enumerate(parts) if n.type == "block_start") + 1]
        else:
            continue
        for before, after in zip(head, head[1:], strict=False):
            if after.start_point[0] != before.end_point[0]:
                what = "a value" if node.type == "attribute" else "'{'"
                line = before.end_point[0] + 1
                shown = (restore or _as_is)(_text(before))
                message = f"not valid HCL2: {what} must start on the line of {shown!r}"
                return InputError(message, display, line, _SYNTAX_HINT)
        if kind == "block" and parts[-2].type == "body":
            found = _layout_error(parts[-2], display, restore)
            if found is not None:
                return found
    return None


def _too_large(size: int, display: str) -> InputError:
    return InputError(
        f"too large to read: {size / 2**20:.1f} MB of HCL outside string literals "
        f"(the limit is {MAX_CODE_BYTES // 2**20} MB)",
        display,
        hint="split the file, or leave it out of the scan with --exclude",
    )


def _first_error(node: Node) -> Node | None:
    if node.is_error or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing:
            found = _first_error(child)
            if found is not None:
                return found
    return None


def _line_of_last_token(source: bytes, end: int) -> int:
    """The 1-based line of the last non-blank byte before ``end`` (line 1 if none)."""
    stripped = source[:end].rstrip()
    return stripped.count(b"\n") + 1


def _invalid(what: str, display: str, node: Node) -> InputError:
    return InputError(f"not valid HCL2: {what}", display, node.start_point[0] + 1, _SYNTAX_HINT)


# -- conversion ---------------------------------------------------------------------------


def _as_is(text: str) -> str:
    return text


def _text(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "surrogatepass") if raw is not None else ""


def _children(node: Node) -> list[Node]:
    """Children without comments, which may sit anywhere (with_comments=False)."""
    return [child for child in node.children if child.type != "comment"]


def _named(node: Node) -> list[Node]:
    """Named children without comments: a comment may sit between any two tokens
    (``a ? b :`` then ``# note`` then ``c``), and is a named node of its own."""
    return [child for child in node.named_children if child.type != "comment"]


def _is_dollar(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def _dollar(value: Any) -> str:
    """``${value}``, unless it already reads as one (python-hcl2's to_dollar_string)."""
    return value if _is_dollar(value) else f"${{{value}}}"


def _parenthesised(value: Any) -> str:
    """python-hcl2's wrap_into_parentheses: ``(x)``, inside ``${}`` if it was one."""
    if _is_dollar(value):
        return f"${{({value[2:-1]})}}"
    return f"({value})"


class _Converter:
    """Turns tree-sitter nodes into python-hcl2's values.

    ``dollar`` is python-hcl2's ``inside_dollar_string``: within an expression's text,
    strings keep their quotes and escapes, keywords are words, and nothing is wrapped in
    ``${}`` again; numbers stay numbers until a parent formats them with ``str()``.
    """

    def __init__(self, display: str, source: bytes, restore: Callable[[str], str]) -> None:
        self.display = display
        self.source = source
        #: puts back the long literals ``_mask_long_literals`` took out of ``source``
        self.restore = restore

    # structure

    def body(self, node: Node) -> dict[str, Any]:
        return self.body_items(_named(node))

    def body_items(self, nodes: list[Node]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        attributes: set[str] = set()
        for node in nodes:
            if node.type == "attribute":
                name_node, *_, value = _children(node)
                name = _text(name_node)
                attributes.add(name)
                result[name] = self.expression(value, False)
            elif node.type == "block":
                name, block = self.block(node)
                if name in attributes:
                    # python-hcl2 refuses a block named like an earlier attribute
                    raise _invalid(f"attribute {name} is already defined", self.display, node)
                result.setdefault(name, []).append(block)
        return result

    def block(self, node: Node) -> tuple[str, dict[str, Any]]:
        """A block's type and its body nested under its labels, outermost first."""
        parts = _children(node)
        labels: list[str] = []
        body: dict[str, Any] = {}
        for part in parts[1:]:
            if part.type == "identifier":
                labels.append(_text(part))
            elif part.type == "string_lit":
                labels.append(self.string(part, False))
            elif part.type == "body":
                body = self.body(part)
        result: dict[str, Any] = body
        for label in reversed(labels):
            result = {label: result}
        return _text(parts[0]), result

    # expressions

    def expression(self, node: Node, dollar: bool) -> Any:
        """An ``expression`` node: a term with its ``.attr``/``[i]``/splat suffixes."""
        return self.term(_children(node), dollar)

    def term(self, nodes: list[Node], dollar: bool) -> Any:
        if not nodes:
            return None
        if nodes[0].type == "(":
            base_end = next(i for i, n in enumerate(nodes) if n.type == ")") + 1
        else:
            base_end = 1
        suffixes = nodes[base_end:]
        inner = dollar or bool(suffixes)
        if nodes[0].type == "(":
            value = self.parenthesised(nodes[1], inner)
        else:
            value = self.value(nodes[0], inner)
        if not suffixes:
            return value
        text = f"{value}" + "".join(self.suffix(node) for node in suffixes)
        return text if dollar else _dollar(text)

    def parenthesised(self, inner: Node, dollar: bool) -> str:
        # python-hcl2 formats the inner value with str(): ``([1, 2])`` -> "${([1, 2])}"
        result = _parenthesised(self.expression(inner, dollar))
        return result if dollar else _dollar(result)

    def suffix(self, node: Node) -> str:
        kind = node.type
        if kind == "get_attr":
            return "." + _text(_children(node)[-1])
        if kind == "index":
            (index,) = _named(node)
            if index.type == "legacy_index":
                return "." + _digits(_text(index).lstrip("."))
            return f"[{self.expression(_named(index)[0], True)}]"
        if kind == "splat":
            (splat,) = _named(node)
            start = ".*" if splat.type == "attr_splat" else "[*]"
            return start + "".join(self.suffix(part) for part in _named(splat))
        raise _invalid(f"unexpected {kind}", self.display, node)

    def value(self, node: Node, dollar: bool) -> Any:
        kind = node.type
        if kind in ("literal_value", "template_expr", "collection_value", "for_expr", "operation"):
            return self.value(_named(node)[0], dollar)
        if kind == "expression":
            return self.expression(node, dollar)
        if kind == "numeric_lit":
            return self.number(node, dollar)
        if kind == "bool_lit":
            return _text(node) if dollar else _text(node) == "true"
        if kind == "null_lit":
            return "null" if dollar else None
        if kind in ("string_lit", "quoted_template"):
            return self.string(node, dollar)
        if kind == "heredoc_template":
            return _heredoc(self.restore(_text(node)))
        if kind == "variable_expr":
            return _text(node)
        if kind == "tuple":
            return self.tuple(node, dollar)
        if kind == "object":
            return self.object(node, dollar)
        if kind == "function_call":
            return self.function_call(node, dollar)
        if kind in ("for_tuple_expr", "for_object_expr"):
            return self.for_expression(node, dollar)
        if kind == "unary_operation":
            return self.unary(node, dollar)
        if kind == "binary_operation":
            return self.binary(node, dollar)
        if kind == "conditional":
            condition, if_true, if_false = (self.expression(n, True) for n in _named(node))
            text = f"{condition} ? {if_true} : {if_false}"
            return text if dollar else _dollar(text)
        raise _invalid(f"unexpected {kind}", self.display, node)

    def number(self, node: Node, dollar: bool) -> int | float | str:
        text = _text(node)
        if text[:2].lower() == "0x":
            raise _invalid(f"{text} is not an HCL2 number", self.display, node)
        if "e" in text.lower():
            # python-hcl2 keeps scientific notation as written, as an expression
            return text if dollar else _dollar(text)
        if "." in text:
            return float(text)
        if len(text) > _MAX_INT_DIGITS:
            # Python refuses to convert it (sys.int_max_str_digits); no version or
            # count is that long, so it stays as written, a string
            return text
        return int(text)

    def unary(self, node: Node, dollar: bool) -> Any:
        operator, *operand_nodes = _children(node)
        operand = self.term(operand_nodes, True)
        is_number = isinstance(operand, int | float) and not isinstance(operand, bool)
        if not dollar and operator.type == "-" and is_number:
            return -operand  # ``-3`` is a number, not an expression
        text = f"{operator.type}{operand}"
        return text if dollar else _dollar(text)

    def binary(self, node: Node, dollar: bool) -> Any:
        nodes = _children(node)
        at = next(
            i for i, n in enumerate(nodes) if not n.is_named and n.type not in _OPERAND_STARTS
        )
        left = self.term(nodes[:at], True)
        right = self.term(nodes[at + 1 :], True)
        text = f"{left} {nodes[at].type} {right}"
        return text if dollar else _dollar(text)

    def tuple(self, node: Node, dollar: bool) -> Any:
        elements = [n for n in _named(node) if n.type == "expression"]
        if not dollar:
            return [self.expression(n, False) for n in elements]
        return "[" + ", ".join(str(self.expression(n, True)) for n in elements) + "]"

    def object(self, node: Node, dollar: bool) -> Any:
        pairs = []
        for element in _named(node):
            if element.type != "object_elem":
                continue
            key_node, value_node = (n for n in _named(element) if n.type == "expression")
            pairs.append((self.key(key_node, dollar), self.expression(value_node, dollar)))
        if not dollar:
            return dict(pairs)
        return "{" + ", ".join(f"{key} = {value}" for key, value in pairs) + "}"

    def key(self, node: Node, dollar: bool) -> Any:
        """An object key: a name, string or number as such, anything else as text."""
        nodes = _children(node)
        if len(nodes) == 1:
            (only,) = nodes
            leaf = _named(only)[0] if only.type in ("literal_value", "template_expr") else only
            if leaf.type == "variable_expr" or leaf.type in ("bool_lit", "null_lit"):
                return _text(leaf)
            if leaf.type in ("string_lit", "quoted_template"):
                return self.string(leaf, dollar)
            if leaf.type == "numeric_lit":
                number = self.number(leaf, dollar)
                return number if isinstance(number, str) else str(number)
        text = str(self.term(nodes, True))
        return text if dollar else _dollar(text)

    def function_call(self, node: Node, dollar: bool) -> Any:
        name = ""
        args: list[str] = []
        ellipsis = ""
        for child in _children(node):
            if child.type == "identifier":
                name = _text(child)
            elif child.type == "function_arguments":
                for arg in _children(child):
                    if arg.type == "expression":
                        args.append(str(self.expression(arg, True)))
                    elif arg.type == "ellipsis":
                        ellipsis = " ..."
        text = f"{name}({', '.join(args)}{ellipsis})"
        return text if dollar else _dollar(text)

    def for_expression(self, node: Node, dollar: bool) -> Any:
        intro = ""
        values: list[str] = []
        condition = ""
        grouping = ""
        for child in _named(node):
            if child.type == "for_intro":
                intro = self.for_intro(child)
            elif child.type == "expression":
                values.append(str(self.expression(child, True)))
            elif child.type == "ellipsis":
                grouping = "..."
            elif child.type == "for_cond":
                condition = f" if {self.expression(_named(child)[-1], True)}"
        if node.type == "for_tuple_expr":
            text = f"[{intro}{values[0]}{condition}]"
        else:
            text = f"{{{intro}{values[0]} => {values[1]}{grouping}{condition}}}"
        return text if dollar else _dollar(text)

    def for_intro(self, node: Node) -> str:
        names = [_text(n) for n in _named(node) if n.type == "identifier"]
        collection = self.expression(_named(node)[-1], True)
        return f"for {', '.join(names)} in {collection} : "

    # templates

    def string(self, node: Node, dollar: bool) -> str:
        """A quoted string or template: its value, or its source text inside ``${}``."""
        children = node.children
        pieces = self.pieces(children[1:-1], children[0].end_byte, children[-1].start_byte)
        if dollar:
            return '"' + "".join(self.template_part(piece, raw=True) for piece in pieces) + '"'
        return "".join(self.template_part(piece, raw=False) for piece in pieces)

    def pieces(self, nodes: list[Node], start: int, end: int) -> list[str | Node]:
        """Literal text (from the source, which keeps the whitespace tree-sitter leaves
        out of ``template_literal`` before a ``~``) and the nodes between ``start`` and
        ``end``."""
        result: list[str | Node] = []
        pos = start
        for node in nodes:
            if node.type in ("template_literal", "comment") or not node.is_named:
                continue
            if node.start_byte > pos:
                result.append(self.literal(pos, node.start_byte))
            result.append(node)
            pos = node.end_byte
        if end > pos:
            result.append(self.literal(pos, end))
        return result

    def literal(self, start: int, end: int) -> str:
        return self.restore(self.source[start:end].decode("utf-8", "surrogatepass"))

    def template_part(self, piece: str | Node, raw: bool) -> str:
        if isinstance(piece, str):
            return piece if raw else _unescape(piece)
        kind = piece.type
        if kind == "template_interpolation":
            # python-hcl2 rejects the ``${~ x ~}`` strip markers; they are kept here
            # so that the resolver leaves such a template to Terraform.
            inner = "".join(
                "~" if n.type == "strip_marker" else str(self.expression(n, True))
                for n in _named(piece)
                if n.type in ("strip_marker", "expression")
            )
            return _dollar(inner)
        if kind == "template_directive":
            # python-hcl2 keeps literal text inside a directive as written
            (directive,) = _named(piece)
            children = directive.children
            parts = self.pieces(children, directive.start_byte, directive.end_byte)
            return "".join(
                self.directive_marker(p)
                if not isinstance(p, str) and p.type in _DIRECTIVE_MARKERS
                else self.template_part(p, raw=True)
                for p in parts
            )
        raise _invalid(f"unexpected {kind}", self.display, piece)

    def directive_marker(self, node: Node) -> str:
        """``%{ if x }``, ``%{~ for a, b in y ~}``, ``%{ endif }``: python-hcl2's spacing."""
        children = _children(node)
        open_strip = children[1].type == "strip_marker"
        close_strip = children[-2].type == "strip_marker"
        keyword = next(n.type for n in children if not n.is_named)
        last = children[-3 if close_strip else -2]
        if keyword == "if":
            head = f"if {self.expression(last, True)}"
        elif keyword == "for":
            names = ", ".join(_text(n) for n in children if n.type == "identifier")
            head = f"for {names} in {self.expression(last, True)}"
        else:
            head = keyword
        prefix = "~ " if open_strip else " "
        suffix = " ~" if close_strip else " "
        return f"%{{{prefix}{head}{suffix}}}"


_QUOTES = frozenset({"quoted_template_start", "quoted_template_end"})
_DIRECTIVE_MARKERS = frozenset(
    {
        "template_if_intro",
        "template_else_intro",
        "template_if_end",
        "template_for_start",
        "template_for_intro",
        "template_for_end",
    }
)


def _digits(text: str) -> str:
    """An integer's digits without leading zeros, as ``str(int(text))`` gives them."""
    return text.lstrip("0") or "0"


def _heredoc(text: str) -> str:
    """A heredoc as python-hcl2 gives it: its source text, up to the closing marker."""
    if text.startswith("<<-"):
        return re.sub(r"\r?\n\Z", "", re.sub(r"[ \t]*\Z", "", text))
    return text.rstrip("\r\n\t ")


def _unescape(text: str) -> str:
    """Resolve a literal's escapes the way python-hcl2 does with strip_string_quotes.

    ``\\n``, ``\\r``, ``\\t``, ``\\"``, ``\\\\``, ``\\uNNNN`` and ``\\UNNNNNNNN`` are
    resolved; ``$${...}`` and ``%%{...}`` stay as written (python-hcl2 does not turn
    them into ``${``/``%{``, so a value with one reads as a template to the resolver,
    which then leaves it unresolved rather than guessing).
    """
    if "\\" not in text:
        return text
    if "$${" in text or "%%{" in text:
        return _unescape_around_markers(text)
    # str.replace runs in C: a 50 MB string of escapes takes a second, not minutes
    hold = _unused_character(text)
    text = text.replace("\\\\", hold)
    for escape, char in _SIMPLE_ESCAPES.items():
        if escape != "\\":
            text = text.replace("\\" + escape, char)
    if "\\u" in text or "\\U" in text:
        text = _UNICODE_ESCAPE.sub(lambda m: _escape(m.group()), text)
    return text.replace(hold, "\\")


def _unescape_around_markers(text: str) -> str:
    """``_unescape`` for text with ``$${...}``/``%%{...}``, which keep their escapes."""
    parts: list[str] = []
    pos = 0
    for m in _ESCAPED_MARKER.finditer(text):
        parts.append(text[pos : m.start()])
        escape, marker = m.groups()
        parts.append(marker if marker is not None else _escape(escape))
        pos = m.end()
    parts.append(text[pos:])
    return "".join(parts)


def _unused_character(text: str) -> str:
    """A private-use character that ``text`` does not contain."""
    return next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)


def _escape(escape: str) -> str:
    """One escape's character; an unknown or impossible one stays as written."""
    if escape[1] in "uU" and len(escape) > 2:
        code = int(escape[2:], 16)
        is_char = code <= 0x10FFFF and not 0xD800 <= code < 0xE000
        return chr(code) if is_char else escape
    return _SIMPLE_ESCAPES.get(escape[1], escape)


#: How much HCL source the files kept for reuse may hold together: a parsed file keeps
#: its syntax tree, about 70 bytes per byte of source, and a module collection has
#: hundreds of files. This keeps a folder's files and the modules it calls (the
#: largest public modules are about 150 KB) at some 30 MB per process.
CACHE_SOURCE_BYTES = 400_000
_kept: OrderedDict[tuple[Path, int, int], HclFile | None] = OrderedDict()
_kept_bytes = 0


def hcl_file(path: Path) -> HclFile | None:
    """The file at ``path``, read once per version of it while it is among the recently
    read; None when it cannot be read.

    Sibling files are read here to resolve variables; the walker reports an unreadable
    or broken file on its own, so here it only fails to contribute values.
    """
    global _kept_bytes
    try:
        st = path.stat()
    except OSError:
        return None
    key = (path, st.st_mtime_ns, st.st_size)
    if key in _kept:
        _kept.move_to_end(key)
        return _kept[key]
    try:
        file: HclFile | None = HclFile(path.read_text("utf-8-sig"), str(path))
    except (OSError, UnicodeDecodeError):
        file = None
    _kept[key] = file
    _kept_bytes += st.st_size
    while _kept_bytes > CACHE_SOURCE_BYTES and len(_kept) > 1:
        (_, _, size), _ = _kept.popitem(last=False)
        _kept_bytes -= size
    return file


def forget_files() -> None:
    """Drop every file ``hcl_file`` keeps (for tests that compare two ways of reading)."""
    global _kept_bytes
    _kept.clear()
    _kept_bytes = 0


def kept_source_bytes() -> int:
    """The source bytes of the files ``hcl_file`` keeps now."""
    return _kept_bytes


# -- templates for evaluation ----------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A string value parsed again as a template, for the Terraform evaluator.

    The values above keep an expression as its text (``"${var.x ? 1 : 2}"``) and a
    template as its text with escapes resolved. Parsed as a heredoc, which takes its
    text as written (no escapes, quotes as they are), that text yields its literal
    pieces and the syntax trees of its interpolations. ``parts`` are literal strings
    and ``template_interpolation``/``template_directive`` nodes, in order.
    """

    parts: tuple[str | Node, ...]
    tree: Tree


_TEMPLATE_MARKER = "TEMPLATE_END"


@lru_cache(maxsize=4096)
def parse_template(raw: str) -> Template | None:
    """``raw`` (a value with ``${`` or ``%{`` in it) as a template; None if it is not one."""
    marker = _TEMPLATE_MARKER
    lines = set(raw.split("\n"))
    while marker in lines:
        marker += "_"
    prefix = f"x = <<{marker}\n"
    source = (prefix + raw + f"\n{marker}\n").encode("utf-8", "surrogatepass")
    tree = _parser().parse(source)
    if tree.root_node.has_error:
        return None
    body = _named(tree.root_node)
    attribute = _named(body[0])[0] if body and _named(body[0]) else None
    if attribute is None or attribute.type != "attribute":
        return None
    heredoc = attribute
    while heredoc.type != "heredoc_template":
        named = _named(heredoc)
        if not named:
            return None
        heredoc = named[-1]
    start = len(prefix.encode())
    end = start + len(raw.encode("utf-8", "surrogatepass"))
    parts: list[str | Node] = []
    pos = start
    for node in _named(heredoc):
        if node.type not in ("template_interpolation", "template_directive"):
            continue
        if node.start_byte > pos:
            parts.append(source[pos : node.start_byte].decode("utf-8", "surrogatepass"))
        parts.append(node)
        pos = node.end_byte
    if end > pos:
        parts.append(source[pos:end].decode("utf-8", "surrogatepass"))
    return Template(tuple(parts), tree)


def node_text(node: Node) -> str:
    """A node's source text."""
    return _text(node)


def code_children(node: Node) -> list[Node]:
    """A node's children, comments left out."""
    return _children(node)


def named_children(node: Node) -> list[Node]:
    """A node's named children, comments left out."""
    return _named(node)


def unescape(text: str) -> str:
    """A quoted string's literal text with its escapes resolved."""
    return _unescape(text)
