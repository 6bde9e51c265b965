"""Terraform configuration: module folders, and the values of one module instance.

A ``Directory`` is one folder's ``.tf``/``.tf.json`` files, read on demand (only the
blocks a question needs are converted, see ``hcl``). A ``Scope`` is one instance of
that module: the root module of a scan, whose variables come from its ``.tfvars``
files and defaults as ``terraform plan`` would load them, or a module called from
another scope, whose variables come from the call's inputs (evaluated in the caller)
and its own defaults. ``Scope.evaluate`` computes values with ``expressions``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from policycheck.errors import InputError
from policycheck.sources.terraform.expressions import (
    Known,
    Result,
    Unknown,
    evaluate,
    expression_text,
    show,
)
from policycheck.sources.terraform.hcl import HclFile, hcl_file
from policycheck.sources.terraform.json_syntax import TfJsonFile

ConfigFile = HclFile | TfJsonFile
_LOCALS = re.compile(r"^\s*locals\s*\{", re.MULTILINE)
#: ``locals {`` anywhere: looser than _LOCALS, and searched for its literal first, so a
#: file's whole text is tested at memory speed before any of it is parsed.
_LOCALS_ANYWHERE = re.compile(r"locals\s*\{")
_TERRAFORM = re.compile(r"^\s*terraform\s*\{", re.MULTILINE)
#: ``variable "name" {`` when ``name`` is known; compiled per name on first use. A file
#: is tested with it as it is (it opens with a literal, which Python searches for
#: first); a block's text, with a word boundary before it.
_DECLARES_VARIABLE = 'variable\\s+"?{name}"?\\s*\\{{'
_VARIABLE = "\\b" + _DECLARES_VARIABLE
_MISSING = object()
_RESOURCE_TYPE = re.compile(r'resource\s+"?([\w-]+)')
_MODULE_WORD = re.compile(r"module(?![\w.-])")


def config_file(path: Path) -> ConfigFile | None:
    """The file at ``path`` (HCL or JSON syntax), read once per version; None if unreadable."""
    if path.name.endswith(".json"):
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None
        return TfJsonFile(text, str(path), tfvars=path.name.endswith(".tfvars.json"))
    return hcl_file(path)


def _siblings(directory: Path, *suffixes: str) -> list[Path]:
    """Regular files (not symlinks) of ``directory`` with one of ``suffixes``, sorted."""
    try:
        return sorted(
            p
            for p in directory.iterdir()
            if p.name.endswith(suffixes) and p.is_file() and not p.is_symlink()
        )
    except OSError:
        return []


@dataclass(frozen=True)
class Variable:
    """A ``variable`` block: its default (if it has one) and ``nullable``."""

    has_default: bool
    default: Any
    nullable: bool


@dataclass(frozen=True)
class Declaration:
    """A ``resource`` or ``module`` block, with where it is written."""

    keyword: str  # "resource" or "module"
    kind: str  # the resource type, or "module"
    name: str
    body: dict[str, Any]
    path: Path
    line: int | None
    attribute_lines: dict[str, int]

    @property
    def address(self) -> str:
        return f"module.{self.name}" if self.keyword == "module" else f"{self.kind}.{self.name}"


def declarations(
    doc: dict[str, Any], file: ConfigFile, path: Path, is_cache: Callable[[str], bool]
) -> Iterator[Declaration]:
    """Cache resources (``is_cache`` by type) and module calls of one file's document."""
    for entry in _as_list(doc.get("resource")):
        for kind, named in _items(entry):
            if not is_cache(kind):
                continue
            for name, body in _items(named):
                if isinstance(body, dict):
                    yield Declaration(
                        "resource",
                        kind,
                        name,
                        body,
                        path,
                        file.block_line("resource", kind, name),
                        file.attribute_lines("resource", kind, name),
                    )
    for entry in _as_list(doc.get("module")):
        for name, body in _items(entry):
            if isinstance(body, dict):
                yield Declaration(
                    "module",
                    "module",
                    name,
                    body,
                    path,
                    file.block_line("module", name),
                    file.attribute_lines("module", name),
                )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _items(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


class Directory:
    """The configuration files of one folder, read on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: Files that failed to parse, by name: named when a value is missing.
        self.broken: dict[str, InputError] = {}
        self._files: list[tuple[Path, ConfigFile]] | None = None
        self._locals: dict[str, Any] | None = None
        self._variables: dict[str, Variable | None] = {}
        self._tfvars: tuple[dict[str, tuple[Any, str]], dict[str, list[tuple[Any, str]]]] | None
        self._tfvars = None

    def files(self) -> list[tuple[Path, ConfigFile]]:
        if self._files is None:
            self._files = []
            for path in _siblings(self.path, ".tf", ".tf.json"):
                file = config_file(path)
                if file is not None:
                    self._files.append((path, file))
        return self._files

    def has_configuration(self) -> bool:
        return bool(self.files())

    def select(
        self, wanted: Callable[[str], bool], may_hold: Callable[[str], bool] | None = None
    ) -> Iterator[tuple[Path, ConfigFile, dict]]:
        """The wanted blocks of every file, in lexical order; broken files are noted.

        ``may_hold`` tests a native-syntax file's whole text first: a file whose text
        cannot hold a wanted block (it lacks the variable's name, or ``module`` and
        every cache type) is not parsed for it. A called module's ``variables.tf``
        holds no module call, and parsing it was most of following the call.
        """
        for path, file in self.files():
            if may_hold is not None and isinstance(file, HclFile) and not may_hold(file.text):
                continue
            try:
                yield path, file, file.select(wanted)
            except InputError as exc:
                self.broken[path.name] = exc

    def broken_note(self) -> str:
        if not self.broken:
            return ""
        name, exc = sorted(self.broken.items())[0]
        where = f"{name}:{exc.line}" if exc.line else name
        return f" ({where} could not be parsed: {exc.message})"

    def variable(self, name: str) -> Variable | None:
        """Variable ``name``'s declaration (the last one, files in lexical order)."""
        if name not in self._variables:
            found: Variable | None = None
            pattern = re.compile(_VARIABLE.format(name=re.escape(name)))

            def declares(block: str) -> bool:
                return block.startswith("variable") and pattern.match(block) is not None

            # A block ``declares`` accepts starts with a match of the pattern, so a file
            # without one (tested less strictly, but fast) holds none and is not parsed.
            in_file = re.compile(_DECLARES_VARIABLE.format(name=re.escape(name)))
            for _, _, doc in self.select(declares, lambda text: in_file.search(text) is not None):
                for entry in _as_list(doc.get("variable")):
                    body = dict(_items(entry)).get(name)
                    if isinstance(body, dict):
                        found = Variable(
                            "default" in body,
                            body.get("default"),
                            body.get("nullable") is not False,
                        )
            self._variables[name] = found
        return self._variables[name]

    def locals(self) -> dict[str, Any]:
        """Every ``locals`` value of the folder, read the first time one is needed."""
        if self._locals is None:
            self._locals = {}
            for _, _, doc in self.select(
                lambda block: _LOCALS.search(block) is not None,
                lambda text: _LOCALS_ANYWHERE.search(text) is not None,
            ):
                for entry in _as_list(doc.get("locals")):
                    self._locals.update(dict(_items(entry)))
        return self._locals

    def declarations(self, is_cache: Callable[[str], bool]) -> Iterator[Declaration]:
        """Every cache resource and module call of the folder (a called module's)."""
        for path, file, doc in self.select(
            lambda block: block.startswith("module") or is_cache_block(block, is_cache),
            lambda text: may_declare(text, is_cache),
        ):
            yield from declarations(doc, file, path, is_cache)

    def required_provider(self, name: str) -> list[str]:
        """The version constraints ``terraform { required_providers }`` gives ``name``."""
        found: list[str] = []
        for _, _, doc in self.select(
            lambda block: _TERRAFORM.search(block) is not None,
            lambda text: "required_providers" in text and name in text,
        ):
            for terraform in _as_list(doc.get("terraform")):
                for providers in _as_list(terraform.get("required_providers")):
                    spec = providers.get(name) if isinstance(providers, dict) else None
                    version = spec.get("version") if isinstance(spec, dict) else None
                    if isinstance(version, str):
                        found.append(version)
        return found

    def locked_provider(self, name: str) -> str | None:
        """The provider version ``.terraform.lock.hcl`` records (hashicorp/``name``)."""
        path = self.path / ".terraform.lock.hcl"
        if not path.is_file() or path.is_symlink():
            return None
        file = hcl_file(path)
        if file is None:
            return None
        try:
            doc = file.select(lambda block: f'hashicorp/{name}"' in block)
        except InputError:
            return None
        for entry in _as_list(doc.get("provider")):
            for address, body in _items(entry):
                if address.endswith(f"/hashicorp/{name}") and isinstance(body, dict):
                    version = body.get("version")
                    return version if isinstance(version, str) else None
        return None

    def tfvars(self) -> tuple[dict[str, tuple[Any, str]], dict[str, list[tuple[Any, str]]]]:
        """Auto-loaded values (later files win) and values only a -var-file would load."""
        if self._tfvars is None:
            auto: dict[str, tuple[Any, str]] = {}
            var_files: dict[str, list[tuple[Any, str]]] = {}
            files = _siblings(self.path, ".tfvars", ".tfvars.json")
            names = ("terraform.tfvars", "terraform.tfvars.json")
            auto_files = [p for p in files if p.name in names]
            auto_files += [
                p for p in files if p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
            ]
            for path in auto_files:
                for key, value in _load(path).items():
                    auto[key] = (value, path.name)
            for path in files:
                if path not in auto_files:
                    for key, value in _load(path).items():
                        var_files.setdefault(key, []).append((value, path.name))
            self._tfvars = (auto, var_files)
        return self._tfvars


def may_declare(text: str, is_cache: Callable[[str], bool]) -> bool:
    """Whether a native-syntax file's text could hold a module call or a resource of a
    cache type; a file that cannot is not parsed for them.

    A ``module`` block's keyword starts its line (after blanks, or a block comment):
    the word elsewhere is a ``module.name`` reference or prose (outputs, descriptions),
    and a stack's files are full of both. Line breaks are counted as HCL counts them.
    """
    for m in _MODULE_WORD.finditer(text):
        start = m.start()
        line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
        before = text[line_start:start].strip()
        if not before or before.endswith("*/"):
            return True
    return any(is_cache(m.group(1)) for m in _RESOURCE_TYPE.finditer(text))


def is_cache_block(block: str, is_cache: Callable[[str], bool]) -> bool:
    """Whether a top-level block's text is a resource of a cache type."""
    if not block.startswith("resource"):
        return False  # most blocks (variables, outputs) are decided here
    m = _RESOURCE_TYPE.match(block)
    return m is not None and is_cache(m.group(1))


def _load(path: Path) -> dict[str, Any]:
    """A whole ``.tfvars`` file, or nothing when unreadable or broken (the walker
    reports a broken file on its own)."""
    file = config_file(path)
    if file is None:
        return {}
    try:
        return file.whole()
    except InputError:
        return {}


# -- module instances --------------------------------------------------------------------


@dataclass
class Call:
    """A module block that instantiates a module: its inputs, in the caller's scope."""

    label: str  # module.cache
    caller: Scope
    inputs: dict[str, Any]
    input_lines: dict[str, int]
    top: bool  # written in the scanned file: its lines locate findings


@dataclass
class Scope:
    """One module instance: where its ``var.`` and ``local.`` values come from."""

    directory: Directory
    call: Call | None = None
    _memo: dict[tuple[str, str], Result] = field(default_factory=dict)

    def evaluate(self, raw: Any, depth: int = 0) -> Result:
        return evaluate(raw, self, depth)

    @property
    def chain(self) -> list[Scope]:
        """This scope and its callers, innermost first."""
        scopes: list[Scope] = [self]
        while scopes[-1].call is not None:
            scopes.append(scopes[-1].call.caller)
        return scopes

    def variable(self, name: str, depth: int) -> Result:
        return self._remember("var", name, depth, self._variable)

    def local(self, name: str, depth: int) -> Result:
        return self._remember("local", name, depth, self._local)

    def _remember(
        self, kind: str, name: str, depth: int, compute: Callable[[str, int], Result]
    ) -> Result:
        key = (kind, name)
        if key not in self._memo:
            self._memo[key] = Unknown(f"{kind}.{name} refers to itself through other values")
            self._memo[key] = compute(name, depth)
        return self._memo[key]

    def _local(self, name: str, depth: int) -> Result:
        raw = self.directory.locals().get(name, _MISSING)
        if raw is _MISSING:
            return Unknown(
                f"local value local.{name} is not defined in this directory"
                + self.directory.broken_note()
            )
        inner = evaluate(raw, self, depth + 1)
        return (
            replace(inner, via=(f"local.{name}", *inner.via)) if isinstance(inner, Known) else inner
        )

    def _variable(self, name: str, depth: int) -> Result:
        if self.call is not None:
            return self._input(self.call, name, depth)
        auto, var_files = self.directory.tfvars()
        if name in auto:
            raw, origin = auto[name]
        elif name in var_files:
            choices = var_files[name]
            distinct = {json.dumps(v, sort_keys=True, default=str) for v, _ in choices}
            if len(distinct) > 1:
                files = ", ".join(sorted(f for _, f in choices))
                return Unknown(f"variable {name} is set to different values in {files} (-var-file)")
            raw, origin = choices[0]
        else:
            declared = self.directory.variable(name)
            if declared is None or not declared.has_default:
                return Unknown(
                    f"variable {name} has no default and no .tfvars file in this directory "
                    "sets it" + self.directory.broken_note()
                )
            raw, origin = declared.default, "its default"
        inner = evaluate(raw, self, depth + 1)
        if isinstance(inner, Unknown):
            return inner
        return replace(inner, via=(f"var.{name} from {origin}", *inner.via))

    def _input(self, call: Call, name: str, depth: int) -> Result:
        """``var.name`` of a called module: the call's input, else the default."""
        declared = self.directory.variable(name)
        if name in call.inputs:
            result = call.caller.evaluate(call.inputs[name], depth + 1)
            use_default = (
                isinstance(result, Known)
                and result.value is None
                and declared is not None
                and declared.has_default
                and not declared.nullable
            )
            if not use_default:
                if isinstance(result, Unknown):
                    given = expression_text(call.inputs[name])
                    return replace(result, why=f"{call.label} sets {name} = {given}: {result.why}")
                if call.top:  # the finding is reported at this input's line
                    return replace(result, line=call.input_lines.get(name))
                return replace(result, via=(f"var.{name} from {call.label}", *result.via))
        if declared is None:
            return Unknown(f"{call.label} calls a module that declares no variable {name}")
        if not declared.has_default:
            return Unknown(f"{call.label} does not set {name}, which has no default")
        inner = evaluate(declared.default, self, depth + 1)
        if isinstance(inner, Unknown):
            return inner
        return replace(inner, via=(f"var.{name} defaults to {show(inner.value)} in the module",))
