"""The composite GitHub Action, proved as far as it can be without GitHub.

action.yml is parsed, its inputs are checked against their uses, and the bash steps are run
the way the runner runs them (``bash --noprofile --norc -eo pipefail``) with the ``${{ }}``
expressions substituted, ``$GITHUB_ENV`` in a temporary file and the installed ``policycheck``
on ``PATH``. The actions it calls (setup-python, upload-sarif) are not run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from policycheck.cli import cli
from policycheck.policy import bundled_names

ROOT = Path(__file__).resolve().parents[1]
ACTION_TEXT = (ROOT / "action.yml").read_text(encoding="utf-8")
ACTION: dict[str, Any] = yaml.safe_load(ACTION_TEXT)
INPUTS: dict[str, dict[str, Any]] = ACTION["inputs"]
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUT_REF = re.compile(r"\binputs\.([A-Za-z0-9_-]+)")
BIN = Path(sys.executable).parent
COMPOSE = "services:\n  cache:\n    image: redis:7.4.0\n"


def _choices(option: str) -> set[str]:
    param = next(p for p in cli.commands["check"].params if option in p.opts)
    assert isinstance(param.type, click.Choice)
    return {str(c) for c in param.type.choices}


def _step(name: str) -> dict[str, Any]:
    return next(s for s in STEPS if s.get("name") == name)


def _substitute(text: str, context: dict[str, str]) -> str:
    """``text`` with every ``${{ X }}`` replaced by ``context[X]``; any other X is an error."""

    def value(m: re.Match[str]) -> str:
        assert m[1] in context, f"expression {m[0]} is not provided by the test"
        return context[m[1]]

    return EXPRESSION.sub(value, text)


def _context(**inputs: str) -> dict[str, str]:
    """Expression values: the inputs' defaults overridden by ``inputs`` (``fail_on`` for fail-on)."""
    given = {k.replace("_", "-"): v for k, v in inputs.items()}
    assert set(given) <= set(INPUTS), given
    values = {name: str(spec["default"]) for name, spec in INPUTS.items()} | given
    return {f"inputs.{k}": v for k, v in values.items()} | {"github.action_path": str(ROOT)}


def run_step(
    name: str,
    context: dict[str, str],
    cwd: Path,
    github_env: Path,
    extra_env: dict[str, str] | None = None,
    path: Path = BIN,
) -> subprocess.CompletedProcess[str]:
    """Run the bash step ``name`` as the runner would."""
    step = _step(name)
    assert step["shell"] == "bash"
    script = github_env.parent / f"{name.replace(' ', '-')}.sh"  # outside cwd: not scanned
    script.write_text(_substitute(step["run"], context), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "POLICYCHECK_EXIT"}
    env |= {
        "PATH": f"{path}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_ENV": str(github_env),
    }
    env |= {k: _substitute(str(v), context) for k, v in step.get("env", {}).items()}
    env |= extra_env or {}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def github_env_values(path: Path) -> dict[str, list[str]]:
    """Every ``NAME=value`` line written to ``$GITHUB_ENV``, by name."""
    values: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        values.setdefault(name, []).append(value)
    return values


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A repository checkout deploying Redis 7.4.0 (review under the default policy)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    assert shutil.which("policycheck", path=str(BIN)), f"policycheck is not installed in {BIN}"
    return repo


def check_and_verdict(
    workspace: Path, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], str, subprocess.CompletedProcess[str]]:
    """Run Check then Verdict; the Check result, its POLICYCHECK_EXIT and the Verdict result."""
    github_env = workspace.parent / "github_env"
    github_env.write_text("", encoding="utf-8")
    check = run_step("Check", _context(**inputs), workspace, github_env)
    assert check.returncode == 0, check.stderr  # the Check step never fails: Verdict does
    recorded = github_env_values(github_env)
    assert list(recorded) == ["POLICYCHECK_EXIT"] and len(recorded["POLICYCHECK_EXIT"]) == 1
    code = recorded["POLICYCHECK_EXIT"][0]
    verdict = run_step(
        "Verdict", _context(**inputs), workspace, github_env, {"POLICYCHECK_EXIT": code}
    )
    return check, code, verdict


def test_every_input_used_is_declared_and_every_declared_input_is_used() -> None:
    used = set(INPUT_REF.findall(ACTION_TEXT))
    assert used == set(INPUTS)
    for expression in EXPRESSION.findall(ACTION_TEXT):
        assert expression.startswith(("inputs.", "github.action_path")), expression
    for step in STEPS:
        assert "if" not in step or "${{" not in str(step["if"])


def test_inputs_reach_scripts_only_through_env() -> None:
    """A policy path with quotes or ``$`` pasted into a script would change the script."""
    for step in STEPS:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]


def test_input_defaults() -> None:
    defaults = {name: spec["default"] for name, spec in INPUTS.items()}
    assert defaults == {
        "paths": ".",
        "policy": "default",
        "fail-on": "deny",
        "format": "github",
        "upload-sarif": "true",
        "version": "",
    }
    assert all(isinstance(v, str) for v in defaults.values())  # YAML `true` would be a bool
    assert all(spec.get("description") for spec in INPUTS.values())
    assert defaults["policy"] in bundled_names()
    assert defaults["fail-on"] in _choices("--fail-on")
    assert defaults["format"] in _choices("--format")
    upload = _step("Upload SARIF")
    assert upload["if"] == "inputs.upload-sarif == 'true' && always()"
    assert upload["with"]["sarif_file"] == "policycheck.sarif"


def test_redis_74_is_review_under_the_default_policy(workspace: Path) -> None:
    """The premise of the exit-code tests below."""
    out = subprocess.run(
        [str(BIN / "policycheck"), "check", "redis@7.4.0", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0
    assert json.loads(out.stdout)["summary"] == {"allow": 0, "review": 1, "deny": 0}


def test_fail_on_review_records_1_and_verdict_fails(workspace: Path) -> None:
    check, code, verdict = check_and_verdict(workspace, fail_on="review")
    assert code == "1"
    assert verdict.returncode == 1
    sarif = json.loads((workspace / "policycheck.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "review-not-osi" and result["level"] == "warning"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "compose.yaml"
    assert location["region"]["startLine"] == 3
    # The printed report is in the requested (default: github) format.
    lines = check.stdout.splitlines()
    assert lines[0].startswith("::warning file=compose.yaml,line=3,title=policycheck review")
    assert lines[-1].startswith("policycheck: 1 finding(s): 0 allow, 1 review, 0 deny;")
    assert lines[-1].endswith("fail-on review: FAILED")


def test_fail_on_deny_records_0_and_verdict_passes(workspace: Path) -> None:
    check, code, verdict = check_and_verdict(workspace)  # default fail-on: deny
    assert code == "0"
    assert verdict.returncode == 0
    assert json.loads((workspace / "policycheck.sarif").read_text(encoding="utf-8"))["runs"]
    assert check.stdout.splitlines()[-1].endswith("fail-on deny: passed")


def test_printed_report_uses_the_format_input(workspace: Path) -> None:
    check, code, _ = check_and_verdict(workspace, format="json", fail_on="review")
    report = json.loads(check.stdout)
    assert report["fail_on"] == "review" and report["policy"]["name"] == "default"
    assert [(f["engine"], f["version"]) for f in report["findings"]] == [("redis", "7.4.0")]
    assert report["findings"][0]["location"]["path"] == "compose.yaml"
    assert code == "1"


def test_policy_path_with_quote_and_dollar(workspace: Path) -> None:
    """Such a path broke the script when ``${{ inputs.policy }}`` was pasted into it."""
    policy = workspace.parent / 'our "legal" $HOME policy.yaml'
    shutil.copyfile(ROOT / "policies" / "managed-service-provider.yaml", policy)
    check, code, verdict = check_and_verdict(workspace, policy=str(policy))
    assert code == "1" and verdict.returncode == 1  # this policy denies Redis 7.4
    assert check.stdout.startswith("::error file=compose.yaml,line=3,")


def test_several_paths_and_an_input_error(workspace: Path) -> None:
    other = workspace / "other"
    other.mkdir()
    (other / "compose.yaml").write_text(COMPOSE.replace("7.4.0", "7.2.4"), encoding="utf-8")
    check, code, _ = check_and_verdict(workspace, paths="compose.yaml other", format="json")
    assert sorted(f["version"] for f in json.loads(check.stdout)["findings"]) == ["7.2.4", "7.4.0"]
    assert code == "0"
    _, code, verdict = check_and_verdict(workspace, paths="compose.yaml missing-dir")
    assert code == "2" and verdict.returncode == 2  # input errors fail the job


def test_verdict_fails_closed_without_a_recorded_exit(tmp_path: Path) -> None:
    github_env = tmp_path / "github_env"
    github_env.write_text("", encoding="utf-8")
    verdict = run_step("Verdict", _context(), tmp_path, github_env)
    assert verdict.returncode != 0
    assert "::error::" in verdict.stdout


@pytest.mark.parametrize(("version", "expected"), [("", str(ROOT)), ("policycheck==0.1.0", None)])
def test_install_step_installs_the_requested_policycheck(
    tmp_path: Path, version: str, expected: str | None
) -> None:
    """With a stand-in ``pip`` that records its arguments instead of installing."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    pip = fake_bin / "pip"
    pip.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$PIP_ARGS"\n', encoding="utf-8")
    pip.chmod(0o755)
    args = tmp_path / "pip-args"
    github_env = tmp_path / "github_env"
    done = run_step(
        "Install policycheck",
        _context(version=version),
        tmp_path,
        github_env,
        {"PIP_ARGS": str(args)},
        path=fake_bin,
    )
    assert done.returncode == 0, done.stderr
    assert args.read_text(encoding="utf-8").splitlines() == ["install", "-q", expected or version]


def _readme_workflow() -> dict[str, Any]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## In CI\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the In CI section has no workflow"
    workflow: dict[str, Any] = yaml.safe_load(block[1])
    return workflow


def test_readme_workflow_uses_the_real_inputs() -> None:
    workflow = _readme_workflow()
    [job] = workflow["jobs"].values()
    steps = job["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    [ours] = [s for s in steps if s.get("uses") == "./"]
    given = ours.get("with", {})
    assert given and set(given) <= set(INPUTS), set(given) - set(INPUTS)
    if "policy" in given:
        assert given["policy"] in bundled_names()
    if "fail-on" in given:
        assert given["fail-on"] in _choices("--fail-on")
    if "format" in given:
        assert given["format"] in _choices("--format")
    # Uploading SARIF (on by default) needs this permission.
    if str(given.get("upload-sarif", INPUTS["upload-sarif"]["default"])) == "true":
        assert workflow["permissions"]["security-events"] == "write"
