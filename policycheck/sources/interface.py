"""The one small interface every input kind implements."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, AnyStr

from policycheck import images
from policycheck.model import Component

if TYPE_CHECKING:
    from ahocorasick_rs import BytesAhoCorasick

#: A file that mentions none of these words (in any case) cannot deploy an engine.
ENGINE_WORDS: tuple[bytes, ...] = (
    b"redis",
    b"valkey",
    b"dragonfly",
    b"keydb",
    b"garnet",
    b"kvrocks",
    b"memcache",
    b"elasticache",
    b"memorystore",
    b"loadmodule",
    # the wider relicensing wave: images and names of the products catalogued beside Redis
    b"sentry",
    b"scylla",
    b"cockroach",
    b"akka",
    b"confluent",
    b"ksql",
    b"kafka-rest",
    b"schema-registry",
    b"timescale",
    b"couchbase",
    b"maxscale",
    b"redpanda",
    b"n8n",
    b"airbyte",
    b"liquibase",
    b"emqx",
    # HashiCorp's products and their forks
    b"terraform",
    b"opentofu",
    b"vault",
    b"openbao",
    b"consul",
    b"nomad",
    b"packer",
    b"boundary",
    b"waypoint",
    b"elasticsearch",
    b"kibana",
    b"opensearch",
    b"mongo",
    b"grafana",
    b"loki",
    b"tempo",
    b"mimir",
    b"minio",
    b"graylog",
)


def holds_template(text: str | bytes) -> bool:
    """``"{{" in text``, found from its first brace: Python searches for one character at
    memory speed but for two about twenty times slower, and a CRD file of megabytes has
    a few dozen braces. After many lone braces (JSON in a ConfigMap) the plain search
    takes over, so the loop never costs more than a few microseconds."""
    if isinstance(text, bytes):
        return _holds_pair(text, b"{", b"{{")
    return _holds_pair(text, "{", "{{")


def _holds_pair(text: AnyStr, first: AnyStr, pair: AnyStr) -> bool:
    at = text.find(first)
    for _ in range(_LONE_BRACES):
        if at < 0:
            return False
        if text.startswith(pair, at):
            return True
        at = text.find(first, at + 1)
    return at >= 0 and text.find(pair, at) >= 0


#: How many lone ``{`` ``holds_template`` steps over before it searches for the pair.
_LONE_BRACES = 32


def without_comment_lines(data: bytes) -> bytes:
    """``data`` without the lines whose first character after blanks is ``#``: a YAML
    comment, which no value can be in. Each such line is emptied, not removed.

    A chart collection's values files name engines in comments (``# e.g. redis``);
    parsing those found nothing. A ``#`` line inside a block scalar is text of a
    string, which no reader of values takes an image from, so emptying it here
    changes no finding.
    """
    if b"#" not in data:
        return data
    return _COMMENT_LINE.sub(b"\n", b"\n" + data)


#: A line that is a comment and nothing else (searched after a newline; see above).
_COMMENT_LINE = re.compile(rb"\n[ \t]*#[^\n]*")


def starts_a_line(data: bytes, key: re.Pattern[bytes], lead: bytes = b"") -> bool:
    """Whether ``key`` matches where only ``lead`` characters (and then one optional
    quote, when ``lead`` is not empty) stand between it and the start of its line: as
    ``(?m)^[lead]*["']?key`` would, without the ``(?m)^`` that makes Python's regular
    expressions try every position of the text. ``key`` starts with a literal, which
    they find fast, and is rarely met more than once in a file's first bytes."""
    for match in key.finditer(data):
        start = match.start()
        before = data[data.rfind(b"\n", 0, start) + 1 : start]
        if lead and before[-1:] in (b'"', b"'"):
            before = before[:-1]
        if not before.strip(lead) if lead else not before:
            return True
    return False


def mentions_engine(lowered: bytes) -> bool:
    """Whether lower-cased file content names an engine, or an image the policy declares.

    One pass over the bytes for all the words (an Aho-Corasick automaton, in Rust): a
    substring test per word costs a pass each, about six times as much with the 45 words
    above, and one regular expression of alternatives tries every position, slower still.
    The automaton lists every match, so a large file is searched a piece at a time and
    the search stops at the first piece with one (pieces overlap by the longest word
    less a byte, so no word is cut).
    """
    declared = images.DECLARED_WORDS
    if declared is not _matcher_words:
        _build_matcher(declared)
    if _matcher is None:  # an empty word is in everything
        return True
    if len(lowered) <= _PIECE_BYTES:
        return bool(_matcher.find_matches_as_indexes(lowered))
    view, overlap = memoryview(lowered), _longest_word - 1
    for start in range(0, len(lowered), _PIECE_BYTES):
        if _matcher.find_matches_as_indexes(view[start : start + _PIECE_BYTES + overlap]):
            return True
    return False


#: How much of a file ``mentions_engine`` searches at a time.
_PIECE_BYTES = 16 * 1024


#: The automaton for ENGINE_WORDS and the declared words it was built with (the
#: policy's registries can change them between scans: built again then).
_matcher: BytesAhoCorasick | None = None
_matcher_words: tuple[bytes, ...] | None = None
_longest_word = 1


def _build_matcher(declared: tuple[bytes, ...]) -> None:
    from ahocorasick_rs import BytesAhoCorasick  # ~1 ms; only a scan needs it

    global _matcher, _matcher_words, _longest_word
    words = list(dict.fromkeys(ENGINE_WORDS + declared))
    _matcher = None if b"" in words else BytesAhoCorasick(words)
    _matcher_words = declared
    _longest_word = max(map(len, words))


class Source(ABC):
    """Finds deployed engines in one kind of file.

    The walker asks, cheapest first, and stops at the first no: ``may_claim`` (the
    file name alone; most files of a monorepo are never opened), ``claims`` (the name
    and the first 4 KiB), ``worth_parsing`` (the whole content, lower-cased, without
    parsing it), and only then ``collect``, which parses the file and yields Components
    with locations. ``collect`` raises ``InputError`` (path, line, what to fix) for
    malformed input and never lets a library exception escape.
    """

    #: Short name shown in reports and --help, e.g. "kubernetes".
    name: str = ""
    #: Lower claims first: specific kinds (compose, Helm values) before generic YAML.
    priority: int = 50

    def may_claim(self, name: str) -> bool:
        """False when ``claims`` is false for a file of this lower-cased name, whatever
        its content; the default (True) is always safe."""
        return True

    @abstractmethod
    def claims(self, path: Path, head: bytes) -> bool:
        """True when this source parses ``path``; ``head`` is the file's first 4 KiB."""

    @abstractmethod
    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Yield the engines deployed by the file; ``display`` is the path to report."""

    def collect_within(
        self, path: Path, text: str, display: str, root: Path
    ) -> Iterator[Component]:
        """``collect`` for a file found under ``root``, the folder the user named.

        A source that follows references into other files (Terraform's local modules)
        reads them only inside ``root``; the others need not know it (the default).
        """
        return self.collect(path, text, display)

    def prepare(self) -> None:
        """Load what ``collect`` needs (parsers, catalog indexes) ahead of time.

        The walker calls this before it forks scanning workers, so that each worker
        does not pay again for it; sequential scans load lazily as they go.
        """
        images.warm_up()

    def deploys_nothing(self, text: str) -> bool:
        """True when a file worth parsing holds nothing ``collect`` would read, as its
        text shows without parsing (a stream of CustomResourceDefinitions): it is then
        neither parsed nor hashed. The default: every file that is worth parsing is
        parsed."""
        return False

    def worth_parsing(self, lowered: bytes) -> bool:
        """False when parsing the file (its bytes, lower-cased) cannot yield a component.

        The default asks for an engine word anywhere; a source may ask for more (where
        the word must stand) or less (when values can come from other files).
        """
        return mentions_engine(lowered)
