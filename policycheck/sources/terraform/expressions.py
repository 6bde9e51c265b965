"""Terraform expressions evaluated as far as the configuration itself decides them.

Values come from ``hcl`` in python-hcl2's shape: literals as Python values, and every
expression or template as its text (``"${var.on ? 1 : 0}"``). ``evaluate`` parses such
text again and computes it the way Terraform would, for what a configuration fixes
before anything is created: literals, ``var.`` and ``local.`` references (through a
``Context``), conditionals, comparisons and logic, arithmetic, templates, indexes and
attributes, and a few pure functions (``coalesce``, ``try``, ``lookup``, ...).

What only Terraform can know (resource attributes, data sources, module outputs,
``each.``/``count.``, other functions) is ``Unknown``, with the reason; so is anything
this evaluator does not implement. It never guesses: a conditional whose condition is
unknown is known only when both branches agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from tree_sitter import Node

from policycheck.sources.terraform.hcl import (
    code_children,
    named_children,
    node_text,
    parse_template,
    unescape,
)

#: References followed in a chain (variable to local to variable ...) before giving up.
MAX_DEPTH = 64


@dataclass(frozen=True)
class Known:
    """A value the configuration decides (``None`` is Terraform's null).

    ``via`` says how it was reached (``var.engine from its default``), outermost first;
    ``line`` is the line, in the scanned file, of the module input that set it.
    """

    value: Any
    via: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Unknown:
    """A value only Terraform can compute, or one that is an error; ``why`` says which.

    ``failed`` marks an error (a missing attribute, an index out of range), which
    ``try()`` and ``can()`` catch; anything else merely cannot be known here.
    """

    why: str
    failed: bool = False


Result = Known | Unknown


class Context(Protocol):
    """Where ``var.`` and ``local.`` references are looked up."""

    def variable(self, name: str, depth: int) -> Result:
        """The value of ``var.name``."""

    def local(self, name: str, depth: int) -> Result:
        """The value of ``local.name``."""


def show(value: Any) -> str:
    """A value as Terraform writes it (``null``, ``true``, ``"redis"``), for messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, default=str, ensure_ascii=False)[:80]


def as_text(value: Any) -> str | None:
    """A string or number as text (``6`` -> ``"6"``); None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_reference(raw: Any) -> bool:
    """Whether ``raw`` is exactly one ``var.x``/``local.x`` reference (``"${var.x}"``)."""
    if not isinstance(raw, str) or not raw.startswith("${") or not raw.endswith("}"):
        return False
    inner = raw[2:-1].strip()
    head, _, name = inner.partition(".")
    return head in ("var", "local") and name.replace("_", "a").replace("-", "a").isalnum()


def expression_text(raw: Any) -> str:
    """How a raw value reads in a message: an expression without its ``${}``."""
    if isinstance(raw, str) and raw.startswith("${") and raw.endswith("}"):
        return raw[2:-1].strip()
    return show(raw)


def evaluate(raw: Any, context: Context, depth: int = 0) -> Result:
    """The value of a raw attribute value (python-hcl2's shape) in ``context``."""
    if depth > MAX_DEPTH:
        return Unknown(f"the value is reached through more than {MAX_DEPTH} references")
    if raw is None or isinstance(raw, bool | int | float):
        return Known(raw)
    if isinstance(raw, list):
        return _all([evaluate(item, context, depth) for item in raw], list)
    if isinstance(raw, dict):
        keys = list(raw)
        values = [evaluate(raw[key], context, depth) for key in keys]
        return _all(values, lambda items: dict(zip(keys, items, strict=True)))
    if not isinstance(raw, str):
        return Unknown(f"the value {show(raw)} is not a Terraform value")
    if "${" not in raw and "%{" not in raw:
        return Known(raw)
    template = parse_template(raw)
    if template is None:
        return Unknown(f"{expression_text(raw)} could not be read as an expression")
    return _Evaluator(context, depth).template(template.parts)


def _all(results: list[Result], build: Callable[[list[Any]], Any]) -> Result:
    for result in results:
        if isinstance(result, Unknown):
            return result
    known = [r for r in results if isinstance(r, Known)]
    via = next((r.via for r in known if r.via), ())
    return Known(build([r.value for r in known]), via)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def _equal(left: Any, right: Any) -> bool:
    """Terraform's ``==``: values of different types are never equal (``"1" != 1``)."""
    if _type_name(left) != _type_name(right):
        return False
    return bool(left == right)


def _as_bool(result: Result, what: str) -> Result:
    if isinstance(result, Unknown):
        return result
    value = result.value
    if isinstance(value, bool):
        return result
    if value in ("true", "false"):
        return replace(result, value=value == "true")
    return Unknown(f"{what} is {show(value)}, not a bool", failed=True)


class _Evaluator:
    """One evaluation: nodes of a parsed template or expression to a Result."""

    def __init__(self, context: Context, depth: int) -> None:
        self.context = context
        self.depth = depth

    # templates

    def template(self, parts: tuple[str | Node, ...]) -> Result:
        if len(parts) == 1 and not isinstance(parts[0], str):
            only = parts[0]
            if only.type == "template_interpolation":
                return self.interpolation(only)  # ``"${x}"`` is x, whatever its type
        texts: list[str] = []
        via: tuple[str, ...] = ()
        for part in parts:
            if isinstance(part, str):
                texts.append(part.replace("$${", "${").replace("%%{", "%{"))
                continue
            if part.type != "template_interpolation":
                return Unknown(
                    f"the template directive {node_text(part)[:60]} is not evaluated here"
                )
            result = self.interpolation(part)
            if isinstance(result, Unknown):
                return result
            text = as_text(result.value)
            if text is None:
                if isinstance(result.value, bool):
                    text = "true" if result.value else "false"
                else:
                    return Unknown(
                        f"{node_text(part)} is {show(result.value)}, which a template cannot hold",
                        failed=result.value is None,
                    )
            texts.append(text)
            via = via or result.via
        return Known("".join(texts), via)

    def interpolation(self, node: Node) -> Result:
        if any(child.type == "strip_marker" for child in named_children(node)):
            return Unknown(f"{node_text(node)} uses whitespace strip markers")
        expressions = [n for n in named_children(node) if n.type == "expression"]
        if len(expressions) != 1:
            return Unknown(f"{node_text(node)} could not be read")
        return self.expression(expressions[0])

    # expressions

    def expression(self, node: Node) -> Result:
        return self.term(code_children(node))

    def term(self, nodes: list[Node]) -> Result:
        if not nodes:
            return Unknown("an empty expression")
        if nodes[0].type == "(":
            close = next(i for i, n in enumerate(nodes) if n.type == ")")
            base = self.expression(nodes[1])
            suffixes = nodes[close + 1 :]
        elif nodes[0].type == "variable_expr":
            return self.reference(nodes)
        else:
            base = self.value(nodes[0])
            suffixes = nodes[1:]
        return self.suffixes(base, suffixes, nodes)

    def reference(self, nodes: list[Node]) -> Result:
        """``var.x``, ``local.x`` (then any suffixes); every other name needs Terraform."""
        root = node_text(nodes[0])
        text = "".join(node_text(n) for n in nodes)
        if root in ("var", "local") and len(nodes) > 1 and nodes[1].type == "get_attr":
            name = node_text(code_children(nodes[1])[-1])
            if root == "var":
                base = self.context.variable(name, self.depth + 1)
            else:
                base = self.context.local(name, self.depth + 1)
            return self.suffixes(base, nodes[2:], nodes)
        if root == "each":
            return Unknown(f"{text} is set per instance of for_each")
        if root == "count":
            return Unknown(f"{text} is set per instance of count")
        if root in ("path", "terraform"):
            return Unknown(f"{text} is set when Terraform runs")
        return Unknown(f"the expression {text} needs Terraform to evaluate")

    def suffixes(self, base: Result, suffixes: list[Node], nodes: list[Node]) -> Result:
        result = base
        for suffix in suffixes:
            if isinstance(result, Unknown):
                return result
            result = self.suffix(result, suffix, nodes)
        return result

    def suffix(self, base: Known, node: Node, nodes: list[Node]) -> Result:
        text = "".join(node_text(n) for n in nodes)
        value = base.value
        if node.type == "get_attr":
            key: Any = node_text(code_children(node)[-1])
        elif node.type == "index":
            (index,) = named_children(node)
            if index.type == "legacy_index":
                key = int(node_text(index).lstrip(".")[:6] or "0")
            else:
                found = self.expression(named_children(index)[0])
                if isinstance(found, Unknown):
                    return found
                key = found.value
        else:
            return Unknown(f"the splat expression {text} is not evaluated here")
        if isinstance(value, dict) and isinstance(key, str):
            if key in value:
                return Known(value[key], base.via, base.line)
            return Unknown(f"{text}: the object has no attribute {key!r}", failed=True)
        if isinstance(value, list) and isinstance(key, int | float) and not isinstance(key, bool):
            position = int(key)
            if 0 <= position < len(value):
                return Known(value[position], base.via, base.line)
            return Unknown(f"{text}: index {position} is out of range", failed=True)
        return Unknown(f"{text}: {show(value)} has no element {show(key)}", failed=True)

    def value(self, node: Node) -> Result:
        kind = node.type
        if kind in ("literal_value", "template_expr", "collection_value", "operation"):
            return self.value(named_children(node)[0])
        if kind == "expression":
            return self.expression(node)
        if kind == "numeric_lit":
            return self.number(node)
        if kind == "bool_lit":
            return Known(node_text(node) == "true")
        if kind == "null_lit":
            return Known(None)
        if kind in ("string_lit", "quoted_template"):
            return self.string(node)
        if kind == "tuple":
            items = [self.expression(n) for n in named_children(node) if n.type == "expression"]
            return _all(items, list)
        if kind == "object":
            return self.object(node)
        if kind == "function_call":
            return self.function_call(node)
        if kind == "conditional":
            return self.conditional(node)
        if kind == "unary_operation":
            return self.unary(node)
        if kind == "binary_operation":
            return self.binary(node)
        return Unknown(f"the expression {node_text(node)[:60]} is not evaluated here")

    def number(self, node: Node) -> Result:
        text = node_text(node)
        if len(text) > 30:
            return Unknown(f"the number {text[:20]}... is too long to compute with")
        try:
            return Known(float(text) if any(c in text for c in ".eE") else int(text))
        except ValueError:
            return Unknown(f"{text} is not a number", failed=True)

    def string(self, node: Node) -> Result:
        children = node.children
        pieces: list[str | Node] = []
        source_parts = [c for c in children[1:-1] if c.type != "comment"]
        pos = children[0].end_byte
        whole = node.text or b""
        base = node.start_byte
        for child in source_parts:
            if child.type in ("template_interpolation", "template_directive"):
                if child.start_byte > pos:
                    pieces.append(whole[pos - base : child.start_byte - base].decode())
                pieces.append(child)
                pos = child.end_byte
        end = children[-1].start_byte
        if end > pos:
            pieces.append(whole[pos - base : end - base].decode())
        literal = [unescape(p) if isinstance(p, str) else p for p in pieces]
        if not literal:
            return Known("")
        return self.template(tuple(literal))

    def object(self, node: Node) -> Result:
        result: dict[str, Any] = {}
        for element in named_children(node):
            if element.type != "object_elem":
                continue
            key_node, value_node = (n for n in named_children(element) if n.type == "expression")
            key = self.key(key_node)
            if isinstance(key, Unknown):
                return key
            value = self.expression(value_node)
            if isinstance(value, Unknown):
                return value
            result[key] = value.value
        return Known(result)

    def key(self, node: Node) -> str | Unknown:
        nodes = code_children(node)
        if len(nodes) == 1 and nodes[0].type == "variable_expr":
            return node_text(nodes[0])  # a bare name is the key itself
        found = self.term(nodes)
        if isinstance(found, Unknown):
            return found
        text = as_text(found.value)
        return text if text is not None else Unknown(f"{show(found.value)} is not a key")

    def conditional(self, node: Node) -> Result:
        condition, if_true, if_false = named_children(node)
        decided = _as_bool(self.expression(condition), f"the condition {node_text(condition)}")
        if isinstance(decided, Known):
            return self.expression(if_true if decided.value else if_false)
        if decided.failed:
            return decided
        first, second = self.expression(if_true), self.expression(if_false)
        agree = isinstance(first, Known) and isinstance(second, Known)
        if agree and _equal(first.value, second.value):  # type: ignore[union-attr]
            return first
        return Unknown(f"it depends on {node_text(condition)}, and {decided.why}")

    def unary(self, node: Node) -> Result:
        operator, *rest = code_children(node)
        operand = self.term(rest)
        if isinstance(operand, Unknown):
            return operand
        value = operand.value
        if operator.type == "!":
            checked = _as_bool(operand, node_text(node))
            return (
                replace(checked, value=not checked.value) if isinstance(checked, Known) else checked
            )
        if isinstance(value, int | float) and not isinstance(value, bool):
            return replace(operand, value=-value)
        return Unknown(f"{node_text(node)}: {show(value)} is not a number", failed=True)

    def binary(self, node: Node) -> Result:
        nodes = code_children(node)
        at = next(i for i, n in enumerate(nodes) if not n.is_named and n.type not in "()")
        operator = nodes[at].type
        left = self.term(nodes[:at])
        if operator in ("&&", "||"):
            return self.logic(operator, left, nodes[at + 1 :], node)
        right = self.term(nodes[at + 1 :])
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        via = left.via or right.via
        if operator == "==":
            return Known(_equal(left.value, right.value), via)
        if operator == "!=":
            return Known(not _equal(left.value, right.value), via)
        numbers = [
            v
            for v in (left.value, right.value)
            if isinstance(v, int | float) and not isinstance(v, bool)
        ]
        if len(numbers) != 2:
            return Unknown(f"{node_text(node)[:60]}: operands are not numbers", failed=True)
        a, b = numbers
        compute: dict[str, Callable[[Any, Any], Any]] = {
            "<": lambda x, y: x < y,
            ">": lambda x, y: x > y,
            "<=": lambda x, y: x <= y,
            ">=": lambda x, y: x >= y,
            "+": lambda x, y: x + y,
            "-": lambda x, y: x - y,
            "*": lambda x, y: x * y,
        }
        if operator in compute:
            return Known(compute[operator](a, b), via)
        if operator in ("/", "%") and b != 0:
            return Known(a / b if operator == "/" else a % b, via)
        return Unknown(f"{node_text(node)[:60]} cannot be computed", failed=True)

    def logic(self, operator: str, left: Result, right_nodes: list[Node], node: Node) -> Result:
        """``&&``/``||``: known when either side decides it (``false && x`` is false)."""
        decisive = operator == "||"
        left = _as_bool(left, node_text(node))
        if isinstance(left, Known) and left.value is decisive:
            return left
        right = _as_bool(self.term(right_nodes), node_text(node))
        if isinstance(right, Known) and right.value is decisive:
            return right
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        return Known(not decisive, left.via or right.via)

    def function_call(self, node: Node) -> Result:
        name = ""
        args: list[Node] = []
        for child in code_children(node):
            if child.type == "identifier":
                name = node_text(child)
            elif child.type == "function_arguments":
                if any(arg.type == "ellipsis" for arg in code_children(child)):
                    return Unknown(f"{node_text(node)[:60]} expands a list into arguments")
                args = [arg for arg in code_children(child) if arg.type == "expression"]
        if name in ("try", "can"):
            return self.attempt(name, args, node)
        if name == "coalesce":
            return self.coalesce(args, node)
        function = _FUNCTIONS.get(name)
        if function is None:
            return Unknown(f"the function {name}() in {node_text(node)[:60]} is not evaluated here")
        values = [self.expression(arg) for arg in args]
        for value in values:
            if isinstance(value, Unknown):
                return value
        known = [v for v in values if isinstance(v, Known)]
        try:
            result = function(*(v.value for v in known))
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            return Unknown(f"{node_text(node)[:60]} fails", failed=True)
        return Known(result, next((v.via for v in known if v.via), ()))

    def attempt(self, name: str, args: list[Node], node: Node) -> Result:
        """``try(a, b, ...)``: the first that does not fail; ``can(a)``: whether it does not."""
        for arg in args:
            result = self.expression(arg)
            if isinstance(result, Known):
                return Known(True) if name == "can" else result
            if not result.failed:
                return result  # unknown here: whether it would fail is unknown too
            if name == "can":
                return Known(False)
        return Unknown(f"every argument of {node_text(node)[:60]} fails", failed=True)

    def coalesce(self, args: list[Node], node: Node) -> Result:
        """The first argument that is neither null nor an empty string."""
        for arg in args:
            result = self.expression(arg)
            if isinstance(result, Unknown):
                return result
            if result.value is not None and result.value != "":
                return result
        return Unknown(f"every argument of {node_text(node)[:60]} is null or empty", failed=True)


def _lookup(mapping: dict[str, Any], key: str, *default: Any) -> Any:
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise KeyError(key)


def _to_string(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    text = as_text(value)
    if text is None:
        raise TypeError("not a primitive value")
    return text


def _to_number(value: Any) -> Any:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return float(value) if "." in value else int(value)


def _length(value: Any) -> int:
    if isinstance(value, str | list | dict):
        return len(value)
    raise TypeError("no length")


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "trimspace": lambda s: s.strip(),
    "tostring": _to_string,
    "tonumber": _to_number,
    "lookup": _lookup,
    "length": _length,
    "contains": lambda items, value: any(_equal(item, value) for item in items),
    "join": lambda separator, items: separator.join(_to_string(i) for i in items),
    "concat": lambda *lists: [item for part in lists for item in part],
    "merge": lambda *maps: {k: v for part in maps if part is not None for k, v in part.items()},
    "startswith": lambda s, prefix: s.startswith(prefix),
    "endswith": lambda s, suffix: s.endswith(suffix),
}
