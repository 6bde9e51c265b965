"""``policycheck identify``: which license a license file is, and what the policy says.

``match`` recognises license texts by short phrases (no texts are shipped), ``busl``
reads the parameters of Business Source License texts, ``judge`` evaluates the result
like a catalogued release, ``spdx_list`` knows every SPDX License List id by name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policycheck.errors import InputError
from policycheck.identify.judge import Identified, identify_path, no_license_file
from policycheck.policy import Policy

#: Version of the ``identify`` JSON output (``schemas/identify.schema.json``).
SCHEMA_VERSION = "1.0"

#: License files in a folder: LICENSE, LICENCE, COPYING, and BSL/BUSL (CockroachDB keeps
#: its BUSL text in ``licenses/BSL.txt``), any case, any extension.
LICENSE_FILE = re.compile(r"^(licen[sc]e|copying|bu?sl)([._-][\w.-]*)?$", re.IGNORECASE)

#: Source files named like license files (``license.go``) are code, not license texts.
CODE_SUFFIXES = frozenset(
    {".go", ".py", ".js", ".ts", ".rs", ".java", ".c", ".h", ".cc", ".rb", ".sh", ".json", ".yaml"}
)

#: A license file larger than this is not a license text.
MAX_BYTES = 4 << 20


def license_files(paths: list[str]) -> Iterator[tuple[Path | None, str]]:
    """(file, display) for every license file the paths name; (None, folder) for a folder
    that holds none. Raises InputError for a path that does not exist."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and LICENSE_FILE.match(p.name)
                and p.suffix.lower() not in CODE_SUFFIXES
            )
            if not found:
                yield None, name
            for p in found:
                yield p, str(Path(name) / p.name)
        elif path.is_file():
            yield path, name
        else:
            raise InputError(
                "no such file or folder", name, hint="name a license file or a folder holding one"
            )


def identify_all(paths: list[str], policy: Policy, as_of: dt.date) -> list[Identified]:
    """Identify every license file the paths name, in the order given."""
    results: list[Identified] = []
    for path, display in license_files(paths):
        if path is None:
            results.append(no_license_file(display))
            continue
        if path.stat().st_size > MAX_BYTES:
            raise InputError(
                f"larger than {MAX_BYTES >> 20} MiB: not a license text",
                display,
                hint="name the license file itself",
            )
        results.append(identify_path(path, display, policy, as_of))
    return results


def to_json(results: list[Identified], policy: Policy, as_of: dt.date) -> dict[str, Any]:
    """The ``identify`` JSON document."""
    return {
        "schema_version": SCHEMA_VERSION,
        "policy": policy.name,
        "uses": [u.value for u in policy.uses],
        "as_of": as_of.isoformat(),
        "results": [r.to_json() for r in results],
    }


def render_text(results: list[Identified]) -> str:
    """Plain text: per file the license, confidence, verdict, BUSL terms and why."""
    out: list[str] = []
    for r in results:
        f = r.finding
        head = f"{r.path}: {r.license or 'not identified'}"
        if r.license:
            head += f" (confidence {r.confidence:.2f})"
        out.append(f"{head} -> {f.verdict}")
        if r.busl is not None:
            b = r.busl
            when = b.change_date.isoformat() if b.change_date else repr(b.change_date_text)
            out.append(
                f"  BUSL: licensor {b.licensor}; licensed work {b.licensed_work}; "
                f"Change Date {when}; Change License {b.change_license or b.change_license_text}; "
                f"anniversary {b.anniversary_years} years"
            )
        if f.converts:
            out.append(f"  converts to {f.converts['to']} on {f.converts['date']}")
        out.extend(f"  - {line}" for line in f.rationale)
        out.extend(f"  confirm: {c}" for c in f.confirm)
    return "\n".join(out) + "\n"
