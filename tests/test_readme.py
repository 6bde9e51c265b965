"""The README's output excerpts are real: each example command is run and its excerpt matched.

An example in README.md is an HTML comment marker, then a fenced block holding one
``policycheck ...`` command line, then a fenced block holding the excerpt::

    <!-- readme-example -->            the excerpt is the complete output
    <!-- readme-example: trimmed -->   lines may be left out, see ``match_excerpt``

To refresh an excerpt after an intended output change, run the command shown in README.md from
the repository root and paste the new lines over the old ones, keeping the ``...`` lines.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from policycheck.cli import cli, main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = re.compile(r"^<!-- readme-example(?P<rest>.*?) -->$")
FENCE = re.compile(r"^```")
OMITTED = "..."  # a line that is only "..." (indentation allowed) stands for omitted lines


@dataclass(frozen=True)
class Example:
    """One README example: where it is, the command and the excerpt under it."""

    line: int  # 1-based line of the marker in README.md
    trimmed: bool
    command: str
    excerpt: list[str]

    @property
    def argv(self) -> list[str]:
        """The command's arguments after ``policycheck``."""
        words = shlex.split(self.command)
        assert words[0] == "policycheck", f"README.md:{self.line}: not a policycheck command"
        return words[1:]

    @property
    def format(self) -> str:
        """The ``--format`` the command asks for (``text`` when none)."""
        argv = self.argv
        return argv[argv.index("--format") + 1] if "--format" in argv else "text"


def _fenced_block(lines: list[str], start: int) -> tuple[list[str], int]:
    """The fenced block at or after ``start`` (only blank lines may precede it) and the line after it."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    assert i < len(lines) and FENCE.match(lines[i]), f"README.md:{i + 1}: expected a ``` block"
    end = i + 1
    while end < len(lines) and not FENCE.match(lines[end]):
        end += 1
    assert end < len(lines), f"README.md:{i + 1}: unterminated ``` block"
    return lines[i + 1 : end], end + 1


def parse_examples(text: str) -> list[Example]:
    """Every marked example in ``text`` (README.md's content)."""
    lines = text.splitlines()
    examples = []
    for n, line in enumerate(lines):
        m = MARKER.match(line.strip())
        if not m:
            assert "readme-example" not in line, f"README.md:{n + 1}: malformed marker {line!r}"
            continue
        assert m["rest"] in ("", ": trimmed"), f"README.md:{n + 1}: unknown marker {line!r}"
        command_block, after = _fenced_block(lines, n + 1)
        assert len(command_block) == 1, f"README.md:{n + 1}: the command block must be one line"
        excerpt, _ = _fenced_block(lines, after)
        examples.append(Example(n + 1, m["rest"] == ": trimmed", command_block[0], excerpt))
    return examples


def _line_matches(pattern: str, line: str) -> bool:
    """A pattern line ending in ``...`` matches any line starting with the text before it."""
    if pattern.endswith(OMITTED) and pattern.strip() != OMITTED:
        return line.startswith(pattern[: -len(OMITTED)])
    return line == pattern


def _chunk_at(chunk: list[str], output: list[str], pos: int) -> bool:
    return pos + len(chunk) <= len(output) and all(
        _line_matches(p, output[pos + k]) for k, p in enumerate(chunk)
    )


def match_excerpt(excerpt: list[str], output: list[str], trimmed: bool) -> str | None:
    """None when ``excerpt`` describes ``output``, else what does not match.

    Untrimmed: the excerpt is the output, line for line. Trimmed: a line that is only ``...``
    stands for any number of omitted lines, a line ending in ``...`` for the rest of that line;
    the other lines must appear in the output in the same order, consecutive where the excerpt
    has them consecutive, and the excerpt's first and last lines are the output's unless they
    are ``...``.
    """
    if not trimmed:
        if excerpt == output:
            return None
        for k, (want, got) in enumerate(zip(excerpt, output, strict=False)):
            if want != got:
                return f"excerpt line {k + 1} is {want!r}, output has {got!r}"
        return f"excerpt has {len(excerpt)} lines, output has {len(output)}"
    omitted = [line.strip() == OMITTED for line in excerpt]
    if not any(omitted):
        return "a trimmed excerpt must contain a '...' line"
    chunks: list[tuple[int, list[str]]] = []  # (index in excerpt, lines)
    current: list[str] = []
    for k, line in enumerate(excerpt):
        if omitted[k]:
            if current:
                chunks.append((k - len(current), current))
            current = []
        else:
            current.append(line)
    if current:
        chunks.append((len(excerpt) - len(current), current))
    pos = 0
    for c, (index, chunk) in enumerate(chunks):
        anchored_start = c == 0 and not omitted[0]
        anchored_end = c == len(chunks) - 1 and not omitted[-1]
        if anchored_end:
            starts = [len(output) - len(chunk)] if len(output) - len(chunk) >= pos else []
        elif anchored_start:
            starts = [0]
        else:
            starts = list(range(pos, len(output)))
        found = next((s for s in starts if _chunk_at(chunk, output, s)), None)
        if found is None or (anchored_start and found != 0):
            where = "at the start" if anchored_start else "at the end" if anchored_end else ""
            return (
                f"excerpt lines {index + 1}-{index + len(chunk)} not found {where} in the output"
                f" after line {pos}: {chunk!r}"
            )
        pos = found + len(chunk)
    return None


EXAMPLES = parse_examples(README.read_text(encoding="utf-8"))


def _formats() -> list[str]:
    option = next(p for p in cli.commands["check"].params if "--format" in p.opts)
    assert isinstance(option.type, click.Choice)
    return sorted(str(c) for c in option.type.choices)


def run_example(example: Example, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of the example's command, run from the repository root."""
    code = main(example.argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_every_format_has_an_example() -> None:
    shown = {e.format for e in EXAMPLES if e.argv[0] == "check"}
    assert sorted(shown) == _formats(), "each --format needs a README example"
    texts = [e for e in EXAMPLES if e.argv[0] == "check" and e.format == "text"]
    assert any("--explain" in e.argv for e in texts), "show --explain"
    assert any("--explain" not in e.argv and not e.trimmed for e in texts), (
        "show concise text whole"
    )


#: Commands whose output depends on the date unless --as-of pins it.
DATED = ("check", "diff", "adr", "identify")


def test_examples_are_reproducible_and_short() -> None:
    for e in EXAMPLES:
        if e.argv[0] in DATED:
            assert "--as-of" in e.argv, f"README.md:{e.line}: pin the date with --as-of"
        assert "--output" not in e.argv and "-o" not in e.argv
        shown = [line for line in e.excerpt if line.strip() != OMITTED]
        assert len(shown) >= 3, f"README.md:{e.line}: excerpt too thin to prove anything"
        assert len(e.excerpt) <= 60, f"README.md:{e.line}: excerpt too long for a README"
        if not e.trimmed:
            assert not any(line.strip() == OMITTED for line in e.excerpt)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.format for e in EXAMPLES])
def test_readme_excerpt_is_real_output(
    example: Example, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run_example(example, capsys)
    assert code in (0, 1), f"README.md:{example.line}: {example.command} exited {code}: {err}"
    assert err == ""
    problem = match_excerpt(example.excerpt, out.splitlines(), example.trimmed)
    assert problem is None, (
        f"README.md:{example.line}: the excerpt under `{example.command}` no longer matches its"
        f" output ({problem}). Run the command from the repository root and update README.md."
    )
    # Same input, same bytes: the excerpt stays true on every run.
    assert run_example(example, capsys) == (code, out, err)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.format for e in EXAMPLES])
def test_every_excerpt_line_is_checked(
    example: Example, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Altering any output line the excerpt shows makes the match fail."""
    monkeypatch.chdir(ROOT)
    output = run_example(example, capsys)[1].splitlines()
    for want in example.excerpt:
        if want.strip() == OMITTED:
            continue
        changed = ["X" + got if _line_matches(want, got) else got for got in output]
        assert match_excerpt(example.excerpt, changed, example.trimmed) is not None, want


def test_matcher_rules() -> None:
    out = ["a", "b", "c", "d", "long line here"]
    assert match_excerpt(out, out, trimmed=False) is None
    assert match_excerpt(out[:-1], out, trimmed=False) is not None  # untrimmed: all of it
    assert match_excerpt(["a", "...", "d", "long ..."], out, trimmed=True) is None
    assert match_excerpt(["...", "c", "d", "..."], out, trimmed=True) is None
    assert match_excerpt(["a", "b", "c"], out, trimmed=True) is not None  # needs a '...'
    assert match_excerpt(["...", "d", "c", "..."], out, trimmed=True) is not None  # order
    assert match_excerpt(["...", "b", "d", "..."], out, trimmed=True) is not None  # adjacency
    assert match_excerpt(["b", "..."], out, trimmed=True) is not None  # first line anchored
    assert match_excerpt(["...", "d"], out, trimmed=True) is not None  # last line anchored
    assert match_excerpt(["...", "long x..."], out, trimmed=True) is not None  # prefix differs
    assert match_excerpt(["a", "...", "a", "..."], out, trimmed=True) is not None  # no reuse


def test_parser_reads_markers_and_blocks() -> None:
    text = "\n".join(
        [
            "<!-- readme-example: trimmed -->",
            "```sh",
            "policycheck check redis@7.4.0 --as-of 2026-11-27 --format json",
            "```",
            "",
            "```json",
            "{",
            "...",
            "```",
        ]
    )
    [e] = parse_examples(text)
    assert (e.line, e.trimmed, e.format, e.excerpt) == (1, True, "json", ["{", "..."])
    with pytest.raises(AssertionError):
        parse_examples("<!-- readme-example: cut -->\n```sh\npolicycheck check\n```\n```\nx\n```")
    with pytest.raises(AssertionError):
        parse_examples("<!-- readme-example -->\n```sh\npolicycheck check\n```\ntext\n```\nx\n```")
