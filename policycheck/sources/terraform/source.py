"""Terraform: Redis, Valkey and memcached run for you by AWS, Google Cloud and Azure.

A managed cache is declared by a resource (``aws_elasticache_replication_group``,
``google_redis_instance``, ...), by a call of a public module that creates one
(``terraform-aws-modules/elasticache/aws``), or by a call of a local module whose
folder does (``source = "../../"``). Which resource types and modules count, which
attribute or input names the engine and the version, and the defaults that apply
when one is unset, with their evidence, are data: ``licenses/terraform.yaml``.

Files are parsed with tree-sitter (``hcl``; ``*.tf.json`` with ``json_syntax``) and values
computed as ``terraform plan`` would for what the configuration itself decides
(``expressions``, ``config``): variables from ``.tfvars`` files and defaults, locals,
conditionals, ``count``. Anything only Terraform knows (data sources, resource
attributes, module outputs) leaves the engine or version unresolved with the reason,
never guessed; a ``null`` value is "not set", so the provider's or module's default
applies where one is recorded.

Local modules are followed into their folder, inside the scanned root only (never
through a symlink out of it), with the call's inputs: each resource they create is
reported at the call, with a note naming it. The module folder is also scanned on
its own, as a root module with its variables' defaults, so the same resource appears
twice when the folder is in the tree: once as the module would deploy with its
defaults, once per call with the call's inputs. Resources whose ``count`` or
``for_each`` is zero with the defaults are reported as disabled; at a call, a
resource the call's inputs switch off is not reported, as Terraform creates none.

A ``.tfvars`` file with no resources next to it (the input of a wrapper module such as
cloudposse's elasticache-redis) yields an ElastiCache component when it sets
``engine_version`` together with an ElastiCache parameter-group ``family``
(``redis7``, ``valkey8``, ``memcached1.6``) or an ``engine``. That is a heuristic: the
file alone does not prove which resource consumes the values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from policycheck.errors import InputError
from policycheck.model import Component, Location
from policycheck.sources.interface import Source, mentions_engine
from policycheck.sources.terraform.cli_version import required_versions
from policycheck.sources.terraform.config import (
    Call,
    ConfigFile,
    Declaration,
    Directory,
    Scope,
    config_file,
    declarations,
    is_cache_block,
    may_declare,
)
from policycheck.sources.terraform.expressions import (
    Known,
    Result,
    Unknown,
    as_text,
    expression_text,
    show,
)
from policycheck.sources.terraform.facts import (
    Deploy,
    ModuleFacts,
    Release,
    ResourceFacts,
    cite,
    facts,
    known_module,
    parse_constraint,
    parse_version,
)
from policycheck.sources.terraform.hcl import HclFile, hcl_file, warm_up
from policycheck.sources.terraform.json_syntax import TfJsonFile
from policycheck.sources.terraform.report import (
    ENGINES,
    ORIGIN,
    ProviderGate,
    Value,
    component,
    engine_result,
    instances,
    normalise,
    provider_name,
)

#: Module calls followed into one another before giving up.
MAX_MODULE_DEPTH = 16
_SUFFIXES = (".tf", ".tfvars", ".tf.json", ".tfvars.json")
#: Words that make a file worth parsing besides the engine names: MemoryDB, DocumentDB,
#: Elastic Cloud deployments, and
#: module calls whose folder may declare a cache.
_TERRAFORM_WORDS = (b"memorydb", b"memory-db", b"docdb", b"ec_deployment")
#: Engine words that name the CLI a configuration is written for (see ``worth_parsing``).
_CLI_WORDS = (b"terraform", b"opentofu")
_LOCAL_SOURCE = re.compile(rb"""source"?\s*[=:]\s*"\.\.?[/\\"]""")
_FAMILY = re.compile(r"^(redis|valkey|memcached)\d", re.IGNORECASE)
_ENGINE_WORD = re.compile(r"valkey|memcache|redis", re.IGNORECASE)
_CACHE_MODULE_WORD = re.compile(
    r"redis|valkey|memcache|elasticache|memorystore|memorydb|memory-db", re.IGNORECASE
)
#: Inputs that name a version in modules policycheck does not know.
_VERSION_INPUTS = (
    "engine_version",
    "redis_version",
    "major_engine_version",
    "memcache_version",
    "cache_engine_version",
)


def _is_cache(kind: str) -> bool:
    return kind in facts().resources


def _without_cli_words(lowered: bytes) -> bytes:
    """``lowered`` with the CLI's own names blanked, for the engine word test."""
    for word in _CLI_WORDS:
        if word in lowered:
            lowered = lowered.replace(word, b" ")
    return lowered


def _may_matter(block: str) -> bool:
    """Whether a top-level block's text could declare a cache: a cache resource, or a
    module call (which may lead to one); or the ``terraform`` block, which may pin the
    CLI version (``required_version``)."""
    return block.startswith(("module", "terraform")) or is_cache_block(block, _is_cache)


class TerraformSource(Source):
    """Managed caches declared in Terraform (``*.tf``, ``*.tf.json``) and ``*.tfvars``."""

    name = "terraform"
    priority = 10

    def claims(self, path: Path, head: bytes) -> bool:
        """Terraform files by name, in native or JSON syntax."""
        return path.name.lower().endswith(_SUFFIXES)

    def prepare(self) -> None:
        """Load the tree-sitter HCL language (about 10 ms) once, before workers fork."""
        super().prepare()
        warm_up()

    def may_claim(self, name: str) -> bool:
        """The name decides alone (lower-cased here, as ``claims`` is not)."""
        return name.endswith(_SUFFIXES)

    def worth_parsing(self, lowered: bytes) -> bool:
        """An engine word, MemoryDB, or a local module call (its folder may hold a cache).

        Terraform and OpenTofu are engine words too, but what names them in a ``.tf``
        file (a comment, a ``terraform`` block, a registry address) matters only beside
        ``required_version``, the one place a configuration pins the CLI, or beside an
        ``engine`` input of a module policycheck does not know (reported for review): a
        module collection's files name Terraform in every ``terraform`` block, and
        parsing each (tree-sitter reads HCL at about 2 MB/s) was most of its scan.
        """
        if any(word in lowered for word in _TERRAFORM_WORDS):
            return True
        if _LOCAL_SOURCE.search(lowered) is not None:
            return True
        if b"required_version" in lowered or b"engine" in lowered:
            return mentions_engine(lowered)
        return mentions_engine(_without_cli_words(lowered))

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """``collect_within`` the file's own folder: local modules elsewhere are not read."""
        return self.collect_within(path, text, display, path.parent)

    def collect_within(
        self, path: Path, text: str, display: str, root: Path
    ) -> Iterator[Component]:
        """Yield one provider-managed component per managed cache the file declares,
        directly or through the modules it calls (followed only inside ``root``)."""
        name = path.name.lower()
        if name.endswith((".tfvars", ".tfvars.json")):
            file = _parse(path, text, display)
            yield from _from_tfvars(path, text, display, file.whole(), root)
            return
        if not name.endswith(".json") and not _may_yield(text):
            return  # variables, outputs, other resources: parsing finds nothing to report
        scan = _Scan(root, path.parent, display, text)
        file = _parse(path, text, display)
        doc = file.select(_may_matter)
        scope = Scope(scan.directory(path.parent))
        yield from required_versions(doc, file, text, display)
        for declaration in declarations(doc, file, path, _is_cache):
            yield from scan.declared(declaration, scope, None, ())


def _may_yield(text: str) -> bool:
    """Whether a native-syntax file's text could hold what ``collect_within`` reports:
    a ``required_version``, a cache resource or a module call (see ``may_declare``).

    Module collections and stacks name their engine in every ``variables.tf`` and
    ``outputs.tf``; parsing those (tree-sitter reads HCL at about 3 MB/s) found nothing.
    As for a file that names no engine, a file skipped here is not checked for syntax.
    """
    return "required_version" in text or may_declare(text, _is_cache)


def _parse(path: Path, text: str, display: str) -> ConfigFile:
    """The scanned file, parsed once for itself and for the folder it is a sibling in."""
    if path.name.lower().endswith(".json"):
        return TfJsonFile(text, display, tfvars=path.name.lower().endswith(".tfvars.json"))
    sibling = hcl_file(path)
    if sibling is not None and sibling.text == text:
        return sibling.shown_as(display)
    return HclFile(text, display)


# -- where findings are reported ---------------------------------------------------------


@dataclass(frozen=True)
class _Site:
    """The module call, in the scanned file, that a finding is reported at."""

    call: Declaration
    chain: tuple[str, ...]  # module.a, module.b: the calls followed to get here
    #: Why every finding here is off by default (a call with count 0 at the root).
    disabled: str | None = None


class _Scan:
    """One file's scan: its text for locations, and the folders read so far."""

    def __init__(self, root: Path, folder: Path, display: str, text: str) -> None:
        self._root = root
        self._folder = folder
        self.display = display
        self.lines = text.splitlines()
        self._directories: dict[Path, Directory] = {}

    @cached_property
    def root(self) -> Path:
        """The folder the user named, symlinks resolved (only local modules need it)."""
        return Path(os.path.realpath(self._root))

    @cached_property
    def folder(self) -> Path:
        """The scanned file's folder, symlinks resolved: a module that calls it loops."""
        return Path(os.path.realpath(self._folder))

    def directory(self, path: Path) -> Directory:
        if path not in self._directories:
            self._directories[path] = Directory(path)
        return self._directories[path]

    def line_text(self, line: int | None) -> str | None:
        if line and 0 < line <= len(self.lines):
            return self.lines[line - 1].strip()
        return None

    def declared(
        self,
        declaration: Declaration,
        scope: Scope,
        site: _Site | None,
        stack: tuple[Path, ...],
    ) -> Iterator[Component]:
        if declaration.keyword == "module":
            yield from self.module_call(declaration, scope, site, stack)
        else:
            resource = facts().resources[declaration.kind]
            yield from self.resource(declaration, resource, scope, site)

    # resources

    def resource(
        self, declaration: Declaration, resource: ResourceFacts, scope: Scope, site: _Site | None
    ) -> Iterator[Component]:
        body = declaration.body
        off, notes = instances(body, scope, declaration.address)
        if off is not None and site is not None:
            return  # the call's inputs switch it off: Terraform creates none
        engine_raw = body.get(resource.engine.attribute) if resource.engine.attribute else None
        engine = engine_result(resource.engine, body, scope)
        for join in resource.joins:
            if join.attribute not in body:
                continue
            joined = scope.evaluate(body[join.attribute])
            if isinstance(joined, Known) and joined.value is None:
                continue
            what = expression_text(body[join.attribute])
            if isinstance(engine, Known) and engine.value is None:
                if join.member:
                    return
                engine = Unknown(f"{join.means} ({join.attribute} = {what})")
                engine_raw = None  # not an expression to show: the engine is unset
            elif isinstance(engine, Unknown):
                notes.append(f"{join.attribute} = {what}: if set, {join.means}")
        version_attr = resource.version.attribute
        version_raw = body.get(version_attr) if version_attr else None
        version = scope.evaluate(version_raw) if version_raw is not None else Known(None)
        if (
            site is None
            and isinstance(version_raw, int | float)
            and not isinstance(version_raw, bool)
        ):
            version = Known(self._number_as_written(declaration, version_attr, version_raw))
        gate = ProviderGate(scope, provider_name(declaration.kind, body, scope))
        where = declaration.address
        if site is None:
            line = declaration.attribute_lines.get(version_attr or "", declaration.line)
            location = Location(self.display, line, self.line_text(line))
            disabled = off
        else:
            module_file = _display_of(self.display, site.call, declaration)
            notes.insert(0, f"through {' → '.join(site.chain)}: {where} ({module_file})")
            location = self._call_location(site, version, engine)
            disabled = site.disabled
        yield component(
            resource,
            where,
            Value(engine, engine_raw, resource.engine.attribute or "engine"),
            Value(version, version_raw, version_attr or "version"),
            gate,
            location,
            notes,
            disabled,
        )

    def _number_as_written(self, declaration: Declaration, attribute: str | None, raw: Any) -> Any:
        """``7.10`` as written (a float says 7.1), when the scanned file holds it."""
        text = self.line_text(declaration.attribute_lines.get(attribute or "")) or ""
        m = re.match(rf"{re.escape(attribute or '')}\s*[=:]\s*([0-9.]+)", text)
        return m.group(1) if m else raw

    def _call_location(self, site: _Site, *results: Result) -> Location:
        line = next(
            (r.line for r in results if isinstance(r, Known) and r.line is not None),
            site.call.line,
        )
        return Location(self.display, line, self.line_text(line))

    # module calls

    def module_call(
        self,
        call: Declaration,
        scope: Scope,
        site: _Site | None,
        stack: tuple[Path, ...],
    ) -> Iterator[Component]:
        off, notes = instances(call.body, scope, call.address)
        if off is not None and site is not None:
            return
        source = call.body.get("source")
        if not isinstance(source, str):
            return
        here = _Site(call, (call.address,), off) if site is None else site
        if site is not None:
            here = replace(site, chain=(*site.chain, call.address))
        found: Iterator[Component]
        if source.startswith(("./", "../", ".\\", "..\\")) or source in (".", ".."):
            found = self.local_module(call, source, scope, here, stack)
        else:
            module = known_module(source)
            if module is not None:
                found = self.known_module_call(call, module.facts, module.ref, scope, here)
            else:
                found = self.unknown_module_call(call, source, scope, here)
        for each in found:
            yield replace(each, notes=(*each.notes, *notes)) if notes else each

    def local_module(
        self, call: Declaration, source: str, scope: Scope, site: _Site, stack: tuple[Path, ...]
    ) -> Iterator[Component]:
        target = Path(os.path.realpath(call.path.parent / source))
        if not target.is_relative_to(self.root):
            yield from self.outside(call, source, scope, site)
            return
        if target == self.folder or target in stack or len(stack) >= MAX_MODULE_DEPTH:
            return  # Terraform refuses a module that calls itself
        directory = self.directory(target)
        if not directory.has_configuration():
            return
        inputs = {k: v for k, v in call.body.items() if k not in _META_ARGUMENTS}
        inner = Scope(
            directory,
            Call(call.address, scope, inputs, call.attribute_lines, top=site.call is call),
        )
        for declaration in directory.declarations(_is_cache):
            yield from self.declared(declaration, inner, site, (*stack, target))

    def outside(
        self, call: Declaration, source: str, scope: Scope, site: _Site
    ) -> Iterator[Component]:
        """A local module outside the scanned root: reported when it looks like a cache."""
        if not _looks_like_cache(call, source):
            return
        found = next(self.unknown_module_call(call, source, scope, site), None)
        if found is not None:
            yield replace(
                found,
                version=None,
                unresolved=f"{call.address}: its source {source} is outside the scanned "
                "folder; scan the folder that holds both to follow it",
            )

    def known_module_call(
        self,
        call: Declaration,
        module: ModuleFacts,
        ref: str | None,
        scope: Scope,
        site: _Site,
    ) -> Iterator[Component]:
        constraint = call.body.get("version")
        release: Release | None
        pinned = ""
        if ref is not None:
            pinned = f" at ref {ref}"
            exact = parse_constraint(f"= {ref}") if parse_version(ref) is not None else None
            release = module.release(exact) if exact is not None else None
        elif isinstance(constraint, str):
            pinned = f" (version {constraint})"
            wanted = parse_constraint(constraint)
            release = module.release(wanted) if wanted is not None else None
        else:
            release = module.release(None)
        label = f"module {module.address}{pinned}"
        top = site.call is call

        def given(name: str | None) -> Result:
            if name is None:
                return Known(None)
            if name in call.body:
                result = scope.evaluate(call.body[name])
                line = call.attribute_lines.get(name) if top else None
                if isinstance(result, Known):
                    return replace(result, line=line or result.line)
                return result
            if release is None:
                return Unknown(
                    f"the defaults of {label} are not known here (policycheck records them "
                    "for versions " + "; ".join(r.versions for r in module.releases) + ")"
                )
            value = release.inputs.get(name)
            return Known(value, (f"{name} = {show(value)} by default in {cite(release.evidence)}",))

        for key, value in module.off_when.items():
            result = given(key)
            if isinstance(result, Known) and result.value == value:
                return
        # without the release's defaults, the module's first (default) deployment stands
        # for all: which one the inputs select is as unknown as its engine
        for deploy in module.deploys if release is not None else module.deploys[:1]:
            conditions = [(key, given(key), value) for key, value in deploy.when.items()]
            if any(isinstance(r, Known) and r.value != v for _, r, v in conditions):
                continue
            notes = [f"through {' → '.join(site.chain)}: {label} creates {deploy.resource}"]
            notes += [
                f"{key} is unknown here ({r.why}): reported as if it were {show(v)}"
                for key, r, v in conditions
                if isinstance(r, Unknown)
            ]
            if release is not None:
                notes.append(f"module defaults from {cite(release.evidence)}")
            yield self._deployed(call, deploy, given, release, scope, site, notes)

    def _deployed(
        self,
        call: Declaration,
        deploy: Deploy,
        given: Callable[[str | None], Result],
        release: Release | None,
        scope: Scope,
        site: _Site,
        notes: list[str],
    ) -> Component:
        resource = facts().resources[deploy.resource]
        if resource.engine.value is not None:
            engine: Result = Known(resource.engine.value)
        else:
            engine = given(deploy.engine_input)
        version = given(deploy.version_input)
        provider = deploy.provider or deploy.resource.split("_")[0]
        extra = dict(release.providers) if release is not None else {}
        gate = ProviderGate(scope, provider, extra.get(provider))
        location = self._call_location(site, version, engine)
        return component(
            resource,
            call.address,
            Value(
                engine, call.body.get(deploy.engine_input or ""), deploy.engine_input or "engine"
            ),
            Value(
                version,
                call.body.get(deploy.version_input or ""),
                deploy.version_input or "version",
            ),
            gate,
            location,
            notes,
            site.disabled,
        )

    def unknown_module_call(
        self, call: Declaration, source: str, scope: Scope, site: _Site
    ) -> Iterator[Component]:
        """A module policycheck does not know, whose name or inputs say it is a cache."""
        if not _looks_like_cache(call, source):
            return
        top = site.call is call
        notes = [
            f"through {' → '.join(site.chain)}: module {source} is not one policycheck "
            "knows; engine and version come from its inputs or its name"
        ]
        engine: Result
        if "engine" in call.body:
            engine = scope.evaluate(call.body["engine"])
        else:
            named = {m.group().lower() for m in _ENGINE_WORD.finditer(source)}
            named = {"memcached" if w == "memcache" else w for w in named}
            if len(named) == 1:
                engine = Known(named.pop(), (f"engine taken from the module's name {source}",))
            else:
                engine = Unknown(
                    f"the module {source} is not one policycheck knows and its call sets no engine"
                )
        version_input = next((k for k in _VERSION_INPUTS if k in call.body), None)
        if version_input is not None:
            version = scope.evaluate(call.body[version_input])
            if isinstance(version, Known) and top:
                version = replace(version, line=call.attribute_lines.get(version_input))
        else:
            version = Unknown(
                f"the module {source} is not one policycheck knows: its default version is unknown"
            )
        resource = _guess_resource(source)
        location = self._call_location(site, version, engine)
        yield component(
            resource,
            call.address,
            Value(engine, call.body.get("engine"), "engine"),
            Value(version, call.body.get(version_input or ""), version_input or "version"),
            ProviderGate(scope, ""),
            location,
            notes,
            site.disabled,
        )


_META_ARGUMENTS = frozenset(
    {"source", "version", "count", "for_each", "providers", "depends_on", "lifecycle"}
)


def _display_of(display: str, call: Declaration, declaration: Declaration) -> str:
    """Where a module's resource is written, relative to how the scanned file is shown."""
    try:
        relative = os.path.relpath(declaration.path, call.path.parent)
    except ValueError:
        relative = declaration.path.name
    shown = os.path.normpath(os.path.join(os.path.dirname(display), relative))
    return f"{shown}:{declaration.line}" if declaration.line else shown


def _looks_like_cache(call: Declaration, source: str) -> bool:
    return _CACHE_MODULE_WORD.search(source) is not None or any(
        key in call.body for key in ("engine", *_VERSION_INPUTS)
    )


def _guess_resource(source: str) -> ResourceFacts:
    """The resource type an unknown module most likely creates, for its provider."""
    lowered = source.lower()
    resources = facts().resources
    if "memorydb" in lowered or "memory-db" in lowered:
        kind = "aws_memorydb_cluster"
    elif "memorystore" in lowered or lowered.endswith("/google"):
        kind = "google_redis_instance"
    elif "azurerm" in lowered or "azure" in lowered:
        kind = "azurerm_redis_cache"
    else:
        kind = "aws_elasticache_replication_group"
    resource = resources[kind]
    engine = replace(resource.engine, default=None, unset="the call sets no engine")
    version = replace(resource.version, default=None)
    if "elasticache" not in lowered and not any(
        w in lowered for w in ("memorydb", "memory-db", "memorystore", "azure", "/aws", "/google")
    ):
        return replace(resource, provider="", engine=engine, version=version)
    return replace(resource, engine=engine, version=version)


# -- standalone .tfvars ----------------------------------------------------------------


def _from_tfvars(
    path: Path, text: str, display: str, doc: dict[str, Any], root: Path
) -> Iterator[Component]:
    """The wrapper-module heuristic for a .tfvars file (see the module docstring)."""
    if "engine_version" not in doc or _directory_declares_caches(path.parent, root):
        return
    engine = _tfvars_engine(doc)
    if engine is None:
        return
    line = _top_level_line(text, "engine_version")
    location = Location(display, line, _line(text, line))
    raw = doc["engine_version"]
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        m = re.match(r"\"?engine_version\"?\s*[=:]\s*([0-9.]+)", _line(text, line) or "")
        version: str | None = m.group(1) if m else as_text(raw)
    else:
        version = raw if isinstance(raw, str) and "${" not in raw else None
    if version is None:
        yield Component(
            engine,
            None,
            location,
            unresolved=f"engine_version {show(raw)} is not a literal version",
            provider="aws-elasticache",
            origin=ORIGIN,
        )
        return
    version = normalise(version, "elasticache")
    yield Component(
        engine,
        version,
        location,
        floating=version.count(".") < 2,
        provider="aws-elasticache",
        origin=ORIGIN,
    )


def _line(text: str, line: int | None) -> str | None:
    lines = text.splitlines()
    return lines[line - 1].strip() if line and 0 < line <= len(lines) else None


def _tfvars_engine(doc: dict[str, Any]) -> str | None:
    engine = doc.get("engine")
    if isinstance(engine, str) and engine.strip().lower() in ENGINES:
        return engine.strip().lower()
    family = doc.get("family")
    m = _FAMILY.match(family) if isinstance(family, str) else None
    return m.group(1).lower() if m else None


def _top_level_line(text: str, attribute: str) -> int | None:
    m = re.search(rf'^"?{re.escape(attribute)}"?\s*[=:]', text, re.MULTILINE)
    if m is None:
        m = re.search(rf'^\s*"{re.escape(attribute)}"\s*:', text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _directory_declares_caches(directory: Path, root: Path) -> bool:
    """Whether a Terraform file beside the tfvars declares a cache, which reports it."""
    for path in sorted(directory.glob("*.tf")) + sorted(directory.glob("*.tf.json")):
        file = config_file(path)
        if file is None or path.is_symlink():
            continue
        try:
            text = path.read_text("utf-8-sig")
            found = next(SOURCE.collect_within(path, text, str(path), root), None)
        except (InputError, OSError, UnicodeDecodeError):
            continue
        if found is not None:
            return True
    return False


SOURCE = TerraformSource()
