"""The one interface every output format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

from policycheck.report import Report


class Formatter(ABC):
    """Renders a Report as text in one format. Output must be deterministic."""

    #: The --format value, e.g. "json".
    name: str = ""
    #: One line for --help.
    description: str = ""

    @abstractmethod
    def render(self, report: Report) -> str:
        """The whole document, ending with a newline."""

    def render_bytes(self, report: Report) -> bytes:
        """``render`` as the UTF-8 bytes written out. A format that builds its document
        as bytes returns them as they are: a large JSON report took longer to decode
        and encode again than to build."""
        return self.render(report).encode("utf-8")
