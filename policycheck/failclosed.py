"""The reasons policycheck itself gives a verdict when no policy rule could.

A finding's ``rules`` name what produced its verdict: the policy rules that fired, the
policy default, or one of these fail-closed reasons. Every format reads the same list,
so the text report, the sign-off and SARIF never disagree about why.
"""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.policy import Verdict

POLICY_DEFAULT = "policy-default"


@dataclass(frozen=True)
class FailClosed:
    """A reason to review that no policy can waive by silence."""

    id: str
    summary: str
    rationale: str
    verdict: Verdict = Verdict.REVIEW


UNKNOWN_ENGINE = FailClosed(
    "fail-closed-unknown-engine",
    "The engine is not in policycheck's catalog (fail closed)",
    "policycheck does not know this engine, so its license is unknown and a person must "
    "review it. Check the engine name, or add the engine to the catalog.",
)
UNRESOLVED_VERSION = FailClosed(
    "fail-closed-unresolved-version",
    "The engine version could not be determined (fail closed)",
    "Without a version the license is unknown: several engines changed license between "
    "releases. Pin an exact version (or image tag) so the license can be checked.",
)
NO_SUCH_RELEASE = FailClosed(
    "fail-closed-no-such-release",
    "No such release is recorded, though the catalog lists every release (fail closed)",
    "The version names no recorded release: a typo, an untagged build, or a release newer "
    "than the catalog. Check the version against the engine's tags.",
)
UNCATALOGUED_VERSION = FailClosed(
    "fail-closed-uncatalogued-version",
    "No catalogued license range covers this version (fail closed)",
    "policycheck will not guess the license of a release outside its catalogued ranges. "
    "Check the version, or extend the catalog with evidence from the release's tag.",
)
NEWER_THAN_KNOWN = FailClosed(
    "fail-closed-newer-than-known",
    "The release is newer than any verified at its tag (fail closed)",
    "The license of a release the catalog has not read is assumed from the latest range; "
    "a person must confirm it at the release's tag.",
)
UNKNOWN_LICENSE = FailClosed(
    "fail-closed-unknown-license",
    "A license has no effects record in policycheck's knowledge (fail closed)",
    "The effect of a license (or a LicenseRef exception) policycheck has no record of "
    "cannot be assessed, so the verdict is at least review.",
)
DEFECTIVE_LICENSE_TEXT = FailClosed(
    "fail-closed-defective-license-text",
    "The release's license file does not carry the license it names (fail closed)",
    "The license option elected rests on a license file that holds another text; counsel "
    "must decide whether the intended license was granted, or a corrected release is used.",
)

ALL: tuple[FailClosed, ...] = (
    UNKNOWN_ENGINE,
    UNRESOLVED_VERSION,
    NO_SUCH_RELEASE,
    UNCATALOGUED_VERSION,
    NEWER_THAN_KNOWN,
    UNKNOWN_LICENSE,
    DEFECTIVE_LICENSE_TEXT,
)
BY_ID = {f.id: f for f in ALL}
