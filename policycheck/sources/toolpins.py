"""Command-line tool pins: which Terraform, OpenTofu or Vault release a repository runs.

Terraform 1.5.7 is MPL-2.0 and 1.6.0 on is BUSL-1.1, so the CLI version a repository
pins decides the license. Version managers read it from files of their own:

* ``.terraform-version`` (tfenv): the first line, a version (``1.5.7``) or a keyword
  (``latest``, ``min-required``, ``latest:^1.5``);
* ``.opentofu-version`` (tofuenv): the same for OpenTofu;
* ``.tool-versions`` (asdf, mise): ``terraform 1.5.7`` lines, one tool a line, the
  first version the one used; ``opentofu``, ``vault``, ``packer``, ``consul``,
  ``nomad``, ``boundary`` and ``waypoint`` lines too.

Terraform's own ``terraform { required_version = "..." }`` is read by the Terraform
source with the same rule (``cli_component``): an exact version is a release; a
constraint (``>= 1.3``, ``~> 1.5.0``) admits several releases, possibly under
different licenses, so it is unresolved (fail closed) with the reason.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

from packaging.version import Version

from policycheck.model import Component, Location
from policycheck.sources.interface import Source
from policycheck.versions import parse_version

ORIGIN = "cli-pin"
#: Version-manager files and the engine each pins.
_PIN_FILES = {".terraform-version": "terraform", ".opentofu-version": "opentofu"}
_TOOL_VERSIONS = ".tool-versions"
#: asdf/mise tool names that are catalogued engines.
TOOLS = {
    "terraform": "terraform",
    "opentofu": "opentofu",
    "tofu": "opentofu",
    "vault": "vault",
    "openbao": "openbao",
    "packer": "packer",
    "consul": "consul",
    "nomad": "nomad",
    "boundary": "boundary",
    "waypoint": "waypoint",
}
#: An exact Terraform version constraint: ``1.5.7``, ``= 1.5.7``, ``v1.5.7``.
_EXACT = re.compile(r"^\s*=?\s*(v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)\s*$")
_FLOATING = {"latest", "stable"}
_CONSTRAINT = re.compile(r"^(=|!=|>=|<=|>|<|~>)?\s*(v?\d+(?:\.\d+)*(?:-[0-9A-Za-z.]+)?)$")
_OPS: dict[str, Callable[[Version, Version], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_SHOWN = 200


def cli_component(engine: str, value: str, location: Location, setting: str) -> Component:
    """The component for a pinned CLI version ``value`` read from ``setting``.

    An exact version is the release; ``latest`` floats; anything else (a constraint, a
    keyword only the version manager can resolve) is unresolved with the reason.
    """
    text = value.strip()
    m = _EXACT.match(text)
    if m is not None and parse_version(m.group(1)) is not None:
        return Component(engine, m.group(1), location, origin=ORIGIN)
    if text.lower() in _FLOATING:
        return Component(engine, "latest", location, floating=True, origin=ORIGIN)
    if any(op in text for op in "<>~!,^") or text.startswith("="):
        why = (
            f"{setting} {text!r} is a version constraint, not a version: it admits several "
            f"releases; {admitted_licenses(engine, text)}; pin an exact version"
        )
    else:
        why = f"{setting} {text!r} is not a version that can be read without the version manager"
    return Component(engine, None, location, unresolved=why, origin=ORIGIN)


def constraint_bounds(text: str) -> list[tuple[str, Version]] | None:
    """Terraform's constraint syntax as plain comparisons; None when a part is unreadable.

    ``~> 1.5`` is ``>= 1.5, < 2.0`` and ``~> 1.5.0`` is ``>= 1.5.0, < 1.6.0`` (the
    rightmost number may grow); ``= 1.5.7`` and a bare version are exact.
    """
    bounds: list[tuple[str, Version]] = []
    for part in (p.strip() for p in text.split(",")):
        m = _CONSTRAINT.match(part)
        if m is None:
            return None
        op, number = m.group(1) or "=", m.group(2)
        version = parse_version(number)
        if version is None:
            return None
        if op != "~>":
            bounds.append(("==" if op == "=" else op, version))
            continue
        release = version.release
        if len(release) < 2:
            return None
        upper = (*release[:-2], release[-2] + 1)
        bounds += [(">=", version), ("<", Version(".".join(map(str, upper))))]
    return bounds


@lru_cache(maxsize=256)
def admitted_licenses(engine_id: str, text: str) -> str:
    """What the catalog says of the releases a constraint admits, for the reason
    (remembered: a module collection repeats the same ``required_version`` in every
    module)."""
    from policycheck.catalog import catalog

    engine = catalog().get(engine_id)
    bounds = constraint_bounds(text)
    if engine is None or bounds is None:
        return "the releases it admits are unknown"
    admitted = [
        release
        for release, _ in engine.releases
        if not release.version.is_prerelease
        and all(_OPS[op](release.version, bound) for op, bound in bounds)
    ]
    if not admitted:
        return f"it admits no catalogued {engine.name} release"
    licenses = sorted({r.license for rel in admitted if (r := engine.range_for(rel.version))})
    span = (
        f"{len(admitted)} catalogued releases, {admitted[0].canonical} to {admitted[-1].canonical}"
    )
    if len(licenses) == 1:
        return (
            f"every one of the {span}, is {licenses[0]}, and releases newer than the catalog "
            "may be admitted too"
        )
    return f"the {span}, carry different licenses ({' / '.join(licenses)})"


def tool_versions(text: str, display: str) -> Iterator[Component]:
    """One component per catalogued tool line of a ``.tool-versions`` file."""
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if len(words) < 2:
            continue
        engine = TOOLS.get(words[0].lower())
        if engine is None:
            continue
        location = Location(display, number, line.strip()[:_SHOWN])
        yield cli_component(engine, words[1], location, f"{_TOOL_VERSIONS} {words[0]}")


def pin_file(engine: str, name: str, text: str, display: str) -> Iterator[Component]:
    """The first non-empty, non-comment line of a tfenv or tofuenv version file."""
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if value:
            yield cli_component(engine, value, Location(display, number, value[:_SHOWN]), name)
            return


class ToolPinsSource(Source):
    """``.terraform-version``, ``.opentofu-version`` and ``.tool-versions`` files."""

    name = "tool-pins"
    priority = 10

    def may_claim(self, name: str) -> bool:
        """The name decides alone."""
        return name in _PIN_FILES or name == _TOOL_VERSIONS

    def claims(self, path: Path, head: bytes) -> bool:
        """Version-manager files by name."""
        return self.may_claim(path.name.lower())

    def worth_parsing(self, lowered: bytes) -> bool:
        """A pin file always names its tool; a .tool-versions file must name one."""
        return True

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """The pinned CLI versions of the file."""
        name = path.name.lower()
        if name == _TOOL_VERSIONS:
            yield from tool_versions(text, display)
        else:
            yield from pin_file(_PIN_FILES[name], name, text, display)


SOURCE = ToolPinsSource()
