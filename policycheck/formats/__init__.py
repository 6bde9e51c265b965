"""Output formats: one module per format, each defining ``FORMAT`` (a Formatter).

``all_formats()`` discovers them, so adding a format touches one file and one test.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from policycheck.formats.interface import Formatter


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
