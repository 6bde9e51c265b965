"""Sources: one module per kind of input file, each behind the Source interface.

A module becomes a source by defining ``SOURCE`` (an instance of a Source subclass);
``all_sources()`` finds them, so adding a manifest kind touches one file and one test.
A kind that outgrows one module gets a folder (``terraform/``, ``helm/``, ``ci/``,
``builds/``): its source modules are found inside it the same way, beside the helpers
that only it uses, so a folder may hold more than one source (Helm's values files and
Chart.yaml). Modules whose name starts with ``_`` are helpers shared across kinds and
are never searched.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from policycheck.sources.interface import Source


@cache
def all_sources() -> tuple[Source, ...]:
    """Every source module's SOURCE, most specific first (by ``priority``, then name).

    Modules are searched in every folder below this one; a source found twice (a
    package that also names a SOURCE of one of its modules) counts once.
    """
    found: dict[int, Source] = {}
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        parts = info.name.removeprefix(f"{__name__}.").split(".")
        if parts == ["interface"] or any(part.startswith("_") for part in parts):
            continue
        module = importlib.import_module(info.name)
        source = getattr(module, "SOURCE", None)
        if isinstance(source, Source):
            found[id(source)] = source
    return tuple(sorted(found.values(), key=lambda s: (s.priority, s.name)))
