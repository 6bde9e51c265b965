"""Benchmark: large SPDX SBOMs in every serialisation policycheck reads.

An image or monorepo SBOM lists tens of thousands of packages; reading one must cost
seconds, not minutes, whatever the serialisation. This script writes the same
deterministic SBOM as JSON, YAML, tag-value and RDF/XML (``--packages`` packages, one in
``--engine-every`` a Redis server, the rest application libraries; with ``--all-redis``
every package is named ``redis``, the case where every package is reported), then times
``policycheck check FILE --format json`` on each (a subprocess, best of ``--runs``) and
prints a Markdown table (wall and CPU seconds) against the target (100,000 packages
under 10 s). Usage::

    python benchmarks/bench_sbom.py [--packages 100000] [--engine-every 100] [--all-redis]
                                    [--formats json,yaml,tag-value,rdf] [--dir DIR] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

DEFAULT_DIR = Path(__file__).resolve().parent / "scratch" / "sbom"
TARGET_SECONDS = 10.0
NAMESPACE = "https://example.com/spdxdocs/bench-sbom"
CREATED = "2025-01-20T08:00:00Z"


@dataclass(frozen=True)
class Package:
    """One generated package: an application library or a Redis server."""

    index: int
    name: str
    version: str
    license: str
    purl: str | None

    @property
    def spdx_id(self) -> str:
        return f"SPDXRef-Package-{self.index}"


def packages(count: int, engine_every: int, all_redis: bool) -> Iterator[Package]:
    """``count`` packages; every ``engine_every``-th is a Redis server image."""
    for i in range(count):
        if all_redis:
            yield Package(i, "redis", f"7.2.{i % 5}", "BSD-3-Clause", None)
        elif engine_every and i % engine_every == 0:
            version = f"7.{2 + i % 3}.{i % 4}"
            purl = f"pkg:docker/library/redis@{version}"
            yield Package(i, "docker.io/library/redis", version, "BSD-3-Clause", purl)
        else:
            license_ = ("MIT", "Apache-2.0", "BSD-3-Clause OR MIT", "ISC")[i % 4]
            purl = f"pkg:npm/%40acme/lib-{i}@1.{i % 7}.{i % 11}"
            yield Package(i, f"@acme/lib-{i}", f"1.{i % 7}.{i % 11}", license_, purl)


def as_json(items: list[Package]) -> str:
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "bench-sbom",
        "documentNamespace": NAMESPACE,
        "creationInfo": {"created": CREATED, "creators": ["Tool: bench-sbom"]},
        "packages": [_json_package(p) for p in items],
        "relationships": [
            {
                "spdxElementId": "SPDXRef-DOCUMENT",
                "relationshipType": "DESCRIBES",
                "relatedSpdxElement": p.spdx_id,
            }
            for p in items
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def _json_package(p: Package) -> dict[str, object]:
    out: dict[str, object] = {
        "SPDXID": p.spdx_id,
        "name": p.name,
        "versionInfo": p.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": p.license,
    }
    if p.purl:
        out["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": p.purl,
            }
        ]
    return out


def as_yaml(items: list[Package]) -> str:
    """Block YAML as SBOM tools write it (JSON is valid YAML, but not what they write)."""
    lines = [
        "spdxVersion: SPDX-2.3",
        "dataLicense: CC0-1.0",
        "SPDXID: SPDXRef-DOCUMENT",
        "name: bench-sbom",
        f"documentNamespace: {NAMESPACE}",
        "creationInfo:",
        f"  created: {CREATED}",
        "  creators:",
        "    - 'Tool: bench-sbom'",
        "packages:",
    ]
    for p in items:
        lines += [
            f"  - SPDXID: {p.spdx_id}",
            f"    name: '{p.name}'",
            f"    versionInfo: '{p.version}'",
            "    downloadLocation: NOASSERTION",
            "    filesAnalyzed: false",
            "    licenseConcluded: NOASSERTION",
            f"    licenseDeclared: {p.license}",
        ]
        if p.purl:
            lines += [
                "    externalRefs:",
                "      - referenceCategory: PACKAGE-MANAGER",
                "        referenceType: purl",
                f"        referenceLocator: '{p.purl}'",
            ]
    lines.append("relationships:")
    for p in items:
        lines += [
            "  - spdxElementId: SPDXRef-DOCUMENT",
            "    relationshipType: DESCRIBES",
            f"    relatedSpdxElement: {p.spdx_id}",
        ]
    return "\n".join(lines) + "\n"


def as_tag_value(items: list[Package]) -> str:
    lines = [
        "SPDXVersion: SPDX-2.3",
        "DataLicense: CC0-1.0",
        "SPDXID: SPDXRef-DOCUMENT",
        "DocumentName: bench-sbom",
        f"DocumentNamespace: {NAMESPACE}",
        "Creator: Tool: bench-sbom",
        f"Created: {CREATED}",
    ]
    for p in items:
        lines += [
            "",
            f"PackageName: {p.name}",
            f"SPDXID: {p.spdx_id}",
            f"PackageVersion: {p.version}",
            "PackageDownloadLocation: NOASSERTION",
            "FilesAnalyzed: false",
            "PackageLicenseConcluded: NOASSERTION",
            f"PackageLicenseDeclared: {p.license}",
        ]
        if p.purl:
            lines.append(f"ExternalRef: PACKAGE-MANAGER purl {p.purl}")
    lines.append("")
    lines += [f"Relationship: SPDXRef-DOCUMENT DESCRIBES {p.spdx_id}" for p in items]
    return "\n".join(lines) + "\n"


def as_rdf(items: list[Package]) -> str:
    """RDF/XML in the shape spdx-tools writes: packages at the top, the document last."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<rdf:RDF",
        '  xmlns:spdx="http://spdx.org/rdf/terms#"',
        '  xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"',
        '  xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"',
        ">",
    ]
    for p in items:
        out += [
            f'  <spdx:Package rdf:about="{NAMESPACE}#{p.spdx_id}">',
            f"    <spdx:name>{escape(p.name)}</spdx:name>",
            f"    <spdx:versionInfo>{escape(p.version)}</spdx:versionInfo>",
            '    <spdx:downloadLocation rdf:resource="http://spdx.org/rdf/terms#noassertion"/>',
            '    <spdx:filesAnalyzed rdf:datatype="http://www.w3.org/2001/XMLSchema#boolean">'
            "false</spdx:filesAnalyzed>",
            '    <spdx:licenseConcluded rdf:resource="http://spdx.org/rdf/terms#noassertion"/>',
            *_rdf_license(p.license),
        ]
        if p.purl:
            out += [
                "    <spdx:externalRef>",
                "      <spdx:ExternalRef>",
                '        <spdx:referenceType rdf:resource="http://spdx.org/rdf/references/purl"/>',
                '        <spdx:referenceCategory rdf:resource="http://spdx.org/rdf/terms#'
                'referenceCategory_packageManager"/>',
                f"        <spdx:referenceLocator>{escape(p.purl)}</spdx:referenceLocator>",
                "      </spdx:ExternalRef>",
                "    </spdx:externalRef>",
            ]
        out.append("  </spdx:Package>")
    out += [
        f'  <spdx:SpdxDocument rdf:about="{NAMESPACE}#SPDXRef-DOCUMENT">',
        "    <spdx:specVersion>SPDX-2.3</spdx:specVersion>",
        "    <spdx:name>bench-sbom</spdx:name>",
        "    <spdx:creationInfo>",
        "      <spdx:CreationInfo>",
        f"        <spdx:created>{CREATED}</spdx:created>",
        "        <spdx:creator>Tool: bench-sbom</spdx:creator>",
        "      </spdx:CreationInfo>",
        "    </spdx:creationInfo>",
        '    <spdx:dataLicense rdf:resource="http://spdx.org/licenses/CC0-1.0"/>',
    ]
    for p in items:
        out += [
            "    <spdx:relationship>",
            "      <spdx:Relationship>",
            f'        <spdx:relatedSpdxElement rdf:resource="{NAMESPACE}#{p.spdx_id}"/>',
            '        <spdx:relationshipType rdf:resource="http://spdx.org/rdf/terms#'
            'relationshipType_describes"/>',
            "      </spdx:Relationship>",
            "    </spdx:relationship>",
        ]
    out += ["  </spdx:SpdxDocument>", "</rdf:RDF>"]
    return "\n".join(out) + "\n"


def _rdf_license(expression: str) -> list[str]:
    ids = expression.split(" OR ")
    if len(ids) == 1:
        return [f'    <spdx:licenseDeclared rdf:resource="http://spdx.org/licenses/{ids[0]}"/>']
    members = [f'          <spdx:member rdf:resource="http://spdx.org/licenses/{i}"/>' for i in ids]
    return [
        "    <spdx:licenseDeclared>",
        "      <spdx:DisjunctiveLicenseSet>",
        *members,
        "      </spdx:DisjunctiveLicenseSet>",
        "    </spdx:licenseDeclared>",
    ]


WRITERS: dict[str, tuple[str, Callable[[list[Package]], str]]] = {
    "json": ("bench.spdx.json", as_json),
    "yaml": ("bench.spdx.yaml", as_yaml),
    "tag-value": ("bench.spdx", as_tag_value),
    "rdf": ("bench.spdx.rdf.xml", as_rdf),
}


def time_check(path: Path, runs: int) -> tuple[float, float, int, int]:
    """(best wall seconds, its CPU seconds, exit code, findings) of ``policycheck check``.

    CPU time is reported beside wall time: on a shared machine the wall clock also
    counts other people's work.
    """
    best, best_cpu = float("inf"), float("inf")
    code, findings = -1, -1
    command = [sys.executable, "-m", "policycheck", "check", str(path), "--format", "json"]
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if wall < best:
            best, best_cpu = wall, cpu
        code = done.returncode
        try:
            findings = len(json.loads(done.stdout).get("findings", []))
        except ValueError:
            sys.stderr.write(done.stderr[-2000:])
            findings = -1
    return best, best_cpu, code, findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=100_000)
    parser.add_argument("--engine-every", type=int, default=100)
    parser.add_argument("--all-redis", action="store_true")
    parser.add_argument("--formats", default=",".join(WRITERS))
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)

    items = list(packages(args.packages, args.engine_every, args.all_redis))
    args.dir.mkdir(parents=True, exist_ok=True)
    mix = "all named redis" if args.all_redis else f"1 in {args.engine_every} a Redis server"
    print(f"{args.packages:,} packages ({mix}); target < {TARGET_SECONDS:.0f} s each\n")
    print("| serialisation | size MB | seconds | CPU seconds | exit | findings | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    worst = 0.0
    for fmt in args.formats.split(","):
        name, writer = WRITERS[fmt]
        path = args.dir / name
        path.write_text(writer(items), encoding="utf-8")
        seconds, cpu, code, findings = time_check(path, args.runs)
        worst = max(worst, seconds)
        size = path.stat().st_size / 1e6
        verdict = "met" if seconds < TARGET_SECONDS else "MISSED"
        print(
            f"| {fmt} | {size:.1f} | {seconds:.1f} | {cpu:.1f} | {code} | {findings:,} | {verdict} |"
        )
        sys.stdout.flush()
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
