"""The shell reader: expansion as the shell does it, unknown values marked, commands."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.sources.builds.shellwords import (
    Scope,
    expand,
    inline_script,
    read_commands,
    split_commands,
)
from policycheck.sources.compose import MISSING


@pytest.mark.parametrize(
    ("word", "text"),
    [
        ('"${arch##*-}"', "amd64"),
        ("${lib//.so/.a}", "x.a.a"),
        ("'${Package} ${db:Status-Status}'", "${Package} ${db:Status-Status}"),
        ("${V%.*}", "7.2"),
        ("${V#*.}", "2.4"),
        ("${UNSET:-d}", "d"),
        ("${V:+set}", "set"),
        ("a\\ b\"c\"'d'", "a bcd"),
    ],
)
def test_expansion_follows_the_shell(word: str, text: str) -> None:
    scope = Scope({"arch": "linux-amd64", "lib": "x.so.so", "V": "7.2.4"})
    assert expand(word, scope) == (text, ())


@pytest.mark.parametrize("word", ["$(uname -m)", "`date`", "${#V}", "$1", "${V:0:3}", "$NOPE"])
def test_what_cannot_be_known_is_marked_not_guessed(word: str) -> None:
    text, missing = expand(word, Scope({"V": "7.2.4"}))
    assert MISSING in text and missing


@pytest.mark.parametrize(
    ("text", "prefix", "words"),
    [
        (
            "V=1 sudo -E apt-get install -y redis",
            ["V=1", "sudo", "-E"],
            ["apt-get", "install", "-y", "redis"],
        ),
        ("if wget x; then :; fi", ["if"], ["wget", "x"]),
        ("export A=1 B", [], ["export", "A=1", "B"]),
        ("# wget x\n", [], []),
    ],
)
def test_commands_split_into_prefix_and_program(
    text: str, prefix: list[str], words: list[str]
) -> None:
    first = next(read_commands(text, Scope()), None)
    got = ([w.raw for w in first.prefix], [w.raw for w in first.words]) if first else ([], [])
    assert got == (prefix, words)


def test_assignments_are_made_in_order_and_seen_by_later_commands() -> None:
    scope = Scope()
    commands = list(read_commands('V=7.2.4; export W="$V-x" && echo "$W"', scope))
    assert [c.words[-1].text for c in commands if c.words] == ["W=7.2.4-x", "7.2.4-x"]
    assert scope.values == {"V": "7.2.4", "W": "7.2.4-x"}


def test_unknown_assignment_remembers_why() -> None:
    scope = Scope()
    list(read_commands("A=$(uname -m) B=$A", scope))
    assert scope.unknown == {"A": ("$(...)",), "B": ("$(...)",)}


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("sh -c 'wget x'", "'wget x'"),
        ('/bin/bash -ec "a; b"', '"a; b"'),
        ("sh script.sh", None),
        ("env -c x", None),
    ],
)
def test_inline_script_of_a_shell(text: str, script: str | None) -> None:
    [command] = read_commands(text, Scope())
    found = inline_script(command)
    assert (found.raw if found else None) == script


def _split_a_character_at_a_time(text: str) -> list[list[tuple[int, int]]]:
    """The reader's first split, a character at a time: the oracle for the faster one."""
    from policycheck.sources.builds.shellwords import _OPERATORS, _word_end

    commands: list[list[tuple[int, int]]] = []
    words: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _OPERATORS:
            if words:
                commands.append(words)
                words = []
            i += 1
        elif c in "<>":
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == "\\" and text.startswith("\n", i + 1):
            i += 2
        elif c.isspace():
            i += 1
        else:
            end = max(_word_end(text, i), i + 1)
            words.append((i, end))
            i = end
    if words:
        commands.append(words)
    return commands


SHELL_PIECES = st.sampled_from(
    [" ", "  ", "\t", "\n", "\r\n", "\\\n", "\\", "\u00a0", "\x0c", "#", "# c\n", ";", "&&",
     "|", "(", ")", "<", ">>", "2>&1", "'", '"', "`", "$", "${V}", "$(x)", "a", "b=1",
     "wget", "https://x/y.tgz", "-q"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(SHELL_PIECES, max_size=25).map("".join))
def test_commands_split_as_a_character_at_a_time(text: str) -> None:
    assert list(split_commands(text)) == _split_a_character_at_a_time(text)
