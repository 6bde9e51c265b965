"""The decision matrix: drivers with weights, options scored 1 to 5, and claims to check.

Read from YAML (``schemas/matrix.schema.json``) with every error given file and line;
what the schema cannot say (weights summing to 1, known drivers and engines) is checked
here. A matrix holds opinions on engines, never license facts: those come from the
catalog and the policy evaluation.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policycheck.catalog import catalog
from policycheck.data import data_dir, schema_errors
from policycheck.errors import InputError
from policycheck.versions import VersionRange
from policycheck.yamlload import Located, PathKey, load_text, read_text

LICENSING_DRIVER = "licensing-governance"
WEIGHT_TOLERANCE = 1e-9
BUNDLED_MATRIX = Path("adr") / "in-memory-stores.yaml"


@dataclass(frozen=True)
class Driver:
    """A decision driver and its share of the decision (weights sum to 1)."""

    id: str
    name: str
    weight: float
    description: str | None = None


@dataclass(frozen=True)
class Score:
    """One option's score on one driver, 1 (weakest) to 5, with its reason."""

    value: int
    note: str | None = None


@dataclass(frozen=True)
class MatrixOption:
    """A scored option; candidates are matched to it by catalog engine id."""

    id: str
    label: str
    engine: str
    scores: Mapping[str, Score]
    versions: VersionRange | None = None
    """The releases the scores were written for; None: any release."""


@dataclass(frozen=True)
class WeightClaim:
    """ "At this weight of this driver, this option leads", as a source wrote it."""

    driver: str
    weight: float
    expect_winner: str
    text: str | None = None


@dataclass(frozen=True)
class TotalClaim:
    """ "This option's weighted total is this", as a source printed it."""

    option: str
    total: float
    text: str | None = None


@dataclass(frozen=True)
class Matrix:
    """A checked decision matrix."""

    source: str
    sha256: str
    title: str | None
    drivers: tuple[Driver, ...]
    options: tuple[MatrixOption, ...]
    claims: tuple[WeightClaim | TotalClaim, ...] = ()
    """What a source says about this matrix, for ``adr`` to check."""

    @property
    def weights(self) -> dict[str, float]:
        """Driver id to weight, in driver order."""
        return {d.id: d.weight for d in self.drivers}

    def option_for(self, engine_id: str) -> MatrixOption | None:
        """The option scoring ``engine_id``, or None."""
        return next((o for o in self.options if o.engine == engine_id), None)


def resolve_matrix_path(path: str | None) -> tuple[Path, str]:
    """The matrix file and the name to show for it; None means the bundled matrix."""
    if path is None:
        bundled = data_dir("policies") / BUNDLED_MATRIX
        return bundled, f"{bundled.name} (bundled)"
    candidate = Path(path)
    if not candidate.is_file():
        raise InputError(
            "decision matrix not found",
            path,
            hint="pass a matrix YAML (see policies/adr/in-memory-stores.yaml) or omit --matrix",
        )
    return candidate, path


def load_matrix(path: str | None) -> Matrix:
    """Load and check a decision matrix; raises the first InputError found."""
    result = check_matrix(path)
    if isinstance(result, Matrix):
        return result
    raise result[0]


def check_matrix(path: str | None) -> Matrix | list[InputError]:
    """Load a decision matrix, or return every error in it, each with file and line."""
    file, display = resolve_matrix_path(path)
    text = read_text(file, display)
    try:
        doc = load_text(text, display)
    except InputError as exc:
        return [exc]
    if not isinstance(doc.value, dict):
        return [InputError("a decision matrix must be a YAML mapping", display, 1)]
    errors = schema_errors(doc, "matrix")
    if errors:
        return errors
    builder = _MatrixBuilder(doc)
    matrix = builder.build(hashlib.sha256(text.encode("utf-8")).hexdigest())
    return builder.errors or matrix


class _MatrixBuilder:
    """Checks what the schema cannot say (sums, cross-references), collecting errors."""

    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.errors: list[InputError] = []

    def error(self, path: PathKey, message: str, hint: str | None = None) -> None:
        self.errors.append(InputError(message, self.doc.source, self.doc.line_of(path), hint))

    def build(self, sha256: str) -> Matrix:
        d = self.doc.value
        drivers = self.drivers(d["drivers"])
        known = [drv.id for drv in drivers]
        options = tuple(
            self.option(oid, o, known) for oid, o in d["options"].items() if isinstance(oid, str)
        )
        self.unique_engines(options)
        claims = tuple(
            self.claim(i, c, known, [o.id for o in options])
            for i, c in enumerate(d.get("claims", []))
        )
        return Matrix(self.doc.source, sha256, d.get("title"), drivers, options, claims)

    def claim(
        self, i: int, c: dict[str, Any], drivers: list[str], options: list[str]
    ) -> WeightClaim | TotalClaim:
        option = c.get("expect_winner", c.get("option"))
        if option not in options:
            self.error(
                ("claims", i),
                f"claim {i + 1} names option {option!r}, which the matrix does not score",
                f"options are: {', '.join(options)}",
            )
        if "total" in c:
            return TotalClaim(str(option), float(c["total"]), c.get("text"))
        if c["driver"] not in drivers:
            self.error(
                ("claims", i, "driver"),
                f"claim {i + 1} names unknown driver {c['driver']!r}",
                f"drivers are: {', '.join(drivers)}",
            )
        return WeightClaim(c["driver"], float(c["weight"]), str(option), c.get("text"))

    def drivers(self, items: list[dict[str, Any]]) -> tuple[Driver, ...]:
        out: list[Driver] = []
        for i, item in enumerate(items):
            if any(drv.id == item["id"] for drv in out):
                self.error(("drivers", i, "id"), f"duplicate driver id {item['id']!r}")
            out.append(
                Driver(item["id"], item["name"], float(item["weight"]), item.get("description"))
            )
        total = math.fsum(drv.weight for drv in out)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            terms = " + ".join(f"{drv.weight:g}" for drv in out)
            self.error(
                ("drivers",),
                f"driver weights sum to {total:.10g}, not 1",
                f"the weights are {terms}; adjust them so they add up to exactly 1",
            )
        return tuple(out)

    def option(self, oid: str, o: dict[str, Any], known: list[str]) -> MatrixOption:
        base: PathKey = ("options", oid)
        engine_name = str(o.get("engine", oid))
        engine = catalog().get(engine_name)
        if engine is None:
            self.error(
                (*base, "engine") if "engine" in o else base,
                f"option {oid!r}: unknown engine {engine_name!r}",
                f"set engine: to one of {', '.join(sorted(catalog().engines))}",
            )
        scores = {did: Score(s["score"], s.get("note")) for did, s in o["scores"].items()}
        for did in scores:
            if did not in known:
                self.error(
                    (*base, "scores", did),
                    f"option {oid!r} scores unknown driver {did!r}",
                    f"drivers are: {', '.join(known)}",
                )
        missing = [did for did in known if did not in scores and did != LICENSING_DRIVER]
        if missing:
            self.error(
                (*base, "scores"),
                f"option {oid!r} does not score driver(s) {', '.join(missing)}",
                f"score every driver; only {LICENSING_DRIVER} may be omitted "
                "(it is then derived from the policy verdict)",
            )
        versions = None
        if "versions" in o:
            try:
                versions = VersionRange.parse(o["versions"])
            except ValueError as exc:
                self.error((*base, "versions"), f"option {oid!r}: {exc}")
        return MatrixOption(oid, o["label"], engine.id if engine else engine_name, scores, versions)

    def unique_engines(self, options: tuple[MatrixOption, ...]) -> None:
        seen: dict[str, str] = {}
        for o in options:
            if o.engine in seen:
                self.error(
                    ("options", o.id),
                    f"options {seen[o.engine]!r} and {o.id!r} both score engine {o.engine!r}",
                    "candidates are matched by engine, so each engine needs exactly one option",
                )
            seen.setdefault(o.engine, o.id)
