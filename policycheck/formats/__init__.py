"""Output formats: one module per format, each defining ``FORMAT`` (a Formatter).

``all_formats()`` discovers them, so adding a format touches one file and one test.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from policycheck.formats.interface import Formatter

#: Each format's ``--format`` name and the module that defines it, so that the CLI can
#: offer the names and load the one asked for without importing every formatter (the
#: HTML and XML libraries) on every run; a test checks this against ``all_formats``.
FORMAT_MODULES: dict[str, str] = {
    "cyclonedx-json": "cyclonedx_json",
    "github": "github",
    "html": "html",
    "json": "json",
    "junit": "junit",
    "markdown": "markdown",
    "sarif": "sarif",
    "spdx": "spdx_tv",
    "spdx-json": "spdx_json",
    "text": "text",
}


def load_format(name: str) -> Formatter:
    """The formatter of ``--format`` name ``name``, importing only its module."""
    module = importlib.import_module(f"{__name__}.{FORMAT_MODULES[name]}")
    fmt: Formatter = module.FORMAT
    return fmt


@cache
def all_formats() -> dict[str, Formatter]:
    """Every format by its --format name, sorted by name."""
    found: dict[str, Formatter] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "interface" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        fmt = getattr(module, "FORMAT", None)
        if isinstance(fmt, Formatter):
            found[fmt.name] = fmt
    return dict(sorted(found.items()))
