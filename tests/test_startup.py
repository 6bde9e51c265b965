"""Start-up: a check of one component imports only what it uses.

``check redis@7.4.0`` runs in CI steps and editor integrations many times a day; its
cost should be that of starting Python with click and PyYAML. Heavy libraries are
imported where they are used: jsonschema only when data not validated before must be
(see ``data.check_bundled``), a formatter only when its format is asked for, the
process pool only when a tree is large enough for workers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from policycheck.formats import FORMAT_MODULES, all_formats, load_format

HEAVY = ("jsonschema", "multiprocessing", "concurrent.futures", "xml.etree", "html.parser")


def test_format_table_matches_the_discovered_formats() -> None:
    assert sorted(FORMAT_MODULES) == sorted(all_formats())
    for name, formatter in all_formats().items():
        assert load_format(name) is formatter


def _imported_after_check(cache: Path, *args: str) -> set[str]:
    code = (
        "import sys, io, contextlib\n"
        "from policycheck.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({list(args)!r})\n"
        "print(code, *sorted(sys.modules))\n"
    )
    env = {"POLICYCHECK_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout.split()
    assert out[0] == "0"
    return set(out[1:])


def test_checking_one_component_imports_no_heavy_library_once_data_is_known_valid(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    first = _imported_after_check(cache, "check", "redis@7.4.0")
    assert "jsonschema" in first  # the first run validates the bundled data and policy
    again = _imported_after_check(cache, "check", "redis@7.4.0")
    assert [m for m in HEAVY if m in again] == []
    assert sorted(m for m in again if m.startswith("policycheck.formats.")) == [
        "policycheck.formats.interface",
        "policycheck.formats.text",
    ]
