"""The walker's engine-word prefilter answers as one substring test per word does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck import images
from policycheck.sources import interface
from policycheck.sources.interface import ENGINE_WORDS, mentions_engine


def by_substring(lowered: bytes, declared: tuple[bytes, ...]) -> bool:
    """The prefilter as it was written first: one ``in`` per word."""
    return any(word in lowered for word in ENGINE_WORDS + declared)


#: Pieces that build near misses (a word cut short, run into another, split by a byte).
PIECES = [
    *ENGINE_WORDS,
    *(w[:-1] for w in ENGINE_WORDS),
    *(w[1:] for w in ENGINE_WORDS),
    b"image: ",
    b"\n",
    b" ",
    b"-",
    b"red",
    b"is",
    b"ache",
    b"\xc3\xa9",
]
DECLARED = st.lists(
    st.sampled_from([b"cache-proxy", b"kv", b"r", b"edis", b"team/store", b"\xff"]), max_size=3
).map(tuple)


@given(
    parts=st.lists(st.sampled_from(PIECES) | st.binary(max_size=6), max_size=12),
    declared=DECLARED,
)
def test_the_automaton_answers_as_the_substring_tests(
    parts: list[bytes], declared: tuple[bytes, ...]
) -> None:
    lowered = b"".join(parts).lower()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(images, "DECLARED_WORDS", declared)
        assert mentions_engine(lowered) == by_substring(lowered, declared)


def test_each_word_alone_at_either_end_and_inside_is_found() -> None:
    for word in ENGINE_WORDS:
        for text in (word, b"x" + word, word + b"x", b"a\n" + word + b"\nb"):
            assert mentions_engine(text)
        assert not mentions_engine(word[:-1] + b" " + word[-1:])


def test_a_declared_image_counts_and_stops_counting_when_the_policy_changes() -> None:
    text = b"image: registry.example/team/cache-proxy:1.2"
    assert not mentions_engine(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(images, "DECLARED_WORDS", (b"cache-proxy",))
        assert mentions_engine(text)
    assert not mentions_engine(text)


def test_an_empty_declared_word_is_in_every_text() -> None:
    """``in`` finds the empty word everywhere; so must the prefilter (fail open)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(images, "DECLARED_WORDS", (b"",))
        assert mentions_engine(b"nothing here")


@given(
    parts=st.lists(st.sampled_from(PIECES) | st.binary(max_size=6), max_size=16),
    declared=DECLARED,
    piece=st.sampled_from([1, 3, 7, 16]),
)
def test_a_file_searched_in_pieces_answers_the_same(
    parts: list[bytes], declared: tuple[bytes, ...], piece: int
) -> None:
    """Large files are searched a piece at a time; pieces overlap so that no word is cut
    (here pieces shorter than the words make every word straddle a boundary)."""
    lowered = b"".join(parts).lower()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(images, "DECLARED_WORDS", declared)
        patch.setattr(interface, "_PIECE_BYTES", piece)
        assert mentions_engine(lowered) == by_substring(lowered, declared)


def test_a_word_across_the_first_piece_boundary_is_found() -> None:
    size = interface._PIECE_BYTES
    for cut in range(1, len(b"elasticache")):
        text = b"x" * (size - cut) + b"elasticache" + b"y" * size
        assert mentions_engine(text)
    assert not mentions_engine(b"x" * (3 * size))


@given(st.text(alphabet="{}x\n", max_size=120))
def test_holds_template_is_a_search_for_two_braces(text: str) -> None:
    """Found brace by brace, then by the plain search after many lone braces."""
    assert interface.holds_template(text) is ("{{" in text)
    assert interface.holds_template(text.encode()) is ("{{" in text)


@pytest.mark.parametrize("lone", [0, 1, 31, 32, 33, 100])
def test_holds_template_finds_braces_after_many_lone_ones(lone: int) -> None:
    text = "{ x " * lone + "a {{ b"
    assert interface.holds_template(text) and interface.holds_template(text.encode())
    assert not interface.holds_template(text.replace("{{", "{ {"))
    assert not interface.holds_template(text.replace("{{", "{ {").encode())
