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

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from policycheck.model import Component, Location
from policycheck.sources.interface import Source
from policycheck.sources.terraform.facts import parse_constraint
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


def _three(numbers: tuple[int, ...]) -> tuple[int, int, int]:
    """A release's numbers as major, minor, patch (missing ones 0), as constraints read."""
    padded = (*numbers, 0, 0)
    return padded[0], padded[1], padded[2]


@lru_cache(maxsize=256)
def admitted_licenses(engine_id: str, text: str) -> str:
    """What the catalog says of the releases a constraint admits, for the reason
    (remembered: a module collection repeats the same ``required_version`` in every
    module)."""
    from policycheck.catalog import catalog

    engine = catalog().get(engine_id)
    interval = parse_constraint(text)
    if engine is None or interval is None:
        return "the releases it admits are unknown"
    admitted = [
        release
        for release, _ in engine.releases
        if not release.version.is_prerelease and interval.admits(_three(release.version.release))
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
