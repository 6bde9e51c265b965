"""The walker: safe walks, the cheap questions before parsing, and parallel scans."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from policycheck import walk
from policycheck.catalog import catalog
from policycheck.errors import InputError
from policycheck.sources.interface import mentions_engine
from policycheck.sources.kubernetes import OPERATOR_KINDS
from policycheck.sources.kubernetes import SOURCE as KUBERNETES

FIXTURES = Path(__file__).parent / "fixtures"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache
spec:
  template:
    spec:
      containers:
        - name: cache
          image: redis:7.2.4
"""


def _paths(result: walk.ScanResult) -> list[str]:
    return [c.location.path for c in result.components if c.location is not None]


def test_skips_vcs_and_dependency_folders_and_excludes(tmp_path: Path) -> None:
    for folder in ("deploy", ".git", "node_modules", "vendor", "old"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "cache.yaml").write_text(DEPLOYMENT)
    result = walk.scan_paths([str(tmp_path)], exclude=("old",))
    assert [Path(p).parent.name for p in _paths(result)] == ["deploy"]
    result = walk.scan_paths([str(tmp_path)], exclude=("deploy/*.yaml",))
    assert [Path(p).parent.name for p in _paths(result)] == ["old"]


def test_symlinks_are_followed_inside_the_root_only(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "cache.yaml").write_text(DEPLOYMENT)
    (root / "real.yaml").write_text(DEPLOYMENT)
    (root / "inside-link.yaml").symlink_to(root / "real.yaml")
    (root / "outside-link.yaml").symlink_to(outside / "cache.yaml")
    (root / "dir-link").symlink_to(outside, target_is_directory=True)
    (root / "dangling.yaml").symlink_to(root / "missing.yaml")
    result = walk.scan_paths([str(root)])
    assert sorted(Path(p).name for p in _paths(result)) == ["inside-link.yaml", "real.yaml"]
    assert result.errors == []


def test_display_paths_keep_the_target_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "cache.yaml").write_text(DEPLOYMENT)
    monkeypatch.chdir(tmp_path)
    assert _paths(walk.scan_paths(["."])) == ["k8s/cache.yaml"]
    assert _paths(walk.scan_paths(["k8s/"])) == ["k8s/cache.yaml"]
    assert _paths(walk.scan_paths(["k8s/cache.yaml"])) == ["k8s/cache.yaml"]


def test_a_folder_that_cannot_be_listed_is_an_error_not_a_gap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "cache.yaml").write_text(DEPLOYMENT)
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(walk.os, "scandir", scandir)
    result = walk.scan_paths([str(tmp_path)])
    assert len(result.components) == 1
    (error,) = result.errors
    assert error.path == f"{tmp_path}/locked"
    assert "cannot list folder" in error.message


def test_files_no_source_reads_are_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name decides first: code and docs that mention redis are not even read."""
    (tmp_path / "README.md").write_text("We run redis:7.4.0 in production.\n")
    (tmp_path / "client.py").write_text('REDIS = "redis:7.4.0"\n')
    (tmp_path / "cache.yaml").write_text(DEPLOYMENT)
    opened: list[str] = []

    real_open = walk._open

    def spy(file: str) -> int:
        opened.append(Path(file).name)
        return real_open(file)

    monkeypatch.setattr(walk, "_open", spy)  # the walker's own opens
    result = walk.scan_paths([str(tmp_path)])
    assert opened == ["cache.yaml"]
    assert len(result.components) == 1


def test_manifest_mentioning_an_engine_only_in_env_is_not_parsed() -> None:
    app = DEPLOYMENT.replace("redis:7.2.4", "acme/api:1.0") + (
        "          env:\n            - name: REDIS_HOST\n              value: cache\n"
    )
    assert mentions_engine(app.lower().encode())
    assert not KUBERNETES.worth_parsing(app.lower().encode())
    for image_line in (
        "image: redis:7.2.4",
        "image: *cacheImage",
        "image:",
        'image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
        "kind: RedisCluster",
        '"image": "valkey/valkey:8.1"',
    ):
        text = f"{app}# and\n{image_line}\n".lower().encode()
        assert KUBERNETES.worth_parsing(text), image_line


def test_prefilter_cannot_hide_a_catalogued_image_or_operator() -> None:
    """Every image and operator kind the scanners recognise contains an engine word,
    so skipping files without one can never skip a deployment."""
    for engine in catalog().engines.values():
        for image in (*engine.images, *engine.derived_images):
            assert mentions_engine(image.lower().encode()), image
    for _group, kind in OPERATOR_KINDS:
        assert mentions_engine(kind.lower().encode()), kind


def test_input_error_survives_pickling_between_processes() -> None:
    error = InputError("not valid HCL2", "infra/main.tf", 7, "run terraform fmt")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.path, copy.line, copy.hint) == (
        "not valid HCL2",
        "infra/main.tf",
        7,
        "run terraform fmt",
    )


def test_parallel_scan_gives_the_same_result_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, tree, symlinks=True)
    (tree / "broken.yaml").write_text(DEPLOYMENT + "          ports: [6379\n")
    sequential = walk.scan_paths([str(tree)], jobs=1)
    monkeypatch.setattr(walk, "CHUNK_FILES", 3)
    parallel = walk.scan_paths([str(tree)], jobs=2)
    assert len(sequential.components) > 10
    assert any(e.path and e.path.endswith("broken.yaml") for e in sequential.errors)
    assert parallel.components == sequential.components
    assert [str(e) for e in parallel.errors] == [str(e) for e in sequential.errors]
    assert parallel.files == sequential.files


def test_large_tree_streams_to_workers_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the threshold the walk feeds worker processes; nothing is lost or reordered."""
    for index in range(30):
        folder = tmp_path / f"svc-{index:02d}"
        folder.mkdir()
        version = f"7.2.{index % 5}"
        (folder / "cache.yaml").write_text(DEPLOYMENT.replace("7.2.4", version))
        (folder / "notes.md").write_text("redis everywhere\n")
    (tmp_path / "svc-07" / "cache.yaml").write_text(DEPLOYMENT + "          ports: [6379\n")
    sequential = walk.scan_paths([str(tmp_path)], jobs=1)
    monkeypatch.setattr(walk, "PARALLEL_MIN_FILES", 5)
    monkeypatch.setattr(walk, "CHUNK_FILES", 4)
    monkeypatch.setattr(walk, "_processes", lambda jobs: 2)
    streamed = walk.scan_paths([str(tmp_path)])
    assert [c.version for c in streamed.components] == [c.version for c in sequential.components]
    assert len(streamed.components) == 29
    assert streamed.components == sequential.components
    assert [str(e) for e in streamed.errors] == [str(e) for e in sequential.errors]
    assert len(streamed.errors) == 1


def test_jobs_option_gives_the_same_report_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from policycheck.cli import main

    args = ["check", str(FIXTURES), "--format", "json", "--as-of", "2026-11-27"]
    outputs = []
    for jobs, chunk in (("1", 64), ("2", 64), ("2", 1), ("3", 5)):
        monkeypatch.setattr(walk, "CHUNK_FILES", chunk)
        code = main([*args, "--jobs", jobs])
        outputs.append((code, capsys.readouterr().out))
    assert all(output == outputs[0] for output in outputs)
    assert '"findings"' in outputs[0][1]
    assert main([*args, "--jobs", "0"]) == 2
    assert "--jobs" in capsys.readouterr().err


def test_a_worker_that_dies_does_not_hang_or_lose_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash in a worker (a parser's C code, the OOM killer) breaks the pool; the
    broken chunks are scanned again in this process, and nothing is lost."""
    for index in range(12):
        (tmp_path / f"svc-{index:02d}.yaml").write_text(DEPLOYMENT)
    (tmp_path / "svc-05.yaml").write_text(DEPLOYMENT.replace("7.2.4", "7.4.0"))
    parent = os.getpid()
    real_scan_file = walk.scan_file

    def crash_in_workers(
        file: str | Path, display: str, result: walk.ScanResult, *args: object
    ) -> None:
        if os.getpid() != parent and str(file).endswith("svc-05.yaml"):
            os._exit(1)
        real_scan_file(file, display, result)

    monkeypatch.setattr(walk, "scan_file", crash_in_workers)
    monkeypatch.setattr(walk, "CHUNK_FILES", 2)
    result = walk.scan_paths([str(tmp_path)], jobs=2)
    assert [c.version for c in result.components] == ["7.2.4"] * 5 + ["7.4.0"] + ["7.2.4"] * 6
    assert result.errors == []


def test_chunks_keep_a_chart_together_up_to_four_times_their_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker that meets a chart's templates parses its values.yaml: a chart split
    across two chunks may be parsed by both workers."""
    monkeypatch.setattr(walk, "CHUNK_FILES", 3)
    names = [
        "a/Chart.yaml",
        "a/values.yaml",
        "a/templates/one.yaml",
        "a/templates/two.yaml",
        "a/templates/sub/three.yaml",
        "b/values.yaml",
        "b/templates/one.yaml",
        *(f"c/templates/t{i:02d}.yaml" for i in range(14)),
        "d/x.yaml",
    ]
    work = [(name, name, False, ".") for name in names]
    chunks = [[display for _, display, *_ in chunk] for chunk in walk._chunks(iter(work))]
    assert [name for chunk in chunks for name in chunk] == names  # nothing lost, in order
    assert chunks[0] == names[:5]  # chart a whole, past CHUNK_FILES
    assert chunks[1][:2] == ["b/values.yaml", "b/templates/one.yaml"]
    assert max(len(chunk) for chunk in chunks) == 12  # a long chart is cut at 4x
    assert chunks[-1][-1] == "d/x.yaml"


def test_short_reads_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read may return fewer bytes than asked (network filesystems do): a manifest
    behind a long licence header, and a long one, are still read whole."""
    header = "".join(f"# licence line {n}\n" for n in range(600))  # over 4 KiB
    (tmp_path / "cache.yaml").write_text(header + DEPLOYMENT)
    (tmp_path / "big.yaml").write_text(DEPLOYMENT + "".join(f"# {n}\n" for n in range(5000)))
    expected = walk.scan_paths([str(tmp_path)], jobs=1)
    real_read = os.read

    def short_read(handle: int, size: int) -> bytes:
        return real_read(handle, min(size, 1000))

    monkeypatch.setattr(os, "read", short_read)
    result = walk.scan_paths([str(tmp_path)], jobs=1)
    assert [c.location for c in result.components] == [c.location for c in expected.components]
    assert len(result.components) == 2
    assert result.files == expected.files


def test_the_scan_tunes_the_garbage_collector_and_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    (tmp_path / "cache.yaml").write_text(DEPLOYMENT)
    seen: list[tuple[int, ...]] = []
    real = walk.scan_file

    def spy(*args: object, **kwargs: object) -> None:
        seen.append(gc.get_threshold())
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(walk, "scan_file", spy)
    before = gc.get_threshold()
    walk.scan_paths([str(tmp_path)], jobs=1)
    assert seen == [walk.SCAN_GC_THRESHOLD]
    assert gc.get_threshold() == before != walk.SCAN_GC_THRESHOLD
