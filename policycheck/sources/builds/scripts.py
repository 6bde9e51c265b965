"""Shell scripts a repository runs: engines they build from source or install as packages.

Provisioning scripts deploy engines as surely as manifests do: discourse's base image
runs ``install-redis``, which downloads a Redis release tarball and builds it. A
script is read (never run) for downloads of an engine's published sources or
releases and for distribution package installs (see ``commands``). A version variable
alone (``REDIS_VERSION=7.2.4`` without a download) is no finding: a client library's
build may set one too.

Claimed by name: ``*.sh``, ``*.bash``, and files without an extension whose first
line is a shell shebang (``install-redis``, ``bin/setup``). Parsed only when the file
names an engine and downloads or installs something.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from pathlib import Path

from policycheck.model import Component
from policycheck.sources.builds.commands import Scanner, default_reason, rules
from policycheck.sources.builds.shellwords import Scope
from policycheck.sources.interface import Source, mentions_engine

_SHEBANG = re.compile(
    rb"#![ \t]*(?:/usr)?(?:/local)?/bin/(?:env[ \t]+(?:-\S+[ \t]+)*)?(?:ba|da|z|k|a)?sh\b"
)
#: Extensionless names that are never shell scripts (not even opened for a shebang).
_NOT_SCRIPTS = frozenset(
    {
        "license", "licence", "copying", "notice", "readme", "authors", "contributors",
        "changelog", "changes", "codeowners", "owners", "makefile", "gnumakefile",
        "dockerfile", "containerfile", "jenkinsfile", "vagrantfile", "procfile", "gemfile",
        "rakefile", "brewfile", "justfile", "version", "maintainers", "security", "todo",
    }
)  # fmt: skip
#: Words a file must contain (lower-cased) besides an engine name to be worth parsing:
#: an address to download from, or a package manager.
_ACTIONS = (b"://", b"apt", b"apk", b"dnf", b"yum")


class ShellSource(Source):
    """Shell scripts: source builds and distribution packages of engines."""

    name = "shell"
    priority = 60

    def may_claim(self, name: str) -> bool:
        """``*.sh``, ``*.bash`` and extensionless names (decided by their first line)."""
        if name.endswith((".sh", ".bash")):
            return True
        return "." not in name and name not in _NOT_SCRIPTS

    def claims(self, path: Path, head: bytes) -> bool:
        """By extension, or by a ``#!`` line naming sh, bash, dash, ash, zsh or ksh."""
        name = path.name.lower()
        if not self.may_claim(name):
            return False
        if name.endswith((".sh", ".bash")):
            return True
        return _SHEBANG.match(head) is not None

    def worth_parsing(self, lowered: bytes) -> bool:
        """An engine word and something that downloads or installs."""
        if not mentions_engine(lowered):
            return False
        for action in _ACTIONS:  # noqa: SIM110 - a loop, not any(): no generator per file
            if action in lowered:
                return True
        return False

    def prepare(self) -> None:
        """Compile the catalog's download addresses before workers fork."""
        rules()

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Yield each engine the script builds from source or installs as a package."""
        lines = _LineIndex(text)
        scanner = Scanner(display, lines.line_at, default_reason)
        scanner.scan(text, Scope())
        yield from scanner.found


class _LineIndex:
    """Offset -> line number, built on first use (most scripts yield nothing)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines: list[int] | None = None

    def line_at(self, offset: int) -> int:
        if self.newlines is None:
            self.newlines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self.newlines, offset) + 1


SOURCE = ShellSource()
