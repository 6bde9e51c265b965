"""Shared fixtures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policycheck.policy import Policy, load_policy

AS_OF = dt.date(2026, 11, 27)
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def default_policy() -> Policy:
    """The bundled default policy."""
    return load_policy("default")
