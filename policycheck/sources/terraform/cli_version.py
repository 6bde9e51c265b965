"""``terraform { required_version = "..." }``: the Terraform CLI a configuration pins.

Terraform 1.5.7 is MPL-2.0 and 1.6.0 on is BUSL-1.1, so an exact pin decides the
license of the CLI that runs the configuration; a constraint (``>= 1.3``) does not
(see ``sources.toolpins.cli_component``). OpenTofu reads the same setting, so the
finding says so: running the configuration with OpenTofu is the way out of BUSL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from policycheck.model import Component, Location
from policycheck.sources.terraform.config import ConfigFile
from policycheck.sources.toolpins import cli_component

SETTING = "required_version"
NOTE = (
    "required_version pins the Terraform CLI that may run this configuration; OpenTofu "
    "reads the same setting, so running it with OpenTofu (MPL-2.0) avoids the BUSL."
)


def required_versions(
    doc: dict[str, Any], file: ConfigFile, text: str, display: str
) -> Iterator[Component]:
    """One component per ``terraform`` block that sets ``required_version``.

    A value that is not a plain string (an expression) cannot be a version: Terraform
    itself only accepts a literal there, so it is reported unresolved.
    """
    blocks = doc.get("terraform")
    for body in blocks if isinstance(blocks, list) else [blocks]:
        if not isinstance(body, dict) or SETTING not in body:
            continue
        value = body[SETTING]
        line = file.attribute_lines("terraform").get(SETTING) or file.block_line("terraform")
        shown = _line(text, line)
        location = Location(display, line or 1, shown or f"{SETTING} = {value!r}")
        if isinstance(value, str) and "${" not in value:
            component = cli_component("terraform", value, location, SETTING)
        else:
            component = Component(
                "terraform",
                None,
                location,
                unresolved=f"{SETTING} is not a literal string ({value!r})",
                origin="cli-pin",
            )
        yield replace(component, notes=(*component.notes, NOTE))


def _line(text: str, line: int | None) -> str | None:
    if line is None:
        return None
    lines = text.splitlines()
    return lines[line - 1].strip()[:200] if 0 < line <= len(lines) else None
