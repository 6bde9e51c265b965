"""Benchmark and recall check on real public repositories, pinned by commit.

The synthetic tree of ``bench_scan.py`` says how fast the scanner is; this one says how it
does on what people actually write: chart collections, operators, Terraform modules,
compose stacks and official-image Dockerfiles. Nothing of these repositories is
committed here: the script builds the tree at run time from git, each repository at
the commit pinned in ``PINS`` (``--set core``: the sixteen Redis-family repositories
of the first figures; default ``all``, with the wider wave), either from a folder of
existing clones or mirrors
(``--mirrors DIR`` holding ``<owner>+<name>/repo`` bare repositories or
``<owner>+<name>`` checkouts) or by cloning from GitHub (``--clone``; needs network).

It then times on the same tree, the commands alternating in ``--runs`` rounds after a
warm-up, medians compared (``bench_scan.measure_alternating``):

1. ``policycheck check TREE --format json`` (a subprocess);
2. the Python floor: a walk that reads every file of a manifest kind and searches it for
   engine names with one regular expression;
3. parsing every ``*.yaml``/``*.yml`` with libyaml (parse-all),

and prints per-repository findings and input errors (a recall check: a repository that
deploys an engine and shows no finding is a miss) and the speed table. Usage::

    python benchmarks/bench_real.py --mirrors DIR [--runs 5] [--dir WORK] [--set core]
    python benchmarks/bench_real.py --clone [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import (  # noqa: E402 - the sibling script's measuring helpers
    PARSE_ALL,
    PYTHON_FLOOR,
    Measure,
    compile_installed,
    load_note,
    measure_alternating,
)

#: owner/name -> the commit the figures in the README were measured at: the Redis
#: family's deployments, the set the first figures were measured on (``--set core``).
CORE: dict[str, str] = {
    "docker-library/redis": "e92049967d6baa9b4b3d6fd950553e6458e61f13",
    "valkey-io/valkey-container": "ae6141ea5d62c775b8bdb9be7396b951da435673",
    "discourse/discourse_docker": "e071c2c8ebf8a93c1fba4e16fbb7168a2a9201bd",
    "bitnami/charts": "5165628ae06697f8f68a670bef7739d93c4b7f44",
    "argoproj/argo-helm": "af0a9310bacbaa4636018dfe22c801a6d33a5c43",
    "goharbor/harbor-helm": "70564d52f0ade16a481c6cd29efc8db863b487ce",
    "terraform-aws-modules/terraform-aws-elasticache": "3e17c95a0b932ed162839a1aeaf0a2bfb436ac6a",
    "terraform-aws-modules/terraform-aws-memory-db": "7a994d3a06a800e79253027f652bb80bb29a850f",
    "terraform-google-modules/terraform-google-memorystore": (
        "fbe704df3c42fb464407f45bd01112fd7219c361"
    ),
    "cloudposse/terraform-aws-elasticache-redis": "911c1b1008d2cc0d3bef8ddd7a270e3123206b49",
    "Azure/terraform-azurerm-avm-res-cache-redis": "28b996a9c00ccdd1940bd6cc9ff3f48ab979aa69",
    "Grokzen/docker-redis-cluster": "7922e1f9a4307231e9416ac7c1963a97347dc8de",
    "wodby/valkey": "282be016924e6203adfebc879172200015d07c31",
    "kubernetes/examples": "279e8e4fe314f6cb7bc55fa3fbc21bbeaa48c0ea",
    "OT-CONTAINER-KIT/redis-operator": "5dd04e17419a9a32bd0d220fc9dae5dffbf4f39a",
    "spotahome/redis-operator": "632aa3da88ee2a28ccb9fc4f571ddcb556dbd713",
}
#: The wider relicensing wave and harder cases, added to CORE by default (``--set all``).
WIDER: dict[str, str] = {
    # compose stacks, chart collections, Terraform
    "getsentry/self-hosted": "89a143f8e4d396a858cf6f462a832ae7da9fd2db",
    "deviantony/docker-elk": "d409aa86b0a8cca6983ad8a1765d3c1567604f26",
    "grafana/helm-charts": "7a0ab968961a165318ab95ff678908c3b9bc3240",
    "opensearch-project/helm-charts": "3c0157e74ff21122108c2fbc12f59e2d435795ac",
    "hashicorp/vault-helm": "aa1c92e4adddbce9660e536dfe5222a88eda6d52",
    "conduktor/kafka-stack-docker-compose": "6a3f69d39a5411ecf9c7f72709c9e58b504992bd",
    "n8n-io/n8n-hosting": "cee656be9e11628529515ff4e13bd4d545caf6fa",
    "redpanda-data/redpanda-labs": "c604c1dd31a7d4be05933c8e31096dfe172c0ba2",
    "terraform-aws-modules/terraform-aws-vpc": "82d1929e669efef4e2ad00611b8a68e7a56e049c",
    "100rd/platform-design": "1243d3748ea8426a667a9469fd10a60849d3421c",
    "24dlong/shared-infrastructure": "cb7e3a4c4a585833fe8275fc014298bf60364961",
    "hmcts/pih-shared-infrastructure": "548a13a4e88785c74b98224146ae45d45dc24ef3",
    # images and module stacks
    "OT-CONTAINER-KIT/redis": "066d6228dd542647918b88f637069fe5e893e3c8",
    "redis-stack/redis-stack": "ac9794706d24e720b334b514b8748c1ef41898b9",
    "keix/rain-call": "2d056a3350fe9cf7b65036864785b669bcf19ebf",
    "docker-library/official-images": "37079fb336f572a88700cf32e5e1f6be54a04e8f",
    # client libraries, whose test setups run a server; and a renamed Valkey fork built
    # from its own source, which no manifest names (a known miss, said in the README)
    "celery/celery": "5dc781f0bd5f36186bfcc74e0a4f9f654452c69b",
    "rq/rq": "aa666a8a60dbc5e8bb43f166cda869c67426a11a",
    "sidekiq/sidekiq": "1bb4aa06e5aa178a114a5e855f9f3d5c24f6c61b",
    "redis/redis-py": "34817ce2a2accc893a81180fe737e0c4f5ac6b0c",
    "hanzoai/kv": "894a84ac01f5eb9a1434310ac1e9eca9800581e5",
}
SETS: dict[str, dict[str, str]] = {"all": {**CORE, **WIDER}, "core": CORE}
PINS = SETS["all"]

TARGET_FLOOR_RATIO = 3.0
TARGET_PARSE_RATIO = 0.25
TARGET_RSS_MB = 150.0


def _git_dir(mirrors: Path, repo: str) -> Path | None:
    """The bare repository or checkout of ``repo`` under ``mirrors``, if there is one."""
    base = mirrors / repo.replace("/", "+")
    for candidate in (base / "repo", base, mirrors / repo.split("/")[1]):
        if (candidate / "HEAD").is_file() or (candidate / ".git").exists():
            return candidate
    return None


def build_tree(
    tree: Path, mirrors: Path | None, clone: bool, pins: dict[str, str] = PINS
) -> list[str]:
    """Export each pinned repository into ``tree/<owner>+<name>``; the repositories missing."""
    missing: list[str] = []
    for repo, commit in pins.items():
        target = tree / repo.replace("/", "+")
        if target.is_dir():
            continue
        source = _git_dir(mirrors, repo) if mirrors else None
        with tempfile.TemporaryDirectory() as scratch:
            if source is None and clone:
                source = Path(scratch) / "clone"
                url = f"https://github.com/{repo}.git"
                subprocess.run(
                    ["git", "clone", "--quiet", "--bare", "--filter=blob:none", url, str(source)],
                    check=False,
                )
            if source is None or not _export(source, commit, target):
                missing.append(repo)
    return missing


def _export(git_dir: Path, commit: str, target: Path) -> bool:
    """``git archive`` of ``commit`` into ``target``; False when the commit, or a file of
    it, is not there (a partial mirror may lack its largest files): a repository is in
    the tree whole or not at all, so the figures always describe the pinned commits."""
    archive = subprocess.run(
        ["git", f"--git-dir={git_dir if (git_dir / 'HEAD').is_file() else git_dir / '.git'}",
         "archive", "--format=tar", commit],
        capture_output=True, check=False,
    )  # fmt: skip
    if archive.returncode != 0:
        return False
    target.mkdir(parents=True)
    with tempfile.TemporaryFile() as handle:
        handle.write(archive.stdout)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(target, filter="data")
    return True


def recall(report: Path, pins: dict[str, str] = PINS) -> str:
    """Findings and input errors per repository, from the JSON report."""
    data = json.loads(report.read_text(encoding="utf-8"))
    findings: Counter[str] = Counter()
    verdicts: dict[str, Counter[str]] = {}
    errors: Counter[str] = Counter()
    for f in data["findings"]:
        repo = f["location"]["path"].split("/", 1)[0]
        findings[repo] += 1
        verdicts.setdefault(repo, Counter())[f["verdict"]] += 1
    for e in data["errors"]:
        errors[(e["path"] or "").split("/", 1)[0]] += 1
    rows = [
        "| repository | findings | allow / review / deny | input errors |",
        "|---|---:|---|---:|",
    ]
    for repo in pins:
        key = repo.replace("/", "+")
        v = verdicts.get(key, Counter())
        rows.append(
            f"| {repo} | {findings[key]} | {v['allow']} / {v['review']} / {v['deny']} "
            f"| {errors[key]} |"
        )
    return "\n".join(rows)


def table(
    tree: Path, results: dict[str, Measure], note: str, pins: dict[str, str] = PINS
) -> tuple[str, bool]:
    """The speed table and whether every target is met."""
    files = sum(1 for p in tree.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    rows = [
        f"Tree: {len(pins)} repositories, {files} files, {size / 2**20:.1f} MiB",
        "",
        "| run | median wall s | median CPU s | peak RSS MB |",
        "|---|---:|---:|---:|",
    ]
    rows += [
        f"| {m.label} | {m.seconds:.3f} | {m.cpu_seconds:.2f} | {m.rss_mb:.1f} |"
        for m in results.values()
    ]
    pc = results["policycheck"]
    vs_floor = pc.seconds / results["python-floor"].seconds
    vs_parse = pc.seconds / results["parse-all"].seconds
    ok = vs_floor <= TARGET_FLOOR_RATIO and vs_parse <= TARGET_PARSE_RATIO
    ok = ok and pc.rss_mb < TARGET_RSS_MB
    rows += [
        "",
        f"policycheck / Python floor: {vs_floor:.2f}x (target <= {TARGET_FLOOR_RATIO}x); "
        f"policycheck / parse-all: {vs_parse:.2f}x (target <= {TARGET_PARSE_RATIO}x); "
        f"peak RSS {pc.rss_mb:.1f} MB (target < {TARGET_RSS_MB} MB)",
        f"CPU-time ratios: policycheck / Python floor "
        f"{pc.cpu_seconds / results['python-floor'].cpu_seconds:.2f}x, policycheck / parse-all "
        f"{pc.cpu_seconds / results['parse-all'].cpu_seconds:.2f}x (targets are judged on wall "
        "time)",
        note,
    ]
    return "\n".join(rows), ok


def main(argv: Sequence[str] | None = None) -> int:
    """Build the tree, show recall per repository, measure; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, help="folder of clones or bare mirrors")
    parser.add_argument("--clone", action="store_true", help="clone what --mirrors lacks")
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / "scratch-real")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (medians kept)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the tree")
    parser.add_argument(
        "--set", choices=sorted(SETS), default="all", help="which repositories (default: all)"
    )
    args = parser.parse_args(argv)
    pins = SETS[args.set]
    work: Path = args.dir.resolve()
    tree = work / ("tree" if args.set == "all" else f"tree-{args.set}")
    if args.fresh and tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True, exist_ok=True)
    missing = build_tree(tree, args.mirrors, args.clone, pins)
    if missing:
        print(f"not available (skipped): {', '.join(missing)}", file=sys.stderr)
    compile_installed()
    report = work / "report.json"
    commands = {
        "policycheck": [sys.executable, "-m", "policycheck", "check", ".", "--format", "json",
                        "--output", str(report), "--skip-unparsable"],
        "python-floor": [sys.executable, "-c", PYTHON_FLOOR, "."],
        "parse-all": [sys.executable, "-c", PARSE_ALL, "."],
    }  # fmt: skip
    load = os.getloadavg()
    results = _in(tree, partial(measure_alternating, commands, args.runs))
    print(recall(report, pins))
    print()
    text, ok = table(tree, results, load_note(load), pins)
    print(text)
    return 0 if ok else 1


def _in(folder: Path, action: Callable[[], dict[str, Measure]]) -> dict[str, Measure]:
    """Run ``action`` with ``folder`` as the working directory (paths in the report are
    then relative to the tree, one repository per first path part)."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        return action()
    finally:
        os.chdir(old)


if __name__ == "__main__":
    sys.exit(main())
