"""A hostile file never costs a valid sibling its finding.

Hypothesis puts one hostile file, named as any manifest kind, next to a folder holding a
valid compose file, and runs ``check`` with ``--skip-unparsable``: the run must end in
exit 0, 1 or 2 without a traceback, and the sibling's finding must be in the report.
Set POLICYCHECK_FUZZ=long for a longer local run.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck.cli import main

EXAMPLES = 300 if os.environ.get("POLICYCHECK_FUZZ") == "long" else 30
VALID = "services:\n  cache:\n    image: redis:7.2.4\n"
NAMES = [
    "compose.yaml",
    "values.yaml",
    "deploy.yaml",
    "Chart.yaml",
    ".env",
    "Dockerfile",
    "install.sh",
    "main.tf",
    "main.tf.json",
    "terraform.tfvars",
    "redis.conf",
    "sbom.spdx.json",
    "sbom.spdx",
    "sbom.spdx.yaml",
    ".gitlab-ci.yml",
]
HOSTILE_TEXTS = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.integers(1, 9).map(
        lambda n: (
            "a: &a [x, x]\n"
            + "".join(
                f"{c}: &{c} [*{p}, *{p}]\n"
                for p, c in zip("abcdefghi", "bcdefghij"[:n], strict=False)
            )
            + "image: redis:7.4.0\n"
        )
    ),
    st.integers(50, 400).map(lambda n: "image: " + "[" * n + "redis" + "]" * n + "\n"),
    st.sampled_from(
        [
            "REDIS_TAG='7.4.0\nX=1\n",
            "built: 2024-13-45\nimage: redis:7.4.0\n",
            "image: redis:7." + "9" * 5000 + "\n",
            'resource "aws_elasticache_cluster" "c" {\n  engine = true ? "redis" :\n  # note\n  "valkey"\n}\n',
            "FROM redis:${TAG\nRUN echo ${dpkgArch##*-}\n",
            "loadmodule " + "\\x" * 2000 + "\n",
            '{"spdxVersion": "SPDX-2.3", "packages": [{"name": "redis", "versionInfo": ',
            "\ufeff\x00\x00image: redis\n",
        ]
    ),
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(NAMES), text=HOSTILE_TEXTS)
def test_a_hostile_file_never_costs_a_sibling_its_finding(
    capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "valid").mkdir()
        (root / "valid" / "compose.yaml").write_text(VALID)
        (root / "hostile").mkdir()
        (root / "hostile" / name).write_bytes(text.encode("utf-8", "surrogatepass"))
        code = main(["check", scratch, "--format", "json", "--skip-unparsable"])
        out, err = capsys.readouterr()
        assert code in (0, 1, 2)
        assert "Traceback" not in err
        findings = json.loads(out)["findings"]
        assert any(
            f["location"]["path"].endswith("valid/compose.yaml")
            and f["location"]["line"] == 3
            and f["version"] == "7.2.4"
            for f in findings
        ), (name, text[:80])
