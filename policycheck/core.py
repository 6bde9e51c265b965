"""The check as a Python API: targets, a policy and a date in, a Report out.

The CLI is a thin layer over ``check``; other programs can call it directly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from policycheck import images
from policycheck.data import check_bundled
from policycheck.errors import InputError
from policycheck.model import Component, Finding, Location
from policycheck.policy import Policy, Verdict
from policycheck.registries import Registries
from policycheck.report import Report
from policycheck.walk import ScanOptions, ScanResult, ScanStats, iter_scan

_ENGINE_TARGET = re.compile(r"^(?P<engine>[A-Za-z0-9][A-Za-z0-9_.-]*)@(?P<version>[^@\s]+)$")


def parse_engine_target(text: str) -> Component | None:
    """``redis@7.4.0`` as a Component, or None when ``text`` is not of that form; an image
    variant (``redis@7.4.0-alpine``) reads as the image tag would (see ``targets``)."""
    from policycheck.targets import engine_target

    m = _ENGINE_TARGET.match(text.strip())
    if not m:
        return None
    return engine_target(m["engine"].lower(), m["version"])


def collect(targets: Sequence[str], options: ScanOptions | None = None) -> ScanResult:
    """Components for every target: ``engine@version`` texts, files and directories."""
    result = ScanResult()
    for part in iter_collect(targets, options):
        result.extend(part)
    declared = _declared_at(c.location for c in result.components)
    result.components = [c for c in result.components if not _duplicate(c, declared)]
    result.errors = unique_errors(result.errors)
    return result


def unique_errors(errors: Iterable[InputError]) -> list[InputError]:
    """Each error once: a helper file two manifests share (one ``.env`` beside two
    compose files) is reported by both when it is broken."""
    seen: set[tuple[str | None, int | None, str, str | None]] = set()
    out: list[InputError] = []
    for error in errors:
        key = (error.path, error.line, error.message, error.hint)
        if key not in seen:
            seen.add(key)
            out.append(error)
    return out


def _declared_at(locations: Iterable[Location | None]) -> set[tuple[str, int | None]]:
    return {(loc.path, loc.line) for loc in locations if loc is not None}


def _duplicate(component: Component, declared: set[tuple[str, int | None]]) -> bool:
    """A templated image whose values.yaml entry was scanned and reported itself."""
    same = component.same_as
    return same is not None and (same.path, same.line) in declared


def iter_collect(
    targets: Sequence[str], options: ScanOptions | None = None
) -> Iterator[ScanResult]:
    """``collect`` part by part: the ``engine@version`` targets, then scan results as
    they arrive (see ``walk.iter_scan``)."""
    named = ScanResult()
    paths: list[str] = []
    for target in targets:
        if not target.strip():
            named.errors.append(
                InputError(
                    "an empty target names nothing",
                    hint="give a path (use . for the current folder) or ENGINE@VERSION",
                )
            )
            continue
        if _is_path(target):
            paths.append(target)
            continue
        component = parse_engine_target(target)
        if component is None:
            named.errors.append(
                InputError(
                    f"{target!r} is neither a file, a directory nor ENGINE@VERSION",
                    hint="write e.g. redis@7.4.0, or a path to a manifest or directory",
                )
            )
            continue
        named.components.append(component)
    yield named
    if paths:
        yield from iter_scan(paths, options)


def _is_path(target: str) -> bool:
    """Whether ``target`` names an existing file or folder (a name the system refuses,
    such as one longer than the file-name limit, names none)."""
    try:
        return Path(target).exists()
    except OSError:
        return False


def check(
    targets: Sequence[str],
    policy: Policy | Callable[[], Policy],
    as_of: dt.date,
    fail_on: Verdict = Verdict.DENY,
    options: ScanOptions | None = None,
    warn_expiring: int = 30,
    registries: Registries | None = None,
    progress: Callable[[ScanResult], None] | None = None,
) -> Report:
    """Evaluate every target under ``policy`` as of ``as_of``, then apply waivers.

    ``policy`` may be a function that loads it. It is then called, and the bundled data
    checked against its schemas, once the first scan results are in: with worker
    processes that is while they parse the rest, not before they start. Components are
    evaluated as results arrive. Alternatives are suggested from the policy's own
    verdict, before any waiver: a waiver is a dated exception, and whoever renews it
    should know what else passes.

    The scan identifies images with the policy's ``registries`` (declared mirrors and
    in-house images), so they must be known before it starts: those of a loaded Policy,
    or ``registries`` when ``policy`` is a loader. A loaded policy that declares other
    registries than the scan used is an input error, never a silent difference.

    ``progress`` is called with each part of the scan as it arrives (the CLI draws a
    progress line on a terminal from it).
    """
    if registries is None:
        registries = policy.registries if isinstance(policy, Policy) else Registries()
    with images.using(registries):
        return _check(targets, policy, as_of, fail_on, options, warn_expiring, registries, progress)


def _check(
    targets: Sequence[str],
    policy: Policy | Callable[[], Policy],
    as_of: dt.date,
    fail_on: Verdict,
    options: ScanOptions | None,
    warn_expiring: int,
    registries: Registries,
    progress: Callable[[ScanResult], None] | None = None,
) -> Report:
    pending: list[Component] = []
    evaluated: list[tuple[Component, Finding]] = []
    errors: list[InputError] = []
    files: dict[str, str] = {}
    stats = ScanStats()
    judge: _Judge | None = None
    for index, part in enumerate(iter_collect(targets, options)):
        errors.extend(part.errors)
        files.update(part.files)
        stats.extend(part.stats)
        pending.extend(part.components)
        if progress is not None:
            progress(part)
        if index == 0:
            continue  # the ENGINE@VERSION targets: any scan starts after them
        judge = judge or _Judge(policy, as_of, warn_expiring)
        evaluated.extend((c, judge.evaluate(c)) for c in pending)
        pending.clear()
    judge = judge or _Judge(policy, as_of, warn_expiring)
    evaluated.extend((c, judge.evaluate(c)) for c in pending)
    if judge.policy.registries != registries:
        errors.append(
            InputError(
                "the policy declares registries, but the scan ran without them",
                judge.policy.source,
                hint="pass the loaded Policy, or its registries, to check()",
            )
        )
    declared = _declared_at(c.location for c, _ in evaluated)
    findings = [judge.ledger.apply(f) for c, f in evaluated if not _duplicate(c, declared)]
    report = Report(
        judge.policy, as_of, findings, unique_errors(errors), files, fail_on, scan=stats
    )
    report.waivers = judge.ledger.summary()
    judge.advisor.save()
    return report


class _Judge:
    """The policy with its evaluator, advisor and waiver ledger, made when first needed."""

    def __init__(
        self, policy: Policy | Callable[[], Policy], as_of: dt.date, warn_expiring: int
    ) -> None:
        # Imported here, not at the top: a scan's workers start before any finding is
        # judged, and they never judge one; the module imports (license-expression's
        # among them) are then not paid before the scan can start.
        from policycheck.alternatives import Advisor
        from policycheck.evaluate import Evaluator
        from policycheck.waivers import WaiverLedger

        check_bundled()
        self.policy = policy if isinstance(policy, Policy) else policy()
        self.evaluator = Evaluator(self.policy, as_of)
        self.advisor = Advisor(self.evaluator)
        self.ledger = WaiverLedger(self.policy, as_of, warn_expiring)

    def evaluate(self, component: Component) -> Finding:
        """The finding for ``component``, with alternatives to its own verdict."""
        finding = self.evaluator.evaluate(component)
        finding.suggestions = [s.to_json() for s in self.advisor.suggest(finding)]
        return finding
