"""Benchmark: scanning a large monorepo, against the floor (grep) and naive parsing.

A platform team runs policycheck on every pull request of a monorepo, so a scan must
cost about as much as searching the tree, not as much as parsing it. This script
generates a deterministic synthetic monorepo (mostly unrelated YAML, JSON and code,
~3% files that deploy an engine, ~0.5% malformed deployment files), then times on the
same tree:

1. ``policycheck check TREE --format json --skip-unparsable`` (a subprocess);
2. ``grep -rlE 'redis|valkey|...' TREE``: reading every byte once, the floor;
3. the Python floor (``PYTHON_FLOOR``), as in ``bench_real.py``;
4. a Python subprocess that parses every ``*.yaml``/``*.yml`` with libyaml.

and prints a Markdown table with the ratios and the targets (<= 2x a Python walk that
reads every candidate file and searches it for engine names, <= 0.5x parse-all, peak RSS
< 150 MB; the ratio to grep, the first target, is reported beside them, not judged). The commands run alternately, ``--runs`` rounds
after a warm-up, and the medians are compared (see ``measure_alternating``). Usage::

    python benchmarks/bench_scan.py [--files 20000] [--dir DIR] [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

SEED = 20261127
GENERATOR_VERSION = 1
DEFAULT_DIR = Path(__file__).resolve().parent / "scratch"
GREP_PATTERN = "redis|valkey|dragonfly|keydb|garnet|kvrocks|memcached"
TIME_BIN = "/usr/bin/time"
#: The first target, against grep: kept in the table for comparison with older figures,
#: not judged. Start-up alone (Python and imports, 0.2 s) is half of what grep takes on
#: this tree; the floor a Python scanner can be held to is the Python floor.
GREP_REFERENCE = 3.0
TARGET_FLOOR_RATIO = 2.0
TARGET_PARSE_RATIO = 0.5
TARGET_RSS_MB = 150.0

#: The Python floor: a walk that reads every file of a kind policycheck reads and
#: searches it for engine names with one regular expression.
PYTHON_FLOOR = r"""
import os, re, sys
pattern = re.compile(rb"redis|valkey|dragonfly|keydb|garnet|kvrocks|memcache", re.I)
kinds = (".yaml", ".yml", ".json", ".tf", ".tfvars", ".conf", ".sh", ".env", ".spdx")
hits = 0
for dirpath, dirnames, filenames in os.walk(sys.argv[1]):
    dirnames[:] = sorted(d for d in dirnames if d != ".git")
    for name in filenames:
        low = name.lower()
        if low.endswith(kinds) or low.startswith("dockerfile"):
            with open(os.path.join(dirpath, name), "rb") as handle:
                if pattern.search(handle.read()):
                    hits += 1
print(hits)
"""

PARSE_ALL = """
import os, sys, yaml
ok = bad = 0
for dirpath, dirnames, filenames in os.walk(sys.argv[1]):
    dirnames.sort()
    for name in sorted(filenames):
        if name.endswith((".yaml", ".yml")):
            try:
                with open(os.path.join(dirpath, name), "rb") as handle:
                    for _ in yaml.load_all(handle, Loader=yaml.CSafeLoader):
                        pass
                ok += 1
            except yaml.YAMLError:
                bad += 1
print(ok, bad)
"""

# -- synthetic content -----------------------------------------------------------------

WORDS = [
    "order",
    "payment",
    "invoice",
    "customer",
    "account",
    "ledger",
    "session",
    "token",
    "cache",
    "queue",
    "worker",
    "billing",
    "report",
    "export",
    "import",
    "search",
    "index",
    "metric",
    "trace",
    "span",
    "event",
    "audit",
    "user",
    "profile",
    "catalog",
    "inventory",
    "shipment",
    "refund",
    "tenant",
    "region",
    "shard",
    "replica",
]
APP_IMAGES = (
    "nginx:1.27.2",
    "ghcr.io/acme/api:2.14.0",
    "python:3.12-slim",
    "node:22-alpine",
    "postgres:16.4",
    "quay.io/prometheus/prometheus:v2.54.1",
    "acme/worker:1.9.3",
)
ENGINE_IMAGES = (
    "redis:7.2.4",
    "redis:7.4.0-alpine",
    "redis:6.2.14",
    "valkey/valkey:8.0.1",
    "valkey/valkey:8.1.3-alpine",
    "docker.dragonflydb.io/dragonflydb/dragonfly:v1.25.0",
    "bitnami/redis:8.2.1-debian-12-r0",
    "memcached:1.6.29",
)
ENGINE_CLIENT_LINES = (
    "import redis",
    'REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")',
    '    "github.com/redis/go-redis/v9"',
    "const Redis = require('ioredis');",
)


def _name(rnd: random.Random) -> str:
    return f"{rnd.choice(WORDS)}_{rnd.choice(WORDS)}"


def _fill(rnd: random.Random, head: list[str], line: Callable[[int], str], size: int) -> str:
    """``head`` then generated lines until the text reaches ``size`` bytes."""
    lines = list(head)
    total = sum(len(x) + 1 for x in lines)
    i = 0
    while total < size:
        text = line(i)
        lines.append(text)
        total += len(text) + 1
        i += 1
    return "\n".join(lines) + "\n"


def python_file(rnd: random.Random, size: int, mentions_engine: bool) -> str:
    head = ['"""Module docstring."""', "import os", "import json", ""]
    if mentions_engine:
        head += [ENGINE_CLIENT_LINES[0], ENGINE_CLIENT_LINES[1], ""]

    def line(i: int) -> str:
        n = _name(rnd)
        return (
            f"def {n}_{i}(value, limit={rnd.randint(1, 999)}):\n"
            f"    result = [x * {rnd.randint(2, 9)} for x in range(limit) if x % 3]\n"
            f"    return json.dumps({{'{n}': result[:10], 'value': value}})\n"
        )

    return _fill(rnd, head, line, size)


def go_file(rnd: random.Random, size: int, mentions_engine: bool) -> str:
    head = ["package service", "", "import (", '    "fmt"', '    "strings"']
    if mentions_engine:
        head.append(ENGINE_CLIENT_LINES[2])
    head += [")", ""]

    def line(i: int) -> str:
        n = rnd.choice(WORDS).capitalize()
        return (
            f"func {n}{i}(in string) string {{\n"
            f'    return fmt.Sprintf("%s-{rnd.randint(1, 9999)}", strings.ToUpper(in))\n'
            "}\n"
        )

    return _fill(rnd, head, line, size)


def js_file(rnd: random.Random, size: int, mentions_engine: bool) -> str:
    head = ["'use strict';", "const path = require('path');"]
    if mentions_engine:
        head.append(ENGINE_CLIENT_LINES[3])

    def line(i: int) -> str:
        n = _name(rnd)
        return (
            f"function {n}{i}(items) {{\n"
            f"  return items.filter((x) => x.id % {rnd.randint(2, 9)}).map((x) => x.{rnd.choice(WORDS)});\n"
            "}\n"
            f"module.exports.{n}{i} = {n}{i};"
        )

    return _fill(rnd, head, line, size)


def json_file(rnd: random.Random, size: int, mentions_engine: bool) -> str:
    doc: dict[str, object] = {"name": f"@acme/{_name(rnd)}", "version": "1.0.0"}
    if mentions_engine:
        doc["redisUrl"] = "redis://cache:6379"
    entries: dict[str, object] = {}
    doc["settings"] = entries
    while len(json.dumps(doc, indent=2)) < size:
        entries[f"{_name(rnd)}_{len(entries)}"] = {
            "enabled": rnd.random() < 0.5,
            "threshold": rnd.randint(1, 10_000),
            "label": " ".join(rnd.choice(WORDS) for _ in range(6)),
        }
    return json.dumps(doc, indent=2) + "\n"


def config_yaml(rnd: random.Random, size: int, mentions_engine: bool) -> str:
    """An unrelated Kubernetes app (Deployment + ConfigMap) or CI config."""
    app = _name(rnd).replace("_", "-")
    head = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        f"  name: {app}",
        "spec:",
        "  replicas: 2",
        "  template:",
        "    spec:",
        "      containers:",
        f"        - name: {app}",
        f"          image: {rnd.choice(APP_IMAGES)}",
        "          env:",
    ]
    if mentions_engine:
        head += ["            - name: REDIS_HOST", "              value: cache.internal"]
    head += [
        "---",
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        f"  name: {app}-config",
        "data:",
    ]

    def line(i: int) -> str:
        return f'  {_name(rnd)}_{i}: "{" ".join(rnd.choice(WORDS) for _ in range(5))}"'

    return _fill(rnd, head, line, size)


def markdown_file(rnd: random.Random, size: int, mentions_engine: bool) -> str:
    head = [f"# {_name(rnd)}", ""]
    if mentions_engine:
        head.append("Sessions are cached in Redis; see the ops runbook.")

    def line(i: int) -> str:
        return " ".join(rnd.choice(WORDS) for _ in range(14)) + "."

    return _fill(rnd, head, line, size)


def k8s_engine(rnd: random.Random, size: int) -> str:
    image = rnd.choice(ENGINE_IMAGES)
    head = [
        "apiVersion: apps/v1",
        "kind: StatefulSet",
        "metadata:",
        "  name: cache",
        "spec:",
        "  serviceName: cache",
        "  template:",
        "    metadata:",
        "      annotations:",
    ]
    tail = [
        "    spec:",
        "      containers:",
        "        - name: cache",
        f"          image: {image}",
        "          ports:",
        "            - containerPort: 6379",
    ]
    text = _fill(
        rnd,
        head,
        lambda i: f'        acme.io/{_name(rnd)}-{i}: "{rnd.randint(0, 99999)}"',
        size - 200,
    )
    return text + "\n".join(tail) + "\n"


def compose_engine(rnd: random.Random, size: int) -> str:
    head = [
        "services:",
        "  cache:",
        f"    image: {rnd.choice(ENGINE_IMAGES)}",
        "    restart: always",
    ]
    head += ["  app:", f"    image: {rnd.choice(APP_IMAGES)}", "    environment:"]
    return _fill(
        rnd, head, lambda i: f'      {_name(rnd).upper()}_{i}: "{rnd.randint(0, 9999)}"', size
    )


def values_engine(rnd: random.Random, size: int) -> str:
    image = rnd.choice(ENGINE_IMAGES[:5])
    repo, tag = image.rsplit(":", 1)
    head = ["image:", "  registry: docker.io", f"  repository: {repo}", f"  tag: {tag}", "extra:"]
    return _fill(rnd, head, lambda i: f"  {_name(rnd)}_{i}: {rnd.randint(0, 9999)}", size)


def dockerfile_engine(rnd: random.Random, size: int) -> str:
    head = [f"FROM {rnd.choice(ENGINE_IMAGES)}", "COPY redis.conf /usr/local/etc/redis/redis.conf"]
    return _fill(rnd, head, lambda i: f'LABEL acme.{_name(rnd)}{i}="{rnd.randint(0, 999)}"', size)


def terraform_engine(rnd: random.Random, size: int) -> str:
    engine, version = rnd.choice((("redis", "7.1"), ("valkey", "8.0"), ("redis", "6.2")))
    head = [
        'resource "aws_elasticache_replication_group" "cache" {',
        '  replication_group_id = "cache"',
        '  description          = "sessions"',
        f'  engine               = "{engine}"',
        f'  engine_version       = "{version}"',
        '  node_type            = "cache.t4g.small"',
        "}",
    ]
    return _fill(
        rnd,
        head,
        lambda i: f'variable "{_name(rnd)}_{i}" {{ default = "{rnd.randint(0, 99)}" }}',
        size,
    )


def malformed_engine(rnd: random.Random, size: int) -> str:
    """Deployment-looking YAML that mentions an engine and does not parse."""
    broken = rnd.choice(
        (
            "          ports: [6379, 6380",
            "\t  image: broken-tab",
            "          env: {REDIS_HOST: cache",
            "        - name: cache\n         image: bad-indent",
        )
    )
    head = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: cache",
        "spec:",
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: cache",
        f"          image: {rnd.choice(ENGINE_IMAGES)}",
        broken,
        "          args:",
    ]
    return _fill(rnd, head, lambda i: f"            - --opt-{i}={rnd.randint(0, 999)}", size)


Generator = Callable[[random.Random, int], str]

ENGINE_KINDS: tuple[tuple[str, Generator, float], ...] = (
    ("deploy/cache.yaml", k8s_engine, 0.35),
    ("docker-compose.yml", compose_engine, 0.25),
    ("chart/values.yaml", values_engine, 0.15),
    ("cache/Dockerfile", dockerfile_engine, 0.1),
    ("infra/elasticache.tf", terraform_engine, 0.15),
)
PLAIN_KINDS: tuple[tuple[str, Callable[[random.Random, int, bool], str], float], ...] = (
    ("yaml", config_yaml, 0.30),
    ("json", json_file, 0.15),
    ("py", python_file, 0.20),
    ("go", go_file, 0.15),
    ("js", js_file, 0.15),
    ("md", markdown_file, 0.05),
)
SUBDIRS = {"yaml": "k8s", "json": "config", "py": "src", "go": "pkg", "js": "web", "md": "docs"}


@dataclass
class TreeStats:
    """What was generated, for the report."""

    files: int
    bytes: int
    engine_files: int
    malformed: int


def _size(rnd: random.Random) -> int:
    """1-8 KiB, skewed small like real repositories."""
    return int(1024 * 2 ** (rnd.random() * 3))


def generate(tree: Path, n_files: int) -> TreeStats:
    """Write the synthetic monorepo; the same arguments always give the same bytes."""
    rnd = random.Random(SEED)
    stats = TreeStats(0, 0, 0, 0)
    per_service = 60
    for index in range(n_files):
        service = tree / "services" / f"svc-{index // per_service:04d}"
        roll = rnd.random()
        if roll < 0.005:
            rel, text = f"deploy/broken-{index}.yaml", malformed_engine(rnd, _size(rnd))
            stats.malformed += 1
        elif roll < 0.035:
            name, make, _ = rnd.choices(ENGINE_KINDS, weights=[k[2] for k in ENGINE_KINDS])[0]
            folder, _, base = name.rpartition("/")
            rel = f"{folder}-{index}/{base}" if folder else f"compose-{index}/{base}"
            text = make(rnd, _size(rnd))
            stats.engine_files += 1
        else:
            ext, make_plain, _ = rnd.choices(PLAIN_KINDS, weights=[k[2] for k in PLAIN_KINDS])[0]
            mentions = rnd.random() < 0.04
            rel = f"{SUBDIRS[ext]}/m{index % 7}/{_name(rnd)}_{index}.{ext}"
            text = make_plain(rnd, _size(rnd), mentions)
        path = service / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode()
        path.write_bytes(data)
        stats.files += 1
        stats.bytes += len(data)
    return stats


def ensure_tree(work: Path, n_files: int) -> tuple[Path, TreeStats]:
    """Generate the tree unless one with the same parameters is already there."""
    tree, marker = work / "tree", work / "tree.json"
    wanted = {"files": n_files, "seed": SEED, "generator": GENERATOR_VERSION}
    if marker.is_file() and tree.is_dir():
        saved = json.loads(marker.read_text())
        if saved.get("params") == wanted:
            return tree, TreeStats(**saved["stats"])
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    stats = generate(tree, n_files)
    marker.write_text(json.dumps({"params": wanted, "stats": vars(stats)}, indent=2))
    return tree, stats


# -- measuring ---------------------------------------------------------------------------


@dataclass
class Measure:
    """Median wall and CPU time over the runs, and the highest peak RSS seen."""

    label: str
    seconds: float
    cpu_seconds: float
    rss_mb: float
    exit_codes: tuple[int, ...]


@dataclass
class Run:
    """One timed run."""

    seconds: float
    cpu_seconds: float
    rss_mb: float
    exit_code: int


_RSS_LINE = re.compile(rb"Maximum resident set size \(kbytes\): (\d+)")
_CPU_LINE = re.compile(rb"(?:User|System) time \(seconds\): ([\d.]+)")


def run_once(cmd: Sequence[str]) -> Run:
    """Wall time, CPU time (user + system), peak RSS and exit code of one run of ``cmd``.

    Memory and CPU come from ``/usr/bin/time -v`` when installed, else from the child's
    own resource usage (``wait4``), so earlier, bigger children never leak into them.
    CPU time is reported beside wall time because it barely moves when the machine is
    busy with other work, while wall time does.
    """
    if os.access(TIME_BIN, os.X_OK):
        start = time.perf_counter()
        done = subprocess.run(
            [TIME_BIN, "-v", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        elapsed = time.perf_counter() - start
        rss = _RSS_LINE.findall(done.stderr)
        cpu = sum(float(x) for x in _CPU_LINE.findall(done.stderr)[-2:])
        return Run(elapsed, cpu, (int(rss[-1]) if rss else 0) / 1024, done.returncode)
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    return Run(elapsed, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))


def measure(label: str, cmd: Sequence[str], runs: int) -> Measure:
    """Warm up once (page cache), then the medians of ``runs`` timed runs."""
    return measure_alternating({label: list(cmd)}, runs)[label]


def alternate(commands: dict[str, list[str]], runs: int) -> dict[str, list[Run]]:
    """Each command once to warm up, then all of them in turn, ``runs`` times.

    On a machine shared with other work, load comes in bursts: commands run one after
    the other in rounds meet the same bursts, so their ratio holds where best-of-N
    figures taken minutes apart do not.
    """
    for cmd in commands.values():
        run_once(cmd)
    results: dict[str, list[Run]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, cmd in commands.items():
            results[label].append(run_once(cmd))
    return results


def measure_alternating(commands: dict[str, list[str]], runs: int) -> dict[str, Measure]:
    """``alternate``, summed up: the median wall and CPU time, the peak RSS."""
    results = alternate(commands, runs)
    return {
        label: Measure(
            label,
            statistics.median(r.seconds for r in done),
            statistics.median(r.cpu_seconds for r in done),
            max(r.rss_mb for r in done),
            tuple(sorted({r.exit_code for r in done})),
        )
        for label, done in results.items()
    }


def load_note(before: tuple[float, float, float]) -> str:
    """The machine and its load average over the measurement, for the reader of the figures."""
    after = os.getloadavg()
    return (
        f"Machine: {machine()}. Load average (1 min) {before[0]:.2f} before, {after[0]:.2f} "
        "after the runs; commands alternate in rounds, medians shown."
    )


def machine() -> str:
    """CPU model and count, memory, system and Python: what the figures were measured on."""
    import platform

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        model = names[0] if names else model
    except OSError:
        pass
    try:
        memory = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        memory = ""
    return (
        f"{os.cpu_count()} CPUs ({model}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def commands(tree: Path, work: Path) -> dict[str, list[str]]:
    """The measured commands."""
    report = work / "report.json"
    return {
        "policycheck": [
            sys.executable, "-m", "policycheck", "check", str(tree),
            "--format", "json", "--output", str(report), "--skip-unparsable",
        ],
        "grep": ["grep", "-rlE", GREP_PATTERN, str(tree)],
        "python-floor": [sys.executable, "-c", PYTHON_FLOOR, str(tree)],
        "parse-all": [sys.executable, "-c", PARSE_ALL, str(tree)],
    }  # fmt: skip


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def table(stats: TreeStats, results: dict[str, Measure], note: str) -> tuple[str, bool]:
    """The Markdown report, and whether every target is met."""
    rows = [
        f"Tree: {stats.files} files, {stats.bytes / 2**20:.1f} MiB, "
        f"{stats.engine_files} deploying engines, {stats.malformed} malformed",
        "",
        "| run | median wall s | files/s | median CPU s | peak RSS MB | exit |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for m in results.values():
        rows.append(
            f"| {m.label} | {m.seconds:.3f} | {stats.files / m.seconds:,.0f} | "
            f"{m.cpu_seconds:.2f} | {m.rss_mb:.1f} | {','.join(map(str, m.exit_codes))} |"
        )
    pc = results["policycheck"]
    grep_ratio = pc.seconds / results["grep"].seconds
    checks = [
        (
            "policycheck / Python floor",
            pc.seconds / results["python-floor"].seconds,
            TARGET_FLOOR_RATIO,
        ),
        ("policycheck / parse-all", pc.seconds / results["parse-all"].seconds, TARGET_PARSE_RATIO),
    ]
    cpu = {
        label: pc.cpu_seconds / max(results[label].cpu_seconds, 0.01)
        for label in ("grep", "python-floor", "parse-all")
    }
    rows += ["", "| target | value | goal | result |", "|---|---:|---:|---|"]
    rows += [
        f"| {name} | {value:.2f}x | <= {goal}x | {verdict(value <= goal)} |"
        for name, value, goal in checks
    ]
    rows.append(
        f"| policycheck peak RSS | {pc.rss_mb:.1f} MB | < {TARGET_RSS_MB} MB | "
        f"{verdict(pc.rss_mb < TARGET_RSS_MB)} |"
    )
    rows.append(
        f"| policycheck / grep | {grep_ratio:.2f}x | {GREP_REFERENCE}x (reported) | "
        f"{'within' if grep_ratio <= GREP_REFERENCE else 'above'} |"
    )
    rows += [
        "",
        "CPU-time ratios (less sensitive to a busy machine): "
        + ", ".join(f"policycheck / {label} {value:.2f}x" for label, value in cpu.items())
        + ". Targets are judged on wall time.",
        note,
    ]
    ok = all(value <= goal for _, value, goal in checks) and pc.rss_mb < TARGET_RSS_MB
    return "\n".join(rows), ok


def profile(tree: Path, work: Path) -> str:
    """cProfile of one policycheck run: the top functions by cumulative and own time."""
    prof = work / "policycheck.prof"
    cmd = commands(tree, work)["policycheck"]
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(prof), *cmd[1:]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(str(prof), stream=out)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    return out.getvalue()


ROOT = Path(__file__).resolve().parent.parent


def compile_installed() -> None:
    """Make the measured commands run this checkout's policycheck, byte-compiled as
    ``pip install`` leaves it, so the runs measure the tool as users run it, not the
    compilation of its sources (with PYTHONDONTWRITEBYTECODE set, an uncompiled
    checkout would recompile every module on every run).

    The checkout goes first on the children's PYTHONPATH: an interpreter whose
    environment has policycheck installed from elsewhere would otherwise measure that
    copy. Without a checkout next to this script, the installed package is measured.
    """
    import compileall
    import importlib.util

    if (ROOT / "policycheck" / "__init__.py").is_file():
        paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
        compileall.compile_dir(ROOT / "policycheck", quiet=2)
        return
    spec = importlib.util.find_spec("policycheck")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            compileall.compile_dir(location, quiet=2)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (or reuse) the tree, measure, print the table; 1 when a target fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000, help="files to generate")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="work directory")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (medians kept)")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of policycheck"
    )
    args = parser.parse_args(argv)
    work: Path = args.dir.resolve()
    started = time.perf_counter()
    tree, stats = ensure_tree(work, args.files)
    print(f"tree ready in {time.perf_counter() - started:.1f}s: {tree}", file=sys.stderr)
    compile_installed()
    load = os.getloadavg()
    results = measure_alternating(commands(tree, work), args.runs)
    text, ok = table(stats, results, load_note(load))
    print(text)
    if args.profile:
        print("\n```\n" + profile(tree, work) + "```")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
