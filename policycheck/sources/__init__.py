"""Sources: one module per kind of input file, each behind the Source interface.

A module becomes a source by defining ``SOURCE`` (an instance of a Source subclass);
``all_sources()`` finds them, so adding a manifest kind touches one file and one test.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from policycheck.sources.interface import Source


@cache
def all_sources() -> tuple[Source, ...]:
    """Every source module's SOURCE, most specific first (by ``priority``, then name)."""
    found: list[Source] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name in ("interface",) or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        source = getattr(module, "SOURCE", None)
        if isinstance(source, Source):
            found.append(source)
    return tuple(sorted(found, key=lambda s: (s.priority, s.name)))
