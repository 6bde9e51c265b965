"""Terraform's JSON syntax (``*.tf.json``, ``*.tfvars.json``) in python-hcl2's shape.

Terraform reads ``main.tf.json`` like ``main.tf``: a top-level object whose keys are
block types, nested by labels (``{"resource": {"aws_x": {"name": {...}}}}``), where a
block type or label may also hold an array of such objects, ``"//"`` keys are comments,
and strings are templates (``"${var.x}"``). Converted here to the values ``hcl``
gives for native syntax (each block type a list of label-nested dicts), so the
Terraform source reads both the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policycheck.errors import InputError

_HINT = "check the file with `terraform validate`, or a JSON linter"
#: How many labels each block type takes in Terraform's JSON syntax.
_LABELS = {
    "resource": 2,
    "data": 2,
    "module": 1,
    "variable": 1,
    "output": 1,
    "provider": 1,
    "locals": 0,
    "terraform": 0,
    "moved": 0,
    "import": 0,
    "check": 1,
    "removed": 0,
}
#: Longer integers stay text: Python converts at most 4,300 digits by default.
_MAX_INT_DIGITS = 4000


def _integer(text: str) -> int | str:
    return int(text) if len(text.lstrip("-")) <= _MAX_INT_DIGITS else text


def _load(text: str, display: str) -> Any:
    try:
        return json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", display, exc.lineno, _HINT) from None
    except RecursionError:
        raise InputError("JSON nests too deeply to parse", display, hint=_HINT) from None


def _without_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_without_comments(item) for item in value]
    return value


def _objects(value: Any) -> list[dict[str, Any]]:
    """A block level's objects: one object, or an array of them."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _nest(value: Any, labels: int) -> list[dict[str, Any]]:
    """Blocks of one type as python-hcl2 gives them: bodies nested under their labels."""
    if labels == 0:
        return [_without_comments(body) for body in _objects(value)]
    result: list[dict[str, Any]] = []
    for level in _objects(value):
        for label, inner in level.items():
            if label == "//":
                continue
            result.extend({label: body} for body in _nest(inner, labels - 1))
    return result


@dataclass(eq=False)
class TfJsonFile:
    """One ``.tf.json`` or ``.tfvars.json`` file, converted whole when first asked."""

    text: str
    display: str
    tfvars: bool = False
    _doc: dict[str, Any] | None = field(default=None, repr=False)

    def whole(self) -> dict[str, Any]:
        """The file's values; raises InputError when it is not Terraform JSON."""
        if self._doc is None:
            data = _load(self.text, self.display)
            if not isinstance(data, dict):
                raise InputError(
                    "not Terraform JSON: the file must hold one object", self.display, 1, _HINT
                )
            if self.tfvars:
                self._doc = _without_comments(data)
            else:
                self._doc = {
                    key: _nest(value, _LABELS.get(key, 1))
                    for key, value in data.items()
                    if key != "//"
                }
        return self._doc

    def select(self, wanted: Callable[[str], bool]) -> dict[str, Any]:
        """Every block: a JSON file is converted whole (``wanted`` is for native HCL)."""
        return {k: v for k, v in self.whole().items() if isinstance(v, list)}

    def block_line(self, keyword: str, *labels: str) -> int | None:
        """The line of the block's innermost label, found key after key in the text."""
        end = self._block_start(keyword, *labels)
        return None if end is None else self.text.count("\n", 0, end) + 1

    def attribute_lines(self, keyword: str, *labels: str) -> dict[str, int]:
        """Lines of the block's attributes (the keys of its object), by name."""
        pos = self._block_start(keyword, *labels)
        if pos is None:
            return {}
        lines: dict[str, int] = {}
        depth = 0
        for m in _TOKEN.finditer(self.text, pos):
            token = m.group()
            if token in ("{", "["):
                depth += 1
            elif token in ("}", "]"):
                depth -= 1
                if depth <= 0:
                    break
            elif depth == 1 and m.group(2):
                name = json.loads(f'"{m.group(1)}"')
                lines.setdefault(name, self.text.count("\n", 0, m.start()) + 1)
        return lines

    def _block_start(self, keyword: str, *labels: str) -> int | None:
        pos = 0
        for key in (keyword, *labels):
            m = re.compile(rf"{re.escape(json.dumps(key))}\s*:").search(self.text, pos)
            if m is None:
                return None
            pos = m.end()
        return pos


#: A JSON string (a key when followed by a colon), or a bracket.
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?|[{}\[\]]')
