"""The one small interface every input kind implements."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from policycheck.model import Component

#: Cheap prefilter: a file that mentions none of these words cannot deploy an engine.
ENGINE_WORDS = re.compile(
    rb"redis|valkey|dragonfly|keydb|garnet|kvrocks|memcache|elasticache|memorystore|loadmodule",
    re.IGNORECASE,
)


class Source(ABC):
    """Finds deployed engines in one kind of file.

    ``claims`` must be cheap (file name, extension, a look at the first bytes): the
    walker calls it for every file. ``collect`` parses one claimed file and yields
    Components with locations; it raises ``InputError`` (path, line, what to fix) for
    malformed input and never lets a library exception escape.
    """

    #: Short name shown in reports and --help, e.g. "kubernetes".
    name: str = ""
    #: Lower claims first: specific kinds (compose, Helm values) before generic YAML.
    priority: int = 50

    @abstractmethod
    def claims(self, path: Path, head: bytes) -> bool:
        """True when this source parses ``path``; ``head`` is the file's first 4 KiB."""

    @abstractmethod
    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Yield the engines deployed by the file; ``display`` is the path to report."""

    def needs_prefilter(self) -> bool:
        """Whether files without an engine word can be skipped unparsed (true for most)."""
        return True
