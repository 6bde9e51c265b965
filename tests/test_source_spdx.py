"""SPDX SBOM source: engines matched by purl or exact name, never by substring."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.expression import license_disagreement
from policycheck.model import Component
from policycheck.sources import all_sources
from policycheck.sources.spdx.source import (
    SOURCE,
    line_of_spdx_id,
    parse_purl,
    upstream_version,
)

FIXTURES = Path(__file__).parent / "fixtures" / "spdx"
CORPUS_NEGATIVE = (
    Path(__file__).resolve().parents[2] / "shared/corpus/spdx/spdx-spec-example-v2.3.spdx"
)


def collect(path: Path, text: str | None = None) -> list[Component]:
    body = path.read_text(encoding="utf-8") if text is None else text
    return list(SOURCE.collect(path, body, path.name))


def found(components: list[Component]) -> list[tuple[str, str | None, int | None]]:
    return [(c.engine, c.version, c.location.line if c.location else None) for c in components]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL_TV = """SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: t
DocumentNamespace: https://example.com/t
Creator: Tool: t
Created: 2025-01-01T00:00:00Z
"""


# --- claims ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "sbom.spdx",
        "a.spdx.json",
        "a.SPDX.JSON",
        "a.spdx.yaml",
        "a.spdx.yml",
        "a.spdx.rdf",
        "a.spdx.rdf.xml",
        "a.spdx.xml",
    ],
)
def test_claims_spdx_file_names(name: str) -> None:
    assert SOURCE.claims(Path(name), b"")


def test_claims_plain_json_only_when_it_mentions_spdx_version() -> None:
    assert SOURCE.claims(Path("bom.json"), b'{\n  "spdxVersion": "SPDX-2.3",')
    assert not SOURCE.claims(Path("package.json"), b'{"name": "redis", "version": "4.6.0"}')
    assert not SOURCE.claims(Path("values.yaml"), b"spdxVersion: SPDX-2.3")


def test_source_is_discovered_with_its_priority() -> None:
    assert SOURCE in all_sources()
    assert SOURCE.name == "spdx"
    assert SOURCE.priority == 5


# --- JSON --------------------------------------------------------------------------------


def test_json_sbom_finds_servers_and_skips_clients() -> None:
    components = collect(FIXTURES / "app-image.spdx.json")
    assert found(components) == [
        ("redis", "7.4.0", 15),  # pkg:docker/library/redis@7.4.0
        ("redis", "7.0.15", 84),  # pkg:deb/debian/redis-server, epoch and revision dropped
        ("valkey", "8.0.1", 94),  # pkg:generic/valkey
        ("valkey", "8.1.1", 105),  # pkg:oci digest, tag qualifier
        ("dragonfly", "v1.25.0", 114),  # pkg:github/dragonflydb/dragonfly
        ("redis", None, 124),  # pkg:docker digest only
    ]
    assert all(c.origin == "sbom" for c in components)


def test_json_sbom_carries_declared_or_concluded_license() -> None:
    by_line = {c.location.line: c for c in collect(FIXTURES / "app-image.spdx.json") if c.location}
    assert by_line[15].declared_license == "LicenseRef-scancode-rsalv2 OR SSPL-1.0"
    assert by_line[94].declared_license == "BSD-3-Clause"  # declared NOASSERTION, concluded used
    assert by_line[105].declared_license is None


def test_digest_only_image_is_unresolved_with_a_reason() -> None:
    last = collect(FIXTURES / "app-image.spdx.json")[-1]
    assert last.version is None
    assert last.unresolved is not None and "digest" in last.unresolved


def test_location_text_names_package_and_purl() -> None:
    first = collect(FIXTURES / "app-image.spdx.json")[0]
    assert first.location is not None
    assert first.location.path == "app-image.spdx.json"
    assert first.location.text == "docker.io/library/redis 7.4.0 (pkg:docker/library/redis@7.4.0)"


def test_plain_json_file_with_bom_is_parsed(tmp_path: Path) -> None:
    text = (FIXTURES / "app-image.spdx.json").read_text(encoding="utf-8")
    path = write(tmp_path, "bom.json", text)
    assert [c.engine for c in collect(path)][:2] == ["redis", "redis"]


def test_json_in_a_dot_spdx_file_is_read_as_json(tmp_path: Path) -> None:
    text = (FIXTURES / "app-image.spdx.json").read_text(encoding="utf-8")
    assert len(collect(write(tmp_path, "image.spdx", text))) == 6


# --- tag-value and YAML ------------------------------------------------------------------


def test_tag_value_sbom_matches_exact_names_only() -> None:
    components = collect(FIXTURES / "cache-host.spdx")
    assert found(components) == [("redis", "7.4.0", 11), ("redis", "7.2.5", 30)]
    assert [c.declared_license for c in components] == ["BSD-3-Clause", "BSD-3-Clause"]


def test_yaml_sbom_with_unquoted_timestamp() -> None:
    components = collect(FIXTURES / "edge.spdx.yaml")
    assert found(components) == [("keydb", "6.3.4", 12), ("memcached", "1.6.29", 21)]


def test_rdf_sbom_written_by_spdx_tools(tmp_path: Path) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.writer.rdf import rdf_writer

    document = parse_file(str(FIXTURES / "app-image.spdx.json"))
    path = tmp_path / "image.spdx.rdf.xml"
    rdf_writer.write_document_to_file(document, str(path), validate=False)
    components = collect(path)
    assert sorted((c.engine, c.version or "") for c in components) == [
        ("dragonfly", "v1.25.0"),
        ("redis", ""),
        ("redis", "7.0.15"),
        ("redis", "7.4.0"),
        ("valkey", "8.0.1"),
        ("valkey", "8.1.1"),
    ]
    text = path.read_text(encoding="utf-8")
    assert all(
        c.location and c.location.line and "SPDXRef-" in text.splitlines()[c.location.line - 1]
        for c in components
    )


# --- never by substring -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "purl"),
    [
        ("redis", "pkg:pypi/redis@5.0.1"),
        ("redis", "pkg:npm/redis@4.6.13"),
        ("redis", "pkg:gem/redis@5.2.0"),
        ("redis-py", None),
        ("hiredis", None),
        ("Redistribution", None),
        ("redis-tools", "pkg:deb/debian/redis-tools@5:7.0.15-1"),
        ("libredis", None),
        ("redis-commander", "pkg:generic/redis-commander@0.8.1"),
        ("node-redis", "pkg:github/redis/node-redis@4.6.13"),
    ],
)
def test_clients_and_lookalikes_never_match(tmp_path: Path, name: str, purl: str | None) -> None:
    ref = f"ExternalRef: PACKAGE-MANAGER purl {purl}\n" if purl else ""
    text = (
        MINIMAL_TV
        + f"\nPackageName: {name}\nSPDXID: SPDXRef-p\nPackageVersion: 7.4.0\n"
        + "PackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\n"
        + "PackageLicenseDeclared: BSD-3-Clause\n"
        + ref
    )
    assert collect(write(tmp_path, "x.spdx", text)) == []


def test_corpus_negative_yields_nothing_and_no_error() -> None:
    if not CORPUS_NEGATIVE.is_file():
        pytest.skip("shared corpus not present")
    assert collect(CORPUS_NEGATIVE) == []


# --- errors ------------------------------------------------------------------------------


def test_broken_json_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.spdx.json", '{\n  "spdxVersion": "SPDX-2.3",\n  "name": redis\n}')
    with pytest.raises(InputError) as err:
        collect(path)
    assert err.value.line == 3
    assert err.value.message.startswith("invalid JSON at column 11:")
    assert err.value.path == "x.spdx.json"
    assert err.value.hint


def test_json_missing_required_fields_names_them(tmp_path: Path) -> None:
    path = write(tmp_path, "x.spdx.json", '{"spdxVersion": "SPDX-2.3", "packages": []}')
    with pytest.raises(InputError) as err:
        collect(path)
    assert err.value.message.startswith("not a valid SPDX document")
    assert "documentNamespace" in err.value.message or "creation" in err.value.message.lower()


def test_json_that_is_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="spdxVersion"):
        collect(write(tmp_path, "x.spdx.json", '["spdxVersion"]'))


def test_tag_value_unknown_tag_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.spdx", MINIMAL_TV + "Bogus: value\n")
    with pytest.raises(InputError) as err:
        collect(path)
    assert err.value.line == 8


def test_yaml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.spdx.yaml", "spdxVersion: SPDX-2.3\npackages: [\n  - a: b\n")
    with pytest.raises(InputError) as err:
        collect(path)
    assert err.value.line is not None and err.value.line >= 2


def test_broken_rdf_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.spdx.rdf", '<?xml version="1.0"?>\n<rdf:RDF>\n<oops\n')
    with pytest.raises(InputError) as err:
        collect(path)
    assert err.value.line is not None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "PackageName: redis",
                    "SPDXID: SPDXRef-x",
                    "PackageVersion: 7.4.0",
                    "PackageLicenseDeclared: (MIT",
                    "ExternalRef: PACKAGE-MANAGER purl pkg:docker/redis",
                    "Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-x",
                    "FilesAnalyzed: maybe",
                    "<text>",
                ]
            ),
            st.text(max_size=30),
        ),
        max_size=8,
    )
)
def test_tag_value_garbage_raises_only_input_error(tmp_path: Path, lines: list[str]) -> None:
    path = write(tmp_path, "fuzz.spdx", MINIMAL_TV + "\n".join(lines))
    try:
        components = collect(path)
    except InputError as err:
        assert err.message
    else:
        assert all(c.engine == "redis" for c in components)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=40, deadline=None)
@given(
    extra=st.dictionaries(
        st.sampled_from(["packages", "creationInfo", "SPDXID", "name", "relationships"]),
        json_values,
    )
)
def test_json_garbage_raises_only_input_error(extra: dict[str, object]) -> None:
    import json

    text = json.dumps({"spdxVersion": "SPDX-2.3", **extra})
    try:
        list(SOURCE.collect(Path("fuzz.spdx.json"), text, "fuzz.spdx.json"))
    except InputError as err:
        assert err.path == "fuzz.spdx.json"


# --- helpers -----------------------------------------------------------------------------


def test_parse_purl_examples() -> None:
    purl = parse_purl(
        "pkg:oci/valkey@sha256%3Aabc?repository_url=ghcr.io%2Fvalkey-io%2Fvalkey&tag=8.1.1"
    )
    assert purl is not None
    assert (purl.type, purl.namespace, purl.name, purl.version) == (
        "oci",
        None,
        "valkey",
        "sha256:abc",
    )
    assert purl.qualifiers == {"repository_url": "ghcr.io/valkey-io/valkey", "tag": "8.1.1"}
    deb = parse_purl("pkg:deb/debian/redis-server@5:7.0.15-1~deb12u1?arch=amd64")
    assert (
        deb is not None
        and deb.path == "debian/redis-server"
        and deb.version == "5:7.0.15-1~deb12u1"
    )
    assert parse_purl("redis@7.4.0") is None
    assert parse_purl("pkg:docker") is None


segment = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
    min_size=1,
    max_size=12,
)


@settings(max_examples=50)
@given(
    type_=st.sampled_from(["docker", "oci", "generic", "deb", "github"]),
    namespace=st.none() | segment,
    name=segment,
    version=st.none() | segment,
)
def test_parse_purl_round_trips_encoded_parts(
    type_: str, namespace: str | None, name: str, version: str | None
) -> None:
    parts = [type_] + ([quote(namespace, safe="")] if namespace else []) + [quote(name, safe="")]
    text = "pkg:" + "/".join(parts) + (f"@{quote(version, safe='')}" if version else "")
    purl = parse_purl(text)
    assert purl is not None
    assert (purl.type, purl.namespace, purl.name, purl.version) == (type_, namespace, name, version)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5:7.0.15-1~deb12u1", "7.0.15"),
        ("7.2.5-r0", "7.2.5"),
        ("8.0~rc1-1", "8.0-rc1"),
        ("7.4.0", "7.4.0"),
    ],
)
def test_upstream_version(text: str, expected: str) -> None:
    assert upstream_version(text) == expected


def test_line_of_spdx_id_needs_the_whole_id() -> None:
    text = 'x\n"SPDXID": "SPDXRef-redis-2",\n"SPDXID": "SPDXRef-redis",\n'
    assert line_of_spdx_id(text, "SPDXRef-redis") == 3
    assert line_of_spdx_id("SPDXID: SPDXRef-a\n", "SPDXRef-b") is None


def test_license_disagreement_when_sets_differ() -> None:
    sentence = license_disagreement("BSD-3-Clause", "LicenseRef-scancode-rsalv2 OR SSPL-1.0")
    assert sentence is not None
    assert "BSD-3-Clause" in sentence and "SSPL-1.0" in sentence


def test_license_agreement_ignores_order_case_and_aliases() -> None:
    catalog = "LicenseRef-scancode-rsalv2 OR SSPL-1.0"
    assert license_disagreement("SSPL-1.0 OR RSALv2", catalog) is None
    assert license_disagreement("bsd-3-clause", "BSD-3-Clause") is None


def test_license_disagreement_on_unparseable_declaration() -> None:
    sentence = license_disagreement("BSD-3-Clause AND (", "BSD-3-Clause")
    assert sentence is not None and "not a valid" in sentence


# --- hostile and large SBOMs --------------------------------------------------------------

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _bench() -> object:
    """benchmarks/bench_sbom.py, which writes the same SBOM in every serialisation."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_sbom", BENCH / "bench_sbom.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_sbom", module)
    spec.loader.exec_module(module)
    return module


SERIALISATIONS = ["json", "yaml", "tag-value", "rdf"]


def _sbom(
    tmp_path: Path, fmt: str, count: int, engine_every: int = 10, all_redis: bool = False
) -> Path:
    bench: Any = _bench()
    name, writer = bench.WRITERS[fmt]
    items = list(bench.packages(count, engine_every, all_redis))
    return write(tmp_path, name, writer(items))


@pytest.mark.parametrize("fmt", SERIALISATIONS)
def test_every_serialisation_of_the_same_sbom_gives_the_same_components(
    tmp_path: Path, fmt: str
) -> None:
    path = _sbom(tmp_path, fmt, 40)
    components = collect(path)
    assert [(c.engine, c.version) for c in components] == [
        ("redis", "7.2.0"),
        ("redis", "7.3.2"),
        ("redis", "7.4.0"),
        ("redis", "7.2.2"),
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    for c in components:
        assert c.location is not None and c.location.line is not None
        assert "SPDXRef-Package-" in lines[c.location.line - 1]
        assert c.declared_license == "BSD-3-Clause"


@pytest.mark.parametrize("fmt", SERIALISATIONS)
def test_only_packages_that_could_be_engines_are_built(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """spdx-tools builds a model object per package: slow, so only for candidates."""
    from spdx_tools.spdx.model import Package

    built = []
    original = Package.__init__

    def counting(self: Package, *args: Any, **kwargs: Any) -> None:
        built.append(kwargs.get("name", args[1] if len(args) > 1 else None))
        original(self, *args, **kwargs)

    monkeypatch.setattr(Package, "__init__", counting)
    assert len(collect(_sbom(tmp_path, fmt, 200, engine_every=50))) == 4
    assert len(built) == 4


def test_tag_value_builds_the_license_parser_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """spdx-tools built a new license-expression Licensing per license field: 17 s/1,000."""
    import license_expression

    collect(_sbom(tmp_path, "tag-value", 3))  # warm: the one shared Licensing is built
    made = []
    original = license_expression.Licensing.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(license_expression.Licensing, "__init__", counting)
    assert len(collect(_sbom(tmp_path, "tag-value", 60, all_redis=True))) == 60
    assert made == []


def test_spdx_id_lines_are_indexed_once_not_searched_per_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With N packages named redis, a search per package was quadratic (40k: 122 s)."""
    import policycheck.sources.spdx.lines as spdx_lines
    import policycheck.sources.spdx.source as spdx

    def forbidden(text: str, spdx_id: str) -> int | None:
        raise AssertionError("whole-text search per package")

    monkeypatch.setattr(spdx, "line_of_spdx_id", forbidden)
    monkeypatch.setattr(spdx_lines, "line_of_spdx_id", forbidden)
    for fmt in SERIALISATIONS:
        components = collect(_sbom(tmp_path, fmt, 30, all_redis=True))
        assert len(components) == 30
        assert [c.location.line for c in components if c.location] == sorted(
            c.location.line for c in components if c.location
        )


def test_spdx_id_index_agrees_with_the_search() -> None:
    from policycheck.sources.spdx.source import SpdxIdLines

    text = (
        '{\n"SPDXID": "SPDXRef-redis-2",\n"SPDXID": "SPDXRef-redis",\n'
        "SPDXID: SPDXRef-tv\n"
        '<spdx:relatedSpdxElement rdf:resource="https://e.com/d#SPDXRef-rdf"/>\n'
        '<spdx:Package rdf:about="https://e.com/d#SPDXRef-rdf">\n'
        '<spdx:relatedSpdxElement rdf:resource="https://e.com/d#SPDXRef-ref-only"/>\n'
        '"SPDXID": "SPDXRef-redis",\n"SPDXID" : \'SPDXRef-odd id\'\n}\n'
        "<SPDXID>SPDXRef-xml</SPDXID>\n"
    )
    lines = SpdxIdLines(text)
    assert lines.line_of("https://e.com/d#SPDXRef-rdf") == 6  # declared, not referred to
    for spdx_id in (
        "SPDXRef-redis",
        "SPDXRef-redis-2",
        "SPDXRef-tv",
        "https://e.com/d#SPDXRef-rdf",
        "SPDXRef-missing",
        "SPDXRef-odd id",
        "SPDXRef-xml",
        "SPDXRef-ref-only",
    ):
        assert lines.line_of(spdx_id) == line_of_spdx_id(text, spdx_id), spdx_id


def test_many_packages_named_redis_take_linear_time(tmp_path: Path) -> None:
    path = _sbom(tmp_path, "json", 2_000, all_redis=True)
    assert len(collect(path)) == 2_000
    from policycheck.sources.spdx.source import SpdxIdLines

    count = 100_000  # a search per id took minutes here; one pass takes a fraction of a second
    text = "".join(
        f'    "SPDXID": "SPDXRef-Package-{i}",\n    "name": "redis",\n' for i in range(count)
    )
    start = time.perf_counter()
    lines = SpdxIdLines(text)
    assert [lines.line_of(f"SPDXRef-Package-{i}") for i in range(0, count, 997)] == [
        2 * i + 1 for i in range(0, count, 997)
    ]
    assert all(lines.line_of(f"SPDXRef-Package-{i}") == 2 * i + 1 for i in range(count))
    assert time.perf_counter() - start < 10  # generous


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns:spdx="http://spdx.org/rdf/terms#">
  <spdx:Package rdf:about="https://e.com/d#SPDXRef-x"><spdx:name>&d;</spdx:name></spdx:Package>
</rdf:RDF>
"""


@pytest.mark.parametrize("name", ["x.spdx.rdf", "x.spdx.rdf.xml", "x.spdx.xml"])
def test_xml_entity_declarations_are_refused(tmp_path: Path, name: str) -> None:
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        collect(write(tmp_path, name, BILLION_LAUGHS))
    assert time.perf_counter() - start < 5  # rdflib took 69 s on such a file
    assert "entity" in err.value.message.lower() and err.value.line == 3


def test_a_doctype_without_entities_is_read(tmp_path: Path) -> None:
    path = _sbom(tmp_path, "rdf", 10)
    text = path.read_text(encoding="utf-8").replace("<rdf:RDF", "<!DOCTYPE rdf:RDF>\n<rdf:RDF", 1)
    assert len(collect(write(tmp_path, "d.spdx.rdf.xml", text))) == 1


def test_yaml_aliases_of_one_package_give_one_component(tmp_path: Path) -> None:
    text = (FIXTURES / "edge.spdx.yaml").read_text(encoding="utf-8")
    text = text.replace("  - name: keydb", "  - &keydb\n    name: keydb")
    text = text.replace("relationships:", "  - *keydb\n" * 3000 + "relationships:")
    assert found(collect(write(tmp_path, "a.spdx.yaml", text))) == [
        ("keydb", "6.3.4", 13),  # one line down: the anchor has a line of its own
        ("memcached", "1.6.29", 22),
    ]


def test_a_yaml_alias_bomb_in_an_sbom_is_refused(tmp_path: Path) -> None:
    bomb = "x-bomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 8)
    )
    text = bomb + (FIXTURES / "edge.spdx.yaml").read_text(encoding="utf-8")
    with pytest.raises(InputError, match="alias expansion exceeds"):
        collect(write(tmp_path, "a.spdx.yaml", text))


@pytest.mark.parametrize(
    ("fmt", "old", "new"),
    [
        ("json", '"versionInfo": "7.2.0"', '"versionInfo": "7.2.0", "comment": ' + "9" * 5000),
        ("yaml", "versionInfo: '7.2.0'", "versionInfo: '7.2.0'\n    comment: " + "9" * 5000),
        ("json", '"versionInfo": "7.2.0"', '"versionInfo": ' + "7" * 5000),
        ("yaml", "versionInfo: '7.2.0'", "versionInfo: " + "7" * 5000),
        ("yaml", "created: 2025", "created: 2025-13-45T00:00:00Z\n  x: 2025"),
    ],
)
def test_huge_integers_and_impossible_dates_never_escape(
    tmp_path: Path, fmt: str, old: str, new: str
) -> None:
    path = _sbom(tmp_path, fmt, 1)
    text = path.read_text(encoding="utf-8")
    assert old in text
    try:
        components = collect(write(tmp_path, path.name, text.replace(old, new, 1)))
    except InputError as err:
        assert err.path == path.name and err.message
    else:
        assert [c.engine for c in components] == ["redis"]


def test_json_nested_too_deeply_is_an_input_error_with_its_line(tmp_path: Path) -> None:
    path = _sbom(tmp_path, "json", 1)
    text = path.read_text(encoding="utf-8").replace(
        '"name": "bench-sbom",', '"name": "bench-sbom",\n  "x": ' + "[" * 5000 + "]" * 5000 + ",", 1
    )
    with pytest.raises(InputError) as err:
        collect(write(tmp_path, path.name, text))
    assert "nests too deeply" in err.value.message and err.value.line == 6


@pytest.mark.parametrize(
    ("fmt", "old", "line_text"),
    [
        ("json", '"licenseDeclared": "BSD-3-Clause"', '"SPDXID": "SPDXRef-Package-0"'),
        ("yaml", "licenseDeclared: BSD-3-Clause", "- SPDXID: SPDXRef-Package-0"),
        ("tag-value", "PackageLicenseDeclared: BSD-3-Clause", "PackageLicenseDeclared: MIT AND ("),
    ],
)
def test_a_bad_license_expression_is_reported_with_its_line(
    tmp_path: Path, fmt: str, old: str, line_text: str
) -> None:
    path = _sbom(tmp_path, fmt, 3)
    new = old.replace("BSD-3-Clause", "MIT AND (")
    text = path.read_text(encoding="utf-8").replace(old, new, 1)
    with pytest.raises(InputError) as err:
        collect(write(tmp_path, path.name, text))
    assert err.value.line is not None
    assert line_text in text.splitlines()[err.value.line - 1]
    assert "MIT AND (" in err.value.message


@pytest.mark.parametrize("fmt", SERIALISATIONS)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_a_file_written_with_a_byte_order_mark_is_read(
    tmp_path: Path, fmt: str, encoding: str
) -> None:
    path = _sbom(tmp_path, fmt, 10)
    text = path.read_text(encoding="utf-8")
    if fmt == "rdf":
        text = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"', 1)
    path.write_bytes(text.encode(encoding))
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xef\xbb")
    decoded = path.read_bytes().decode(encoding)
    assert [c.engine for c in collect(path, decoded)] == ["redis"]
    assert [c.engine for c in collect(path, "\ufeff" + decoded.lstrip("\ufeff"))] == ["redis"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-be"])
def test_a_json_sbom_claimed_by_its_head_in_any_unicode_encoding(encoding: str) -> None:
    head = '\ufeff{\n  "spdxVersion": "SPDX-2.3",'.encode(encoding)
    assert SOURCE.claims(Path("bom.json"), head)
    assert not SOURCE.claims(Path("package.json"), '\ufeff{"name": "redis"}'.encode(encoding))


def test_a_json_sbom_with_sorted_keys_is_claimed_by_its_spdxid() -> None:
    head = b'{\n  "SPDXID": "SPDXRef-DOCUMENT",\n  "creationInfo": {'
    assert SOURCE.claims(Path("sbom.json"), head)
    assert not SOURCE.claims(Path("packages.json"), b'[{"SPDXID": "SPDXRef-Package-redis"}]')


def _catalog_names() -> list[str]:
    from policycheck.catalog import catalog

    names = []
    for engine in catalog().engines.values():
        names += [engine.id, *engine.aliases, *engine.images, *engine.derived_images]
    return names


def _catalog_purls() -> list[str]:
    from policycheck.catalog import catalog

    purls = []
    for engine in catalog().engines.values():
        owner, _, repo = engine.repository.partition("/")
        purls += [f"pkg:github/{owner}/{repo}@v1.0.0", f"pkg:deb/debian/{engine.id}@1.0-1"]
        for image in (*engine.images, *engine.derived_images):
            *path, name = image.split("/")
            namespace = "/".join(path[1:] if "." in path[0] else path) if path else ""
            registry = f"?repository_url={path[0]}" if path and "." in path[0] else ""
            purls.append(f"pkg:docker/{namespace + '/' if namespace else ''}{name}@1.0{registry}")
    return purls


@settings(max_examples=300, deadline=None)
@given(
    name=st.one_of(st.sampled_from(_catalog_names()), st.text(max_size=20)),
    purls=st.lists(
        st.one_of(
            st.sampled_from(_catalog_purls()),
            st.sampled_from(_catalog_purls()).map(lambda p: p.upper()),
            st.sampled_from(_catalog_purls()).map(lambda p: p.replace("e", "%65")),
            st.text(max_size=30).map(lambda t: "pkg:" + t),
        ),
        max_size=2,
    ),
)
def test_the_cheap_package_filter_never_drops_what_the_matcher_accepts(
    name: str, purls: list[str]
) -> None:
    from policycheck.sources.spdx.match import could_be_engine, match_names

    if match_names(name, purls) is not None:
        assert could_be_engine(name, purls)


def test_every_catalogued_name_and_purl_passes_the_cheap_filter() -> None:
    from policycheck.sources.spdx.match import could_be_engine, match_names

    matched_names = [n for n in _catalog_names() if match_names(n, []) is not None]
    assert len(matched_names) > len(_catalog_names()) // 2  # derived images are not names
    assert all(could_be_engine(n, []) for n in matched_names)
    matched = [p for p in _catalog_purls() if match_names("x", [p]) is not None]
    assert len(matched) > len(_catalog_purls()) // 2  # most spellings above name an engine
    assert all(could_be_engine("x", [p]) for p in matched)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_tag_value_with_windows_line_ends(tmp_path: Path, encoding: str) -> None:
    text = (FIXTURES / "cache-host.spdx").read_text(encoding="utf-8").replace("\n", "\r\n")
    path = tmp_path / "host.spdx"
    path.write_bytes(text.encode(encoding))
    decoded = path.read_bytes().decode(encoding)
    assert found(collect(path, decoded)) == [("redis", "7.4.0", 11), ("redis", "7.2.5", 30)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_plain_xml_sbom_is_read_from_the_text_given(tmp_path: Path, encoding: str) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.writer.xml import xml_writer

    document = parse_file(str(FIXTURES / "app-image.spdx.json"))
    path = tmp_path / "image.spdx.xml"
    xml_writer.write_document_to_file(document, str(path), validate=False)
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.replace('encoding="utf-8"', f'encoding="{encoding}"').encode(encoding))
    components = collect(path, path.read_bytes().decode(encoding))
    expected = collect(FIXTURES / "app-image.spdx.json")
    assert sorted((c.engine, c.version or "") for c in components) == sorted(
        (c.engine, c.version or "") for c in expected
    )
    lines = text.splitlines()
    assert all(c.location and "SPDXRef-" in lines[(c.location.line or 0) - 1] for c in components)


def test_a_yaml_package_whose_name_is_an_alias_is_still_an_engine(tmp_path: Path) -> None:
    text = (FIXTURES / "edge.spdx.yaml").read_text(encoding="utf-8")
    text = "x-names: {server: &server memcached}\n" + text.replace(
        "  - name: memcached", "  - name: *server"
    )
    text = text.replace("SPDXRef-memcached", "SPDXRef-cache").replace("keydb", "k%65ydb")
    assert "memcached" not in text.split("packages:")[1]  # only the alias says it
    assert "keydb" not in text
    assert [(c.engine, c.version) for c in collect(write(tmp_path, "a.spdx.yaml", text))] == [
        ("keydb", "6.3.4"),
        ("memcached", "1.6.29"),
    ]


def _image_sbom(purls: list[tuple[str, str]]) -> str:
    packages = ",\n".join(
        f'{{"SPDXID": "SPDXRef-p{i}", "name": "{name}", "downloadLocation": "NOASSERTION", '
        f'"externalRefs": [{{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", '
        f'"referenceLocator": "{purl}"}}]}}'
        for i, (name, purl) in enumerate(purls)
    )
    return (
        '{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", '
        '"name": "images", "documentNamespace": "https://example.com/images", '
        '"creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: t"]}, '
        f'"packages": [\n{packages}\n]}}\n'
    )


def test_image_purls_are_read_as_the_image_rules_read_them(tmp_path: Path) -> None:
    """An SBOM names the same images a manifest does: KeyDB's prefixed tags, images whose
    tag is their own version, and mirrors, read by the one set of image rules."""
    path = write(
        tmp_path,
        "images.spdx.json",
        _image_sbom(
            [
                ("eqalpha/keydb", "pkg:docker/eqalpha/keydb@x86_64_v6.3.4"),
                ("goharbor/redis-photon", "pkg:docker/goharbor/redis-photon@v2.10.0"),
                (
                    "library/redis",
                    "pkg:docker/dockerhub/library/redis@7.2.4"
                    "?repository_url=artifactory.corp.example",
                ),
            ]
        ),
    )
    components = collect(path)
    assert [(c.engine, c.version) for c in components] == [
        ("keydb", "6.3.4"),
        ("redis", None),  # Harbor's own image: its tag is Harbor's version, never Redis 2.10
        ("redis", "7.2.4"),
    ]
    assert components[1].unresolved is not None and "own" in components[1].unresolved
