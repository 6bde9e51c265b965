"""Benchmark: start-up of a one-component check against the import floor.

``policycheck check redis@7.4.0`` answers one question from the bundled data; a CI step
or an editor integration runs it often, so its cost should be about that of starting
Python with the libraries every run needs. The floor is
``python -c "import click, yaml, jsonschema"``; the target is at most 1.5x it.

The machine these run on may be shared, so the two commands are run alternately,
``--runs`` times each after one warm-up of each (page cache, bytecode, the bundled
data's validation cache), and the medians compared: a burst of load elsewhere then
slows both alike. The load average before and after is printed with the figures.
``--importtime`` adds the slowest imports of policycheck (``python -X importtime``).
Usage::

    python benchmarks/bench_startup.py [--runs 21] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import alternate, compile_installed, machine  # noqa: E402 - the sibling's helpers

TARGET_RATIO = 1.5
FLOOR = [sys.executable, "-c", "import click, yaml, jsonschema"]
CHECK = [sys.executable, "-m", "policycheck", "check", "redis@7.4.0"]


def slowest_imports(count: int = 15) -> str:
    """The modules with the largest cumulative import time in one run of CHECK."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *CHECK[1:]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    rows: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(cumulative), name.strip()))
    rows.sort(reverse=True)
    return "\n".join(f"{us / 1000:8.1f} ms  {name}" for us, name in rows[:count])


def main(argv: Sequence[str] | None = None) -> int:
    """Measure; print the medians and the ratio; 1 when the ratio misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs of each command")
    parser.add_argument("--importtime", action="store_true", help="list the slowest imports")
    args = parser.parse_args(argv)
    compile_installed()
    load_before = os.getloadavg()
    results = alternate({"import floor": FLOOR, "check redis@7.4.0": CHECK}, args.runs)
    load_after = os.getloadavg()
    print("| run | median wall s | min wall s | median CPU s | peak RSS MB | exit |")
    print("|---|---:|---:|---:|---:|---|")
    medians: dict[str, float] = {}
    for label, runs in results.items():
        medians[label] = statistics.median(r.seconds for r in runs)
        print(
            f"| {label} | {medians[label]:.3f} | {min(r.seconds for r in runs):.3f} | "
            f"{statistics.median(r.cpu_seconds for r in runs):.3f} | "
            f"{max(r.rss_mb for r in runs):.1f} | "
            f"{','.join(sorted({str(r.exit_code) for r in runs}))} |"
        )
    ratio = medians["check redis@7.4.0"] / medians["import floor"]
    ok = ratio <= TARGET_RATIO and all(r.exit_code == 0 for r in results["check redis@7.4.0"])
    print()
    print(
        f"check / import floor: {ratio:.2f}x (target <= {TARGET_RATIO}x): "
        f"{'pass' if ok else 'FAIL'}; {args.runs} alternating runs each, medians; load "
        f"average {load_before[0]:.2f} before, {load_after[0]:.2f} after. Machine: {machine()}"
    )
    if args.importtime:
        print("\nslowest imports (cumulative):\n" + slowest_imports())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
