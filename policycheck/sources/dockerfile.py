"""Dockerfiles and Containerfiles: the engine the built image runs as a server.

Only what ends up in the final image counts: the final stage and the stages it is
built ``FROM``. A stage used only as a ``COPY --from`` source (say, to copy
``redis-cli`` out of ``redis:7``) contributes a client binary, not a server, and a
builder or test stage is never deployed. The build is assumed to use each ``ARG``'s
default; an ``ARG`` without a default has no value (``--build-arg`` decides it).

A small line parser is enough here: instructions, continuation lines, comments, the
``escape`` parser directive and heredocs are all we need to read FROM, ARG, ENV and RUN.
(``dockerfile-parse`` would add a dependency and still leave stage ancestry, ARG scopes
and package detection to us.)
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from policycheck.errors import InputError
from policycheck.model import Component, Location
from policycheck.sources.compose import (
    MISSING,
    Interpolated,
    TemplateError,
    component_for_template,
    interpolate,
)
from policycheck.sources.interface import Source

PACKAGE_REASON = (
    "installed from the distribution's package repository; the package version decides the license"
)

_DIRECTIVE = re.compile(r"#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][\w.-]*)\2")
_HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")
_SHELL_SEPARATOR = re.compile(r"&&|\|\||[;|\n()]")
_VERSION_SUFFIX = re.compile(r"[=~<>:/]")

#: Package manager -> the verbs that install packages and the family of its package names.
_INSTALLERS = {
    "apt-get": ("install", "apt"),
    "apt": ("install", "apt"),
    "apk": ("add", "apk"),
    "yum": ("install", "rpm"),
    "dnf": ("install", "rpm"),
    "microdnf": ("install", "rpm"),
}

#: Distribution packages that install an engine *server*. Deliberately short and
#: explicit: client packages (``redis-tools``, ``valkey-tools``) and libraries are absent.
SERVER_PACKAGES: dict[str, dict[str, str]] = {
    "apt": {
        "redis": "redis",
        "redis-server": "redis",
        "valkey": "valkey",
        "valkey-server": "valkey",
        "memcached": "memcached",
    },
    "apk": {"redis": "redis", "valkey": "valkey", "memcached": "memcached"},
    "rpm": {"redis": "redis", "valkey": "valkey", "memcached": "memcached"},
}


@dataclass(frozen=True)
class Instruction:
    """One logical instruction: keyword (upper case), arguments, and its first line."""

    keyword: str
    arguments: str
    line: int


@dataclass
class Stage:
    """A build stage: its base as written and resolved, and what its RUNs install."""

    base: str
    resolved: Interpolated
    line: int
    name: str | None = None
    parent: int | None = None
    variables: dict[str, str] = field(default_factory=dict)
    packages: list[Component] = field(default_factory=list)


def parse_instructions(text: str) -> list[Instruction]:
    """Logical instructions of a Dockerfile: continuations joined, comments dropped.

    Heredoc bodies (``RUN <<EOF ... EOF``) are appended to their instruction, one line
    each, so that a heredoc line is never mistaken for an instruction.
    """
    lines = text.splitlines()
    escape = _escape_character(lines)
    instructions: list[Instruction] = []
    index = 0
    while index < len(lines):
        start = index + 1
        logical, index = _logical_line(lines, index, escape)
        if logical is None:
            continue
        keyword, _, arguments = logical.strip().partition(" ")
        arguments = arguments.strip()
        heredocs = _HEREDOC.finditer(arguments) if keyword.upper() in _HEREDOC_KEYWORDS else ()
        for match in heredocs:
            body, index = _heredoc_body(lines, index, match.group(3), bool(match.group(1)))
            arguments += "\n" + body
        instructions.append(Instruction(keyword.upper(), arguments, start))
    return instructions


def _escape_character(lines: list[str]) -> str:
    """The ``# escape=`` parser directive's character (backslash unless set)."""
    for raw in lines:
        match = _DIRECTIVE.match(raw.strip())
        if match is None:
            break
        if match.group(1).lower() == "escape":
            return match.group(2) if match.group(2) in ("\\", "`") else "\\"
    return "\\"


def _logical_line(lines: list[str], index: int, escape: str) -> tuple[str | None, int]:
    """The instruction starting at ``lines[index]`` (None for blank/comment lines)."""
    first = lines[index].strip()
    index += 1
    if not first or first.startswith("#"):
        return None, index
    text = first
    while text.rstrip().endswith(escape):
        text = text.rstrip()[:-1]
        while index < len(lines) and _skipped_in_continuation(lines[index]):
            index += 1
        if index >= len(lines):
            break
        text += lines[index].rstrip("\r")
        index += 1
    return text, index


def _skipped_in_continuation(raw: str) -> bool:
    stripped = raw.strip()
    return not stripped or stripped.startswith("#")


def _heredoc_body(
    lines: list[str], index: int, delimiter: str, strip_tabs: bool
) -> tuple[str, int]:
    body: list[str] = []
    while index < len(lines):
        raw = lines[index]
        index += 1
        if (raw.lstrip("\t") if strip_tabs else raw).rstrip() == delimiter:
            break
        body.append(raw)
    return "\n".join(body), index


def substitute(text: str, variables: dict[str, str], escape: str = "\\") -> Interpolated:
    """Dockerfile variable substitution: ``$X``, ``${X}``, ``${X:-d}``, ``${X:+w}`` ...

    An escaped ``\\$`` and a ``$`` that starts no name are literal, as in Docker. A
    reference to a variable without a value becomes MISSING (see ``Interpolated``).
    """
    template = re.sub(rf"{re.escape(escape)}\$|\$(?![{{A-Za-z_])", "$$", text)
    return interpolate(template, variables)


def unresolved_reason(variable: str) -> str:
    """Why a FROM image that uses ``variable`` has no version."""
    return (
        f"build argument {variable} has no default (give ARG {variable} a default or pin the image)"
    )


class DockerfileSource(Source):
    """Dockerfiles and Containerfiles: the engine in the image that is deployed."""

    name = "dockerfile"
    priority = 10

    def claims(self, path: Path, head: bytes) -> bool:
        """``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``, ``Containerfile``."""
        return self.may_claim(path.name.lower())

    def may_claim(self, name: str) -> bool:
        """The name decides alone."""
        if name.endswith(".dockerignore"):
            return False
        return (
            name in ("dockerfile", "containerfile")
            or name.startswith("dockerfile.")
            or name.endswith(".dockerfile")
        )

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Yield the engine of the deployed image's base and its server packages."""
        stages = _stages(parse_instructions(text), display)
        for index in _deployed_chain(stages):
            stage = stages[index]
            if stage.parent is None:
                yield from _base_component(stage, display)
            yield from stage.packages


def _stages(instructions: list[Instruction], display: str) -> list[Stage]:
    """Build stages in order, with global ARGs applied to FROM and stage scopes to RUN."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stages.append(_from_stage(instruction, stages, global_args, display))
        elif instruction.keyword == "ARG":
            scope = stages[-1].variables if stages else global_args
            _declare_args(instruction, scope, global_args if stages else {}, display)
        elif stages and instruction.keyword == "ENV":
            _declare_env(instruction, stages[-1].variables, display)
        elif stages and instruction.keyword == "RUN":
            stages[-1].packages.extend(_server_packages(instruction, stages[-1].variables, display))
    return stages


def _from_stage(
    instruction: Instruction, stages: list[Stage], global_args: dict[str, str], display: str
) -> Stage:
    words = [w for w in instruction.arguments.split() if not w.startswith("--")]
    if len(words) == 3 and words[1].lower() == "as":
        image, name = words[0], words[2].lower()
    elif len(words) == 1:
        image, name = words[0], None
    else:
        raise InputError(
            "expected FROM [--platform=...] <image> [AS <name>]",
            display,
            instruction.line,
        )
    resolved = _substituted(image, global_args, display, instruction.line)
    earlier = {s.name: i for i, s in enumerate(stages) if s.name}
    parent = earlier.get(resolved.text.lower()) if not resolved.missing else None
    # A stage built FROM another starts with that stage's variables (ENV is inherited;
    # carrying its ARGs too only matters for RUN lines that reuse them).
    variables = dict(stages[parent].variables) if parent is not None else {}
    return Stage(image, resolved, instruction.line, name, parent, variables)


def _substituted(text: str, variables: dict[str, str], display: str, line: int) -> Interpolated:
    try:
        return substitute(text, variables)
    except TemplateError as exc:
        raise InputError(f"invalid variable reference: {exc}", display, line) from None


def _assignments(instruction: Instruction, display: str) -> list[str]:
    try:
        return shlex.split(instruction.arguments, comments=False, posix=True)
    except ValueError:
        raise InputError(
            f"unbalanced quotes in {instruction.keyword}", display, instruction.line
        ) from None


def _declare_args(
    instruction: Instruction, scope: dict[str, str], inherited: dict[str, str], display: str
) -> None:
    """``ARG A=1 B``: a default sets the value; a bare name re-imports a global ARG."""
    for word in _assignments(instruction, display):
        name, equals, default = word.partition("=")
        if equals:
            value = _substituted(default, scope, display, instruction.line)
            if value.missing:
                scope.pop(name, None)
            else:
                scope[name] = value.text
        elif name in inherited:
            scope[name] = inherited[name]


def _declare_env(instruction: Instruction, scope: dict[str, str], display: str) -> None:
    """``ENV K=V ...`` or the legacy ``ENV K V``."""
    words = _assignments(instruction, display)
    if words and "=" not in words[0]:
        pairs = [(words[0], " ".join(words[1:]))]
    else:
        pairs = [(w.partition("=")[0], w.partition("=")[2]) for w in words]
    for name, raw in pairs:
        value = _substituted(raw, scope, display, instruction.line)
        if not value.missing:
            scope[name] = value.text


def _deployed_chain(stages: list[Stage]) -> list[int]:
    """Indexes of the final stage and its ancestors through ``FROM <stage>``, root first."""
    chain: list[int] = []
    index: int | None = len(stages) - 1 if stages else None
    while index is not None and index not in chain:
        chain.append(index)
        index = stages[index].parent
    return chain[::-1]


def _base_component(stage: Stage, display: str) -> Iterator[Component]:
    location = Location(display, stage.line, stage.base)
    reason = unresolved_reason(stage.resolved.missing[0]) if stage.resolved.missing else None
    component = component_for_template(stage.resolved.text, location, reason)
    if component is not None:
        yield component


def _server_packages(
    instruction: Instruction, variables: dict[str, str], display: str
) -> Iterator[Component]:
    """Engine servers a RUN installs from distribution packages (clients are ignored)."""
    for tokens in _commands(instruction, variables, display):
        found = _installed_packages(tokens)
        if found is None:
            continue
        family, verb = found
        for token in tokens[tokens.index(verb) + 1 :]:
            package = _VERSION_SUFFIX.split(token, maxsplit=1)[0].lower()
            engine = SERVER_PACKAGES[family].get(package)
            if engine and not token.startswith("-"):
                where = Location(display, instruction.line, f"{tokens[0]} {verb} {token}")
                yield Component(engine, None, where, unresolved=PACKAGE_REASON, origin="package")


def _commands(instruction: Instruction, variables: dict[str, str], display: str) -> list[list[str]]:
    """The simple commands of a RUN, each as a token list (exec form is one command)."""
    arguments = instruction.arguments
    if arguments.startswith("["):
        try:
            exec_form = json.loads(arguments)
        except ValueError:
            exec_form = None
        if isinstance(exec_form, list) and all(isinstance(w, str) for w in exec_form):
            arguments = " ".join(shlex.quote(w) for w in exec_form)
    text = _substituted(arguments, variables, display, instruction.line).text.replace(MISSING, "")
    commands = []
    for segment in _SHELL_SEPARATOR.split(text):
        try:
            tokens = shlex.split(segment)
        except ValueError:
            tokens = segment.split()
        commands.append(_without_prefixes(tokens))
    return commands


def _without_prefixes(tokens: list[str]) -> list[str]:
    """Drop RUN flags, ``sudo``/``env`` and ``VAR=value`` assignments before a command."""
    start = 0
    while start < len(tokens) and (
        tokens[start].startswith("--")
        or tokens[start] in ("sudo", "env")
        or re.fullmatch(r"[A-Za-z_]\w*=.*", tokens[start])
    ):
        start += 1
    return tokens[start:]


def _installed_packages(tokens: list[str]) -> tuple[str, str] | None:
    """(package family, install verb) when the command installs packages, else None."""
    if not tokens:
        return None
    installer = _INSTALLERS.get(tokens[0].rsplit("/", 1)[-1])
    if installer is None:
        return None
    verb, family = installer
    return (family, verb) if verb in tokens[1:] else None


SOURCE = DockerfileSource()
