"""Helper files are read only where they resolve inside the manifest's folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from policycheck.sources import _helper_files as helpers


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    root = tmp_path / "chart"
    (root / "templates" / "sub").mkdir(parents=True)
    (root / "templates" / "_helpers.tpl").write_text('{{- define "x" }}{{ end }}\n')
    (root / "templates" / "sub" / "_deep.tpl").write_text("\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.tpl").write_text("secret\n")
    return root


def test_a_file_below_the_folder_is_inside(chart: Path) -> None:
    assert helpers.inside(chart / "templates" / "_helpers.tpl", chart)
    assert helpers.inside(chart / "templates" / "sub" / "_deep.tpl", chart)


def test_a_symlinked_step_leading_out_is_not_inside(chart: Path) -> None:
    """Written below the folder, but a folder on the way is a link to elsewhere."""
    os.symlink(chart.parent / "outside", chart / "templates" / "linked")
    assert not helpers.inside(chart / "templates" / "linked" / "secret.tpl", chart)
    os.symlink(chart.parent / "outside" / "secret.tpl", chart / "templates" / "_link.tpl")
    assert not helpers.inside(chart / "templates" / "_link.tpl", chart)


def test_a_symlink_that_stays_inside_is_inside(chart: Path) -> None:
    os.symlink(chart / "templates" / "sub", chart / "templates" / "alias")
    assert helpers.inside(chart / "templates" / "alias" / "_deep.tpl", chart)


def test_dot_dot_is_resolved_not_trusted(chart: Path) -> None:
    path = chart / "templates" / ".." / ".." / "outside" / "secret.tpl"
    assert not helpers.inside(path, chart)
    assert helpers.inside(chart / "templates" / ".." / "templates" / "_helpers.tpl", chart)


def test_a_folder_reached_through_a_symlink_keeps_its_files_inside(tmp_path: Path) -> None:
    """The folder itself may be a link (a vendored chart): what is below it is inside."""
    real = tmp_path / "real"
    (real / "templates").mkdir(parents=True)
    (real / "templates" / "_helpers.tpl").write_text("\n")
    os.symlink(real, tmp_path / "link")
    assert helpers.inside(tmp_path / "link" / "templates" / "_helpers.tpl", tmp_path / "link")
