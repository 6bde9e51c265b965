"""What every report says about itself, in every format.

A sign-off report is filed and read later by people who did not run it; it must say
plainly what it is and what it is not, and which data it was judged by.
"""

from __future__ import annotations

import hashlib
from functools import cache

from policycheck.data import data_dir
from policycheck.yamlload import load_file

DISCLAIMER = (
    "Not legal advice. policycheck applies the organization's policy to recorded license "
    "facts (each with its evidence) for the declared uses; a verdict is only as right as "
    "those facts, the declared uses and the policy. Have counsel confirm the listed "
    "statements before relying on a verdict."
)

#: The same in one line, for formats read in a terminal or a CI log.
SHORT_DISCLAIMER = (
    "Not legal advice: verdicts apply the policy to recorded license facts for the declared uses."
)


@cache
def catalog_identity() -> dict[str, str]:
    """The bundled data's version and a sha256 over every file of it, in path order."""
    root = data_dir("licenses")
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix == ".yaml"):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    version = load_file(root / "catalog.yaml").value.get("version", "unversioned")
    return {"version": str(version), "sha256": digest.hexdigest()}
