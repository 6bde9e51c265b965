"""Allow ``python -m policycheck``."""

from policycheck.cli import run

run()
