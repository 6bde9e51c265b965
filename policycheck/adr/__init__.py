"""Pre-adoption architecture decision record: a scored, explained comparison of engines.

A verdict per engine is not enough to choose one: a platform team also has to make its
priorities explicit (weighted decision drivers), see the scored comparison, know how far
a weight must move before the winner changes, follow a decision path, see the claims made
about the numbers checked, and know what a move from what is deployed involves. Scores
come from a decision matrix (YAML, ``schemas/matrix.schema.json``); license facts come
from the catalog and the policy evaluation, never from the matrix.

``matrix`` reads the matrix, ``scoring`` holds the arithmetic (pure functions a reviewer
can check by hand), ``path`` moves weights on purpose (decision path, claims, what-if),
``record`` assembles the record, ``audit`` is the migration audit of ``--from``, and
``render`` with ``sections`` writes Markdown, HTML and JSON.
"""

from policycheck.adr.matrix import (
    LICENSING_DRIVER,
    Driver,
    Matrix,
    MatrixOption,
    Score,
    TotalClaim,
    WeightClaim,
    check_matrix,
    load_matrix,
)
from policycheck.adr.record import AdrResult, OptionResult, build_adr
from policycheck.adr.scoring import (
    Sensitivity,
    derive_licensing_score,
    rank,
    sensitivity,
    sensitivity_for,
    weighted_total,
)

__all__ = [
    "LICENSING_DRIVER",
    "AdrResult",
    "Driver",
    "Matrix",
    "MatrixOption",
    "OptionResult",
    "Score",
    "Sensitivity",
    "TotalClaim",
    "WeightClaim",
    "build_adr",
    "check_matrix",
    "derive_licensing_score",
    "load_matrix",
    "rank",
    "sensitivity",
    "sensitivity_for",
    "weighted_total",
]
