"""``ENGINE@VERSION`` as typed on the command line, read like the image tag it came from.

People copy versions from manifests, so ``redis@7.4.0-alpine`` or
``valkey@8.1.1-alpine3.21`` must mean what the image ``redis:7.4.0-alpine`` means: the
release 7.4.0 in an image variant. The tag rules are the images module's, so the command
line and a scanned manifest can never read the same text two ways; the finding keeps a
note saying which part was the variant.
"""

from __future__ import annotations

from policycheck.catalog import catalog
from policycheck.model import Component
from policycheck.versions import parse_version

#: How a variant note starts, so a report can show it next to the version.
VARIANT_NOTE = "Requested as "


def engine_target(engine: str, version: str) -> Component:
    """The Component for ``engine@version``; an image variant is split off the version."""
    known = catalog().get(engine)
    if known is None or parse_version(version) is not None:
        return Component(engine, version, None, origin="target")
    from policycheck.images import version_from_tag

    release, _floating, _why = version_from_tag(version, known.build_suffix)
    if release is None or release == version:
        return Component(engine, version, None, origin="target")
    body = version[1:] if version[:1] in "vV" else version
    if release == "latest":
        note = (
            f"{VARIANT_NOTE}{version!r}: a variant of the newest release, read as the image "
            f"tag {engine}:{version} would be."
        )
    elif body.lower().startswith(release.lower()):
        note = (
            f"{VARIANT_NOTE}{version!r}: version {release} in the image variant "
            f"{body[len(release) :]!r}, read as the image tag {engine}:{version} would be; "
            "the variant does not change the license."
        )
    else:
        return Component(engine, version, None, origin="target")
    return Component(engine, release, None, origin="target", notes=(note,))


def requested_as(notes: list[str]) -> str | None:
    """The version as typed, when it carried an image variant (from the finding's note)."""
    for note in notes:
        if note.startswith(VARIANT_NOTE):
            return note[len(VARIANT_NOTE) :].partition(":")[0].strip("'\"")
    return None
