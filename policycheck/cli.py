"""Command line: a thin layer over the core.

``main(argv) -> int`` is the one place that turns errors into messages and exit codes:
0 nothing at or above --fail-on, 1 something is, 2 usage or input error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import click

from policycheck import __version__, terminal
from policycheck.core import check as run_check
from policycheck.data import check_bundled
from policycheck.errors import InputError
from policycheck.formats import FORMAT_MODULES, load_format
from policycheck.knowledge import Use
from policycheck.output import EXTENSIONS, infer_format, write_atomic
from policycheck.policy import (
    Policy,
    Verdict,
    bundled_names,
    check_policy,
    declares_registries,
    load_policy,
)
from policycheck.walk import MAX_FILE_BYTES, ScanOptions

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
F = TypeVar("F", bound=Callable[..., object])


class Choice(click.Choice):
    """A click Choice whose error says which choice was probably meant."""

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> object:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:
            from policycheck.suggest import did_you_mean

            maybe = did_you_mean(str(value), [str(c) for c in self.choices])
            if not maybe:
                raise
            raise click.BadParameter(
                exc.message.rstrip(".") + maybe, ctx=exc.ctx, param=exc.param
            ) from None


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date:
    from policycheck.dates import parse_day

    if value is None:
        return dt.date.today()
    try:
        return parse_day(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _format(fmt: str | None, output: str | None, offered: list[str], default: str) -> str:
    """``--format`` as given, else what ``-o FILE``'s extension names, else ``default``."""
    if fmt is not None:
        return fmt
    if output is None:
        return default
    try:
        return infer_format(output, offered, default)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _emit(text: str | bytes, output: str | None, color: bool = False) -> None:
    """``text`` to FILE, or to stdout (keeping its colour codes when ``color``: click
    would strip them from what it takes for a pipe); bytes are UTF-8, written as
    they are."""
    if output:
        write_atomic(Path(output), text)
    else:
        click.echo(text, nl=False, color=color or None)


def _policy(policy_name: str, uses: tuple[str, ...]) -> Policy:
    """The named policy, with ``--use`` replacing its declared uses when given.

    Every command that judges licenses comes here, so the bundled data's schema check
    (once per run) happens here too.
    """
    check_bundled()
    policy = load_policy(policy_name)
    if uses:
        return policy.with_uses(tuple(dict.fromkeys(Use(u) for u in uses)))
    return policy


# Options shared by check, diff and adr, defined once so their help cannot drift apart.
policy_option = click.option(
    "--policy",
    "policy_name",
    default="default",
    show_default=True,
    help="Bundled policy name (" + ", ".join(bundled_names()) + ") or path to a policy YAML.",
)
use_option = click.option(
    "--use",
    "uses",
    multiple=True,
    type=Choice([u.value for u in Use]),
    help="Declared use; repeat for several. Replaces the policy's uses.",
)
as_of_option = click.option(
    "--as-of",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    help="Date the licenses are judged at (default: today); decides BUSL conversions.",
)
output_option = click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Write to FILE atomically instead of stdout; without --format, FILE's extension "
    "picks the format (see --format).",
)
fail_on_option = click.option(
    "--fail-on",
    type=Choice(["review", "deny"]),
    default="deny",
    show_default=True,
    help="Exit 1 when a finding (for diff: an added or raised one) is at or above this verdict.",
)
exclude_option = click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB while walking."
)
default_excludes_option = click.option(
    "--no-default-excludes",
    "default_excludes",
    flag_value=False,
    default=True,
    help="Also walk folders skipped by default: version control, installed dependencies "
    "(node_modules, vendor, site-packages), virtual environments (.venv, venv, any folder "
    "with a pyvenv.cfg), caches and .terraform.",
)
max_file_size_option = click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=MAX_FILE_BYTES >> 20,
    show_default=True,
    metavar="MIB",
    help="Files of a manifest kind larger than this are input errors, not parsed.",
)
skip_unparsable_option = click.option(
    "--skip-unparsable",
    is_flag=True,
    help="Report unreadable or malformed files as warnings instead of exiting 2.",
)


def _finish(
    errors: Sequence[object], skip_unparsable: bool, failed: bool, shown: bool = False
) -> int:
    """Print input errors (as warnings under --skip-unparsable) and choose the exit code:
    2 for input errors unless skipped, else 1 when something reached --fail-on.

    ``shown``: the report already printed them on a terminal that is also stderr's, so a
    person watching would read each twice."""
    if not (shown and terminal.stderr_is_terminal()):
        for err in errors:
            click.echo(f"{'warning' if skip_unparsable else 'error'}: {err}", err=True)
    if errors and not skip_unparsable:
        return EXIT_INPUT
    return EXIT_FINDINGS if failed else EXIT_OK


def format_option(choices: list[str], default: str) -> Callable[[F], F]:
    """``--format`` with the formats a command offers; unset, ``-o FILE`` decides."""
    endings = " ".join(f"{e}={f}" for e, f in EXTENSIONS.items() if f in choices)
    return click.option(
        "--format",
        "fmt",
        default=None,
        type=Choice(choices),
        help=f"Output format [default: {default}, or what --output's extension names: {endings}].",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="policycheck")
def cli() -> None:
    """Check in-memory data store engines (Redis, Valkey, Dragonfly, ...) against a
    license and governance policy, and say why."""


@cli.command()
@click.argument("targets", nargs=-1, required=True, metavar="TARGET...")
@policy_option
@use_option
@as_of_option
@format_option(sorted(FORMAT_MODULES), "text")
@output_option
@fail_on_option
@exclude_option
@click.option(
    "--sarif-include-allow",
    is_flag=True,
    help="With --format sarif, also report allowed components (off: code scanning shows only review and deny).",
)
@click.option(
    "--warn-expiring",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="Flag waivers that expire within DAYS.",
)
@default_excludes_option
@max_file_size_option
@skip_unparsable_option
@click.option(
    "--explain",
    "-v",
    "--verbose",
    "explain",
    is_flag=True,
    help="Text: the whole reasoning per finding (every rule, each use's effect with its "
    "clause, judgement calls, election, evidence, notes, all alternatives, what legal must "
    "confirm) instead of one glance per finding.",
)
@click.option(
    "--color",
    type=Choice(terminal.COLOR_MODES),
    default="auto",
    show_default=True,
    help="Colour verdicts: auto colours a terminal unless NO_COLOR is set; files never.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Processes that parse files in large trees (default: one per CPU; 1: no workers).",
)
def check(
    targets: tuple[str, ...],
    policy_name: str,
    uses: tuple[str, ...],
    as_of: dt.date,
    fmt: str,
    output: str | None,
    fail_on: str,
    exclude: tuple[str, ...],
    default_excludes: bool,
    max_file_size: int,
    skip_unparsable: bool,
    warn_expiring: int,
    sarif_include_allow: bool,
    explain: bool,
    color: str,
    jobs: int | None,
) -> int:
    """Check TARGETs: ENGINE@VERSION (redis@7.4.0, valkey@8.1, redis@7.4.0-alpine),
    manifest files or directories.

    Findings come in a fixed order: ENGINE@VERSION targets as given, then files by path
    and line. Text shows one glance per finding; --explain shows why in full."""
    fmt = _format(fmt, output, sorted(FORMAT_MODULES), "text")

    def load() -> Policy:
        return _policy(policy_name, uses)

    # Loaded while scanning workers start, unless its registries must be known first.
    progress = terminal.Progress(sys.stderr) if terminal.stderr_is_terminal() else None
    try:
        report = run_check(
            targets,
            load() if declares_registries(policy_name) else load,
            as_of,
            Verdict.parse(fail_on),
            ScanOptions(exclude, jobs, default_excludes, max_file_size << 20),
            warn_expiring,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    formatter = load_format(fmt)
    to_terminal = output is None and terminal.stdout_is_terminal()
    colored = fmt == "text" and output is None and terminal.use_color(color, to_terminal)
    if fmt == "text":
        from policycheck.formats.text import TextFormat

        formatter = TextFormat(explain, colored, terminal.width(to_terminal))
    if fmt == "sarif" and sarif_include_allow:
        from policycheck.formats.sarif import with_allow

        formatter = with_allow()
    # A file gets bytes (JSON is written as orjson made it); a terminal or pipe gets text.
    rendered = formatter.render_bytes(report) if output else formatter.render(report)
    _emit(rendered, output, colored)
    for warning in report.scan.warnings if report.scan else ():
        click.echo(f"warning: {warning}", err=True)
    for w in report.waivers:
        if w["status"] in ("expiring", "expired", "unused"):
            click.echo(
                f"warning: waiver {w['id']} is {w['status']} (expires {w['expires']})", err=True
            )
    shown = to_terminal and fmt == "text"
    return _finish(report.errors, skip_unparsable, report.failed, shown)


@cli.command()
@click.argument("base")
@click.argument("head")
@policy_option
@use_option
@as_of_option
@format_option(["text", "json"], "text")
@output_option
@fail_on_option
@exclude_option
@click.option(
    "--repo",
    metavar="DIR",
    help="Git repository in which BASE and HEAD revisions are resolved (default: the "
    "current directory). A subdirectory of a checkout compares only that subdirectory. "
    "BASE or HEAD given as a path stays relative to the current directory.",
)
@click.option(
    "--fail-on-change",
    multiple=True,
    type=Choice(["license", "verdict"]),
    help="Also exit 1 when an added or changed component's license (or verdict) differs, "
    "whatever the verdict; repeat for both. Removed components never fail.",
)
@skip_unparsable_option
def diff(
    base: str,
    head: str,
    policy_name: str,
    uses: tuple[str, ...],
    as_of: dt.date,
    fmt: str,
    output: str | None,
    fail_on: str,
    exclude: tuple[str, ...],
    repo: str | None,
    fail_on_change: tuple[str, ...],
    skip_unparsable: bool,
) -> int:
    """License drift between BASE and HEAD (git revisions of --repo, or paths): every
    engine whose version, license or verdict changes, plus added and removed ones.

    Input errors on either side are reported with the side they were met on, and exit 2
    (unless --skip-unparsable) after the changes found in the other files are printed."""

    from policycheck import images
    from policycheck.diff import diff_revisions, render_text, to_json
    from policycheck.jsontext import pretty

    fmt = _format(fmt, output, ["text", "json"], "text")
    policy = _policy(policy_name, uses)
    with images.using(policy.registries):
        result = diff_revisions(
            base,
            head,
            policy,
            as_of,
            Verdict.parse(fail_on),
            exclude,
            Path(repo) if repo is not None else None,
            fail_on_change,
        )
    text = render_text(result) if fmt == "text" else pretty(to_json(result))
    _emit(text, output)
    return _finish(result.error_lines(), skip_unparsable, result.failed)


@cli.command()
@click.argument("candidates", nargs=-1, required=True, metavar="CANDIDATE...")
@policy_option
@use_option
@click.option(
    "--matrix",
    metavar="FILE",
    help="Decision matrix YAML: drivers, weights, scores, claims (default: the bundled "
    "in-memory stores matrix; 'policycheck schema matrix' lists its keys).",
)
@click.option(
    "--what-if",
    "what_if",
    multiple=True,
    metavar="DRIVER=WEIGHT",
    help="Also rank the options with DRIVER at WEIGHT (0.4 or 40%), the other drivers "
    "rescaled in proportion; repeat for several drivers.",
)
@click.option(
    "--from",
    "from_paths",
    multiple=True,
    metavar="PATH",
    help="Scan PATH like check and add a migration audit: what is deployed, which modules "
    "are loaded, what each candidate offers for them, settings that change. Repeatable.",
)
@as_of_option
@format_option(["html", "json", "markdown"], "markdown")
@output_option
def adr(
    candidates: tuple[str, ...],
    policy_name: str,
    uses: tuple[str, ...],
    matrix: str | None,
    what_if: tuple[str, ...],
    from_paths: tuple[str, ...],
    as_of: dt.date,
    fmt: str,
    output: str | None,
) -> int:
    """Architecture decision record comparing CANDIDATEs (engine@version, e.g. valkey@latest):
    license timelines, scored matrix, decision path, sensitivity, claims checked,
    consequences, recommendation, and with --from a migration audit."""
    from policycheck.adr import build_adr
    from policycheck.adr.render import RENDERERS

    fmt = _format(fmt, output, ["html", "json", "markdown"], "markdown")
    result = build_adr(
        list(candidates),
        _policy(policy_name, uses),
        matrix,
        as_of,
        what_if=what_if,
        from_paths=from_paths,
    )
    _emit(RENDERERS[fmt](result), output)
    return EXIT_OK


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@policy_option
@use_option
@as_of_option
@format_option(["text", "json"], "text")
@output_option
def identify(
    paths: tuple[str, ...],
    policy_name: str,
    uses: tuple[str, ...],
    as_of: dt.date,
    fmt: str,
    output: str | None,
) -> int:
    """Which license each license file is (a folder: its LICENSE, COPYING... files), with a
    confidence, the parameters of a Business Source License, and the policy's verdict."""
    from policycheck.identify import identify_all, render_text, to_json
    from policycheck.jsontext import pretty

    fmt = _format(fmt, output, ["text", "json"], "text")
    policy = _policy(policy_name, uses)
    results = identify_all(list(paths), policy, as_of)
    text = render_text(results) if fmt == "text" else pretty(to_json(results, policy, as_of))
    _emit(text, output)
    return EXIT_OK


#: What ``validate`` falls back to when an error carries no hint of its own.
VALIDATE_HINTS = {
    "policy": "run 'policycheck schema policy' for every key, 'policycheck init' for a starter",
    "matrix": "run 'policycheck schema matrix' for every key",
    "auto": "run 'policycheck schema policy' or 'policycheck schema matrix' for every key",
}


def _validate_kind(name: str, kind: str) -> str:
    """``policy`` or ``matrix`` for ``name``: as given, or told apart by top-level keys.

    The keys each schema allows and the other does not decide, so the rule follows the
    schemas as they grow; a file with keys of both, or of neither, needs ``--kind``.
    Raises InputError (with file and line) when the file cannot be read or parsed.
    """
    if kind != "auto":
        return kind
    path = Path(name)
    if path.exists() and not path.is_file():
        raise InputError("not a file", name, hint="pass a policy or decision matrix YAML file")
    if not path.is_file():
        if path.suffix not in (".yaml", ".yml") and "/" not in name:
            return "policy"  # a bundled policy name; check_policy says if there is none
        names = ", ".join(bundled_names())
        raise InputError(
            "file not found",
            name,
            hint=f"pass a policy or decision matrix YAML file, or a bundled policy ({names})",
        )
    from policycheck.data import schema
    from policycheck.yamlload import load_text, read_text

    doc = load_text(read_text(path, name), name)
    keys = set(doc.value) if isinstance(doc.value, dict) else set()
    policy_keys, matrix_keys = (set(schema(n)["properties"]) for n in ("policy", "matrix"))
    looks_policy = bool(keys & (policy_keys - matrix_keys))
    looks_matrix = bool(keys & (matrix_keys - policy_keys))
    if looks_policy != looks_matrix:
        return "policy" if looks_policy else "matrix"
    found = "keys of both" if looks_policy else "neither's keys"
    raise InputError(
        f"cannot tell whether this is a policy or a decision matrix (it has {found})",
        name,
        1,
        "a policy has top-level uses and rules, a decision matrix drivers and options; "
        "or pass --kind policy or --kind matrix",
    )


def _validate_one(name: str, kind: str) -> list[InputError] | str:
    """Every error in one file, or the line to print when it is valid."""
    from policycheck.adr import Matrix, check_matrix

    if kind == "matrix" and not Path(name).is_file():
        return [InputError("file not found", name, hint="pass the path of a decision matrix YAML")]
    if kind == "matrix":
        matrix = check_matrix(name)
        if not isinstance(matrix, Matrix):
            return matrix
        drivers, options = len(matrix.drivers), len(matrix.options)
        counts = f"{drivers} driver{'s' * (drivers != 1)}, {options} option{'s' * (options != 1)}"
        return f"{name}: ok (decision matrix, {counts})"
    policy = check_policy(name)
    if isinstance(policy, list):
        return policy
    uses = ", ".join(u.value for u in policy.uses)
    return f"{name}: ok ({len(policy.rules)} rules, uses: {uses})"


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--kind",
    type=click.Choice(["auto", "policy", "matrix"]),
    default="auto",
    show_default=True,
    help="What the files are. auto tells them apart by their top-level keys: a policy has "
    "uses and rules, a decision matrix (for 'adr --matrix') drivers and options.",
)
def validate(files: tuple[str, ...], kind: str) -> int:
    """Validate policy files (or bundled policy names) and ADR decision matrix files;
    print every error as file:line: message with a hint, and exit 2 if there is one."""
    failed = False
    for name in files:
        try:
            file_kind = _validate_kind(name, kind)
            result = _validate_one(name, file_kind)
        except InputError as exc:
            file_kind, result = kind, [exc]
        if isinstance(result, str):
            click.echo(result)
            continue
        failed = True
        for err in sorted(result, key=lambda e: e.line or 0):
            text = f"error: {err}"
            if not err.hint:
                text += f"\n  hint: {VALIDATE_HINTS[file_kind]}"
            click.echo(text, err=True)
    return EXIT_INPUT if failed else EXIT_OK


def _print_json(doc: object) -> None:
    from policycheck.jsontext import pretty

    click.echo(pretty(doc), nl=False)


@cli.command(name="licenses")
@click.argument("license_id", required=False, metavar="[ID]")
@format_option(["text", "json"], "text")
def licenses_cmd(license_id: str | None, fmt: str | None) -> int:
    """List known licenses, or show what one license does under each use."""
    from policycheck import listing

    lic = listing.find_license(license_id) if license_id is not None else None
    if fmt == "json":
        _print_json(listing.licenses_json(lic))
        return EXIT_OK
    if lic is None:
        click.echo("\n".join(listing.licenses_table()))
        return EXIT_OK
    click.echo(f"{lic.id}: {lic.name}")
    click.echo(
        f"category {lic.category}; OSI-approved: {'yes' if lic.osi_approved else 'no'}; FSF libre: {'yes' if lic.fsf_libre else 'no'}"
    )
    click.echo(f"text: {lic.url}")
    click.echo(lic.summary)
    for use, e in lic.effects.items():
        judged = f" (judgement call {e.judgement})" if e.judgement else ""
        click.echo(f"  {use.value:16} {e.effect.value:12} {e.rationale} [{e.clause}]{judged}")
    return EXIT_OK


@cli.command()
@click.argument("name", required=False)
@format_option(["text", "json"], "text")
def engines(name: str | None, fmt: str | None) -> int:
    """List catalogued engines, or show one engine's version table and governance."""
    from policycheck import listing

    engine = listing.find_engine(name) if name is not None else None
    if fmt == "json":
        _print_json(listing.engines_json(engine))
        return EXIT_OK
    if engine is None:
        click.echo("\n".join(listing.engines_table()))
        return EXIT_OK
    g = engine.governance
    newest = (
        "newest verified release"
        if any(r.verified_at_tags for r in engine.ranges)
        else "no release verified at its tag; newest known release"
    )
    click.echo(f"{engine.name} ({engine.id}), {engine.repository}; {newest} {engine.newest_known}")
    click.echo(f"governance: {g.model}, steward {g.steward}; CLA: {g.cla or 'not verified'}")
    for date, event, _ in g.history:
        click.echo(f"  {date}  {event}")
    if engine.build_suffix is not None:
        b = engine.build_suffix
        click.echo(
            f"builds: a version ending in a suffix matching {b.pattern.pattern} is a build of the "
            f"release before it and carries its license. {b.meaning} (evidence: {b.evidence.cite()})"
        )
    click.echo("versions:")
    for r in engine.ranges:
        line = f"  {str(r.versions):24} {r.license}"
        if r.busl:
            line += f"  (licensor {r.busl.licensor}; Change Date {r.busl.change_date_label} -> {r.busl.change_license}, or the {r.busl.anniversary_years}th anniversary of each release if earlier)"
        if not r.verified_at_tags:
            line += "  [not verified at tags]"
        click.echo(line)
        for ev in r.evidence:
            click.echo(f"      evidence: {ev.cite()}")
    for note in engine.release_notes:
        click.echo(f"  note ({note.versions}): {note.note}")
    return EXIT_OK


SCHEMAS = (
    "policy",
    "report",
    "diff",
    "matrix",
    "waivers",
    "engine-list",
    "license-list",
    "adr",
    "identify",
)


@cli.command()
@click.argument("name", type=Choice(list(SCHEMAS)), metavar="NAME")
def schema(name: str) -> int:
    """Print the JSON Schema NAME (policy, waivers, matrix: files you write; report, diff,
    engine-list, license-list, adr, identify: the JSON that check, diff, engines, licenses,
    adr and identify print)."""
    from policycheck.data import schema as load_schema

    _print_json(load_schema(name))
    return EXIT_OK


@cli.command()
@click.argument("path", required=False, default="policy.yaml", metavar="[PATH]")
@click.option(
    "--policy",
    "policy_name",
    default="default",
    show_default=True,
    type=Choice(bundled_names()),
    help="Bundled policy to start from.",
)
@click.option("--force", is_flag=True, help="Replace PATH (and its schema file) if they exist.")
def init(path: str, policy_name: str, force: bool) -> int:
    """Write a starter policy to PATH (default policy.yaml; a folder gets policy.yaml):
    a bundled policy with a comment on each rule, and policy.schema.json beside it for
    editors. Refuses to replace an existing file without --force."""
    from policycheck.init import init as write_starter

    written = write_starter(Path(path), policy_name, force)
    click.echo(f"wrote {written[0]} (from the bundled {policy_name} policy) and {written[1]}")
    click.echo(f"next: edit it, then run 'policycheck validate {written[0]}'")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code; never lets a traceback reach the user."""
    try:
        rv = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="policycheck",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_INPUT
    except InputError as exc:
        _say(f"error: {exc}")
        return EXIT_INPUT
    except OSError as exc:  # a target, policy or output the system refused
        where = f": {exc.filename}" if exc.filename else ""
        _say(f"error: {exc.strerror or exc}{where}")
        return EXIT_INPUT
    except RecursionError:
        _say("error: input nests too deeply to read")
        return EXIT_INPUT
    except Exception as exc:  # a bug: say so plainly, exit as for bad input, keep no traceback
        _say(
            f"error: internal error ({type(exc).__name__}: {exc}); please report it "
            "with the command line that caused it"
        )
        return EXIT_INPUT
    return rv if isinstance(rv, int) else EXIT_OK


def _say(message: str) -> None:
    """Print to stderr, even when stdout is what failed; never raise from here."""
    with contextlib.suppress(OSError, ValueError):
        click.echo(message, err=True)


def run() -> None:
    """Console-script entry point.

    Once the output is flushed the process ends without the interpreter's teardown:
    freeing a large scan's objects one by one and running the worker pool's exit hooks
    take a twentieth of a second and change nothing (mypy ends the same way). By then
    every report file is written and closed, the workers are joined and the caches
    saved. When stdout cannot take the last bytes, the ordinary exit reports it; under
    a profiler or a coverage tracer, which write their results at exit, so does it.
    """
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


__all__ = ["main", "run", "bundled_names"]
