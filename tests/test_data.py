"""Bundled data: checked against its schemas, and loaded without jsonschema."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from policycheck import data
from policycheck.cli import main
from policycheck.errors import DataError
from policycheck.yamlload import load_text


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh validation cache folder for the test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(data.CACHE_VARIABLE, str(folder))
    data.check_bundled.cache_clear()
    yield folder
    data.check_bundled.cache_clear()


def test_every_bundled_file_satisfies_its_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.CACHE_VARIABLE, "")  # no cache: validate every file now
    data.check_bundled.cache_clear()
    data.check_bundled()  # raises DataError otherwise
    root = data.data_dir("licenses")
    assert len(list(root.glob("engines/*.yaml"))) >= 10
    assert len(list(root.glob("licenses/*.yaml"))) >= 10


def test_a_schema_violation_in_bundled_data_is_a_data_error_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    copy = tmp_path / "licenses"
    shutil.copytree(data.data_dir("licenses"), copy)
    engine = copy / "engines" / "valkey.yaml"
    engine.write_text(engine.read_text() + "unexpected_key: 1\n")
    monkeypatch.setattr(data, "data_dir", lambda name: tmp_path / name)
    data.check_bundled.cache_clear()
    try:
        with pytest.raises(DataError) as info:
            data.check_bundled()
    finally:
        data.check_bundled.cache_clear()
    assert info.value.path is not None and info.value.path.endswith("valkey.yaml")
    assert info.value.line == len(engine.read_text().splitlines())
    assert "unexpected_key" in info.value.message


def _count_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = data.schema_errors

    def counting(doc: object, schema_name: str) -> list[object]:
        seen.append(schema_name)
        return real(doc, schema_name)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "schema_errors", counting)
    return seen


def test_bundled_data_is_validated_once_per_content_then_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    copy = tmp_path / "licenses"
    shutil.copytree(data.data_dir("licenses"), copy)
    monkeypatch.setattr(data, "data_dir", lambda name: tmp_path / name)
    seen = _count_validations(monkeypatch)
    data.check_bundled()
    validated = len(seen)
    assert validated == len(list(copy.rglob("*.yaml"))) - 1  # judgements.yaml has no schema
    data.check_bundled.cache_clear()
    data.check_bundled()  # a second run: the same content, nothing validated
    assert len(seen) == validated
    assert [p.name.split("-")[0] for p in cache.iterdir()] == ["bundled"]
    # An edit, even one that keeps the file valid, is validated again ...
    engine = copy / "engines" / "valkey.yaml"
    engine.write_text(engine.read_text() + "# reviewed\n")
    data.check_bundled.cache_clear()
    data.check_bundled()
    assert len(seen) == 2 * validated
    # ... and an edit that breaks it is a DataError on every run, never remembered.
    engine.write_text(engine.read_text() + "unexpected_key: 1\n")
    for _ in range(2):
        data.check_bundled.cache_clear()
        with pytest.raises(DataError):
            data.check_bundled()


def test_without_a_writable_cache_folder_every_run_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(data.CACHE_VARIABLE, str(blocker / "cache"))  # under a file: unwritable
    seen = _count_validations(monkeypatch)
    for _ in range(2):
        data.check_bundled.cache_clear()
        data.check_bundled()
    data.check_bundled.cache_clear()
    assert len(seen) == 2 * len(data._bundled_files())


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.CACHE_VARIABLE, "")
    assert data.cache_dir() is None
    monkeypatch.delenv(data.CACHE_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert data.cache_dir() == Path("/somewhere/policycheck")


def test_a_policy_is_schema_checked_once_per_content_and_errors_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    from policycheck.policy import check_policy

    seen = _count_validations(monkeypatch)
    policy = tmp_path / "mine.yaml"
    policy.write_text((data.data_dir("policies") / "default.yaml").read_text())
    assert not isinstance(check_policy(str(policy)), list)
    assert not isinstance(check_policy(str(policy)), list)
    assert seen == ["policy"]
    policy.write_text("schema_version: 1\nname: bad\nuses: [internal]\nrules: 7\n")
    for _ in range(2):
        errors = check_policy(str(policy))
        assert isinstance(errors, list) and errors[0].line == 4
    assert seen == ["policy"] * 3


def test_catalog_and_knowledge_load_without_importing_jsonschema() -> None:
    """What workers need is ready before jsonschema (about 0.05 s) is imported."""
    code = (
        "import sys\n"
        "import policycheck.cli\n"
        "from policycheck.catalog import catalog\n"
        "from policycheck.images import warm_up\n"
        "catalog(); warm_up()\n"
        "print('jsonschema' in sys.modules, 'referencing' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_bad_policy_is_reported_even_when_loaded_during_a_scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "compose.yaml").write_text("services:\n  cache:\n    image: redis:7.4.0\n")
    policy = tmp_path / "bad.yaml"
    policy.write_text("schema_version: 1\nname: bad\nuses: [internal]\nrules: 7\n")
    code = main(["check", str(tree), "--policy", str(policy), "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{policy}:4" in err


def _bundled_yaml() -> list[Path]:
    root = Path(__file__).resolve().parents[1]
    return sorted([*root.glob("licenses/**/*.yaml"), *root.glob("policies/**/*.yaml")])


@pytest.mark.parametrize("path", _bundled_yaml(), ids=lambda p: p.name)
def test_no_free_text_in_bundled_data_is_cut_by_a_comment(path: Path) -> None:
    """An unquoted `` #`` in a YAML scalar starts a comment: the rest of the sentence
    would silently vanish from every report that quotes it. Such text must be quoted."""
    import re

    import yaml

    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    cut = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.ScalarEvent) and event.style is None:
            end = event.end_mark
            rest = lines[end.line][end.column :] if end.line < len(lines) else ""
            if re.match(r"\s+#", rest):
                cut.append(f"{path.name}:{end.line + 1}: ...{event.value[-30:]!r} then {rest!r}")
    assert cut == []


def test_built_data_is_remembered_by_content_and_only_from_a_trusted_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from policycheck.data import remembered

    cache = tmp_path / "cache"
    monkeypatch.setenv("POLICYCHECK_CACHE_DIR", str(cache))
    source = tmp_path / "facts.yaml"
    source.write_text("a: 1\n")
    calls: list[int] = []

    def build() -> dict[str, int]:
        calls.append(1)
        return {"built": len(calls)}

    assert remembered("t", [source], build) == {"built": 1}
    assert remembered("t", [source], build) == {"built": 1}  # from the cache
    assert len(calls) == 1
    (stored,) = cache.glob("t-*.pickle")
    stored.chmod(0o666)  # others may write it: not trusted, rebuilt
    assert remembered("t", [source], build) == {"built": 2}
    source.write_text("a: 2\n")  # new content, new digest
    assert remembered("t", [source], build) == {"built": 3}
    monkeypatch.setenv("POLICYCHECK_CACHE_DIR", "")  # no cache: every call builds
    assert remembered("t", [source], build) == {"built": 4}


def test_the_remembered_catalog_is_the_catalog_built_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from policycheck import catalog as catalog_module

    monkeypatch.setenv("POLICYCHECK_CACHE_DIR", str(tmp_path))
    catalog_module.catalog.cache_clear()
    try:
        built = catalog_module.catalog()
        catalog_module.catalog.cache_clear()
        again = catalog_module.catalog()  # read back from the pickle
        assert again is not built and again == built
        assert list(tmp_path.glob("catalog-*.pickle"))
    finally:
        catalog_module.catalog.cache_clear()


def test_advice_kept_across_runs_gives_the_same_report_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Suggestions remembered in the cache folder change nothing in the report; a cache
    for another date or policy is not reused."""
    args = ["check", "redis@7.4.0", "dragonfly@v1.25.0", "valkey@9.1.0", "--format", "json"]

    def report(cache: str, as_of: str = "2026-11-27") -> str:
        monkeypatch.setenv("POLICYCHECK_CACHE_DIR", cache)
        main([*args, "--as-of", as_of])
        return capsys.readouterr().out

    fresh = report("")
    assert report(str(tmp_path)) == fresh  # builds and keeps
    assert list(tmp_path.glob("advice-*.pickle"))
    assert report(str(tmp_path)) == fresh  # reads back
    later = report(str(tmp_path), "2028-12-01")  # Dragonfly converted: other advice
    assert later == report("", "2028-12-01") and later != fresh
    assert len(list(tmp_path.glob("advice-*.pickle"))) == 2


def test_the_cache_folder_keeps_the_newest_files_of_each_kind(tmp_path: Path) -> None:
    """Every upgrade, policy edit or date makes new cache files: each new one prunes the
    oldest of its kind beyond the limit, and leaves the other kinds alone."""
    keep = data.CACHE_KEEP_PER_KIND
    for i in range(keep + 5):
        old = tmp_path / f"advice-{i:03d}.pickle"
        old.write_bytes(b"x")
        os.utime(old, ns=(10**18 + i, 10**18 + i))  # older names, older files
    other = tmp_path / "document-abc.valid"
    other.touch()
    os.utime(other, ns=(1, 1))  # the oldest file of all, of another kind
    stale = tmp_path / ".advice-dead.pickle.123"  # an interrupted write, long ago
    stale.write_bytes(b"half")
    os.utime(stale, ns=(1, 1))
    fresh = tmp_path / ".advice-live.pickle.456"  # a write in progress elsewhere
    fresh.write_bytes(b"half")

    data.Store(tmp_path / "advice-new.pickle").save({"kept": True})

    advice = sorted(p.name for p in tmp_path.glob("advice-*"))
    assert len(advice) == keep
    assert "advice-new.pickle" in advice
    assert "advice-000.pickle" not in advice and "advice-036.pickle" in advice
    assert other.exists() and fresh.exists() and not stale.exists()
    assert data.Store(tmp_path / "advice-new.pickle").load() == {"kept": True}


def test_markers_prune_their_kind_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.CACHE_VARIABLE, str(tmp_path))
    for i in range(data.CACHE_KEEP_PER_KIND + 3):
        marker = tmp_path / f"document-{i:03d}.valid"
        marker.touch()
        os.utime(marker, ns=(10**18 + i, 10**18 + i))
    text = "waivers: []\n"
    assert data.schema_errors_once(load_text(text, "w.yaml"), "waivers", text.encode()) == []
    markers = list(tmp_path.glob("document-*"))
    assert len(markers) == data.CACHE_KEEP_PER_KIND
    assert not (tmp_path / "document-000.valid").exists()
