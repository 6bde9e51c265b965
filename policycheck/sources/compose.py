"""Docker Compose files: the ``image`` of every service, with variables interpolated.

Compose substitutes ``${VAR}`` in the file from the shell environment and from the
``.env`` file beside the compose file. We read only ``.env``: the scanner's answer must
not depend on the machine it runs on, so a variable that ``.env`` does not set counts
as having no value.

The image alone decides the engine. Service names are labels the author chose (a
service called ``redis`` may run Valkey, one called ``broker`` may run Redis), so they
are never consulted.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from policycheck.errors import InputError
from policycheck.images import component_for_image
from policycheck.model import Component, Location
from policycheck.sources._helper_files import Helper, read_helper
from policycheck.sources.ci.names import ci_kind
from policycheck.sources.interface import Source, mentions_engine
from policycheck.yamlload import Located, PathKey, iter_documents

#: Stands in for the value of a variable that has none, so that callers can tell
#: which part of an image reference (repository or tag) is unknown.
MISSING = "\ue000"

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_BRACED = re.compile(r"([_A-Za-z][_A-Za-z0-9]*)(:?[-?+])?")
#: Compose's own file names: ``docker-compose*.y(a)ml`` and ``compose*.y(a)ml``.
_COMPOSE_PREFIXES = ("docker-compose", "compose")
_TOP_LEVEL_KEY = re.compile(rb"^([A-Za-z][\w.-]*):", re.MULTILINE)
#: Top-level keys that mark other YAML with ``services:`` or ``x-`` keys: Kubernetes,
#: CI pipelines (GitLab, Drone, Woodpecker list service containers), OpenAPI.
_NOT_COMPOSE_KEYS = frozenset(
    {b"apiVersion", b"kind", b"image", b"stages", b"steps", b"jobs", b"openapi", b"swagger"}
)
#: A top-level ``services:`` whose value is a list (block or flow), as CI files write it.
_SERVICES_LIST = re.compile(
    rb"^services[ \t]*:[ \t]*(?:\[|(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*-[ \t\n])",
    re.MULTILINE,
)
_ENV_KEY = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(=?)(.*)", re.DOTALL)
#: Escapes in double-quoted .env values; ``\$`` becomes ``$$`` so interpolation keeps it literal.
_DOUBLE_QUOTE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": "$$"}
#: The rest of a quoted value up to its closing quote (a backslash escapes in "...").
_CLOSING = {
    "'": re.compile(r"[^']*+'"),
    '"': re.compile(r'(?:[^"\\]|\\.)*+"', re.DOTALL),
}
_INLINE_COMMENT = re.compile(r"\s+#")

#: ``None`` as a value means "set, but to something we cannot know".
Variables = Mapping[str, str | None]


class TemplateError(ValueError):
    """A ``$`` that starts no valid variable reference (Compose rejects the file)."""


@dataclass(frozen=True)
class Interpolated:
    """A string after interpolation: ``text`` has MISSING where a value was unknown."""

    text: str
    missing: tuple[str, ...] = ()


def interpolate(template: str, variables: Variables) -> Interpolated:
    """Expand Compose variable references in ``template``.

    Supports ``$$`` (a literal ``$``), ``$X``, ``${X}``, ``${X:-default}`` (default when X
    is unset or empty), ``${X-default}`` (only when unset), ``${X:?err}`` / ``${X?err}``
    (required), ``${X:+alt}`` / ``${X+alt}``, with nested references in defaults.
    Values are inserted literally, never expanded again, as Compose does.
    """
    missing: list[str] = []
    text = _Expander(template, variables, missing).expand()
    return Interpolated(text, tuple(dict.fromkeys(missing)))


class _Expander:
    """One left-to-right pass over a template; recursion only for nested defaults."""

    def __init__(self, text: str, variables: Variables, missing: list[str]) -> None:
        self.text = text
        self.variables = variables
        self.missing = missing

    def expand(self) -> str:
        out: list[str] = []
        pos = 0
        while (dollar := self.text.find("$", pos)) >= 0:
            out.append(self.text[pos:dollar])
            value, pos = self._reference(dollar + 1)
            out.append(value)
        out.append(self.text[pos:])
        return "".join(out)

    def _reference(self, pos: int) -> tuple[str, int]:
        """Expand the reference whose ``$`` ends just before ``pos``; return the end."""
        text = self.text
        if text.startswith("$", pos):
            return "$", pos + 1
        if text.startswith("{", pos):
            return self._braced(pos + 1)
        name = _NAME.match(text, pos)
        if name is None:
            raise TemplateError(f"'$' at position {pos} starts no variable name")
        return self._value(name.group(0)), name.end()

    def _braced(self, pos: int) -> tuple[str, int]:
        head = _BRACED.match(self.text, pos)
        if head is None:
            raise TemplateError("'${' must be followed by a variable name")
        name, operator = head.group(1), head.group(2)
        end = _closing_brace(self.text, head.end())
        word = self.text[head.end() : end]
        if operator is None and word:
            raise TemplateError(f"unexpected text {word!r} in ${{{name}...}}")
        return self._apply(name, operator, word), end + 1

    def _apply(self, name: str, operator: str | None, word: str) -> str:
        if name in self.variables and self.variables[name] is None:
            return self._value(name)
        value = self.variables.get(name)
        is_set = value is not None
        is_nonempty = bool(value)
        if operator in (":-", "-"):
            use_value = is_nonempty if operator == ":-" else is_set
            return self._value(name) if use_value else self._nested(word)
        if operator in (":+", "+"):
            use_word = is_nonempty if operator == ":+" else is_set
            return self._nested(word) if use_word else ""
        if operator == ":?" and value == "":
            self.missing.append(name)
            return MISSING
        return self._value(name)

    def _nested(self, word: str) -> str:
        return _Expander(word, self.variables, self.missing).expand()

    def _value(self, name: str) -> str:
        value = self.variables.get(name)
        if value is None:
            self.missing.append(name)
            return MISSING
        return value


def _closing_brace(text: str, pos: int) -> int:
    """Index of the ``}`` that closes a reference, skipping nested ``${...}`` and ``$$``."""
    depth = 0
    while pos < len(text):
        if text.startswith("$$", pos):
            pos += 2
            continue
        if text.startswith("${", pos):
            depth += 1
            pos += 2
            continue
        if text[pos] == "}":
            if depth == 0:
                return pos
            depth -= 1
        pos += 1
    raise TemplateError("'${' is never closed with '}'")


def unresolved_reason(variable: str) -> str:
    """Why an image whose tag uses ``variable`` has no version."""
    return f"variable ${{{variable}}} has no value (set it in .env or give a default)"


def component_for_template(
    resolved: str, location: Location, reason: str | None
) -> Component | None:
    """A Component for an image that may contain MISSING (an unknown variable value).

    When only the tag or digest is unknown and the repository names an engine image
    (catalogued, derived or unrecognised, see ``images``), the engine is known and its
    version is not: an unresolved Component. When only the registry is unknown
    (``${REGISTRY}/library/redis:7.4.0``), the path after it is read as a mirror's would
    be, and the finding says where the registry comes from. When the repository itself
    is unknown (``${IMAGE}``), nothing can be said about what runs: nothing is reported.
    """
    if MISSING not in resolved:
        return component_for_image(resolved, location)
    repository = _repository_part(resolved)
    registry, slash, path = repository.partition("/")
    registry_unknown = MISSING in registry and bool(slash) and MISSING not in path
    if MISSING in repository and not registry_unknown:
        return None
    if registry_unknown:
        resolved = _UNKNOWN_REGISTRY + resolved[len(registry) :]
        repository = _UNKNOWN_REGISTRY + repository[len(registry) :]
    if MISSING in resolved:
        component = component_for_image(repository, location, unknown_tag=reason)
    else:
        component = component_for_image(resolved, location)
    if component is None or not registry_unknown:
        return component
    written = (location.text or registry).split("/", 1)[0]
    notes = tuple(n for n in component.notes if _UNKNOWN_REGISTRY not in n)
    unresolved = component.unresolved
    if unresolved is not None:
        unresolved = unresolved.replace(_UNKNOWN_REGISTRY, written)
    return replace(
        component,
        unresolved=unresolved,
        notes=(
            f"The registry {written} is not known here ({reason or 'no value'}); the image "
            "path after it is read as a mirror's would be.",
            *notes,
        ),
    )


#: Stands for a registry a variable would name: reserved, so it never matches a catalogued one.
_UNKNOWN_REGISTRY = "registry.invalid"


def _repository_part(image: str) -> str:
    """``registry/repository`` of an image reference, without tag and digest."""
    name = image.split("@", 1)[0]
    head, slash, last = name.rpartition("/")
    return f"{head}{slash}{last.split(':', 1)[0]}"


def parse_dotenv(text: str, display: str) -> dict[str, str | None]:
    """Variables from a Compose ``.env`` file.

    ``KEY=VALUE`` lines, optional ``export``, ``#`` comments (inline ones only after
    whitespace in unquoted values), single quotes (literal), double quotes (escapes,
    may span lines). Unquoted and double-quoted values may refer to variables set
    earlier in the file. A bare ``KEY`` takes its value from the shell, which we do not
    read: it is recorded as set to an unknown value (None).

    One pass over the text: a quoted value's closing quote is searched for once from
    where the value starts, so an unclosed quote costs a single scan, not one per line.
    """
    variables: dict[str, str | None] = {}
    lines = text.splitlines(keepends=True)
    starts = list(itertools.accumulate((len(line) for line in lines), initial=0))
    index = 0
    while index < len(lines):
        number = index + 1
        line = lines[index]
        stripped = line.strip()
        index += 1
        if not stripped or stripped.startswith("#"):
            continue
        match = _ENV_KEY.fullmatch(stripped)
        if match is None:
            raise InputError(
                "not a KEY=VALUE line",
                display,
                number,
                "variable names start with a letter or '_'; comments start with '#'",
            )
        key, equals, rest = match.groups()
        if not equals:
            if rest.strip() and not rest.lstrip().startswith("#"):
                raise InputError(f"expected '=' after {key}", display, number)
            variables[key] = None
            continue
        value = rest.strip()
        if not value or value[0] not in "'\"":
            variables[key] = _expand_env_value(_unquoted(value), variables)
            continue
        quote = value[0]
        opening = starts[number - 1] + line.index(quote, line.index("=") + 1)
        raw, end = _quoted_value(text, opening, quote, display, number)
        index = bisect.bisect_right(starts, end)  # the line after the closing quote
        variables[key] = raw if quote == "'" else _expand_env_value(raw, variables)
    return variables


def _unquoted(value: str) -> str:
    """An unquoted value without a trailing `` # comment``."""
    comment = _INLINE_COMMENT.search(value)
    return (value[: comment.start()] if comment else value).rstrip()


def _quoted_value(
    text: str, opening: int, quote: str, display: str, number: int
) -> tuple[str, int]:
    """(value, offset of its closing quote) for the quote at ``opening`` in ``text``."""
    closing = _CLOSING[quote].match(text, opening + 1)
    if closing is None:
        raise InputError(f"quoted value is never closed with {quote}", display, number)
    end = closing.end() - 1
    raw = text[opening + 1 : end].replace("\r\n", "\n").replace("\r", "\n")
    if quote == '"':
        raw = re.sub(r"\\(.)", lambda m: _DOUBLE_QUOTE_ESCAPES.get(m[1], m[0]), raw)
    return raw, end


def _expand_env_value(raw: str, earlier: Variables) -> str | None:
    """Expand references to earlier ``.env`` variables; None when one has no value."""
    try:
        result = interpolate(raw, earlier)
    except TemplateError:
        return raw
    return None if result.missing else result.text


def _may_have_compose_keys(head: bytes) -> bool:
    """Whether a top-level ``services`` or ``x-`` key (one ``_TOP_LEVEL_KEY`` can find,
    at the start of a line) may be in ``head``: a plain test for most YAML files, whose
    ``x-`` is in ``max-surge`` or ``x-kubernetes-...`` further in."""
    return head.startswith((b"services", b"x-")) or b"\nservices" in head or b"\nx-" in head


class ComposeSource(Source):
    """Docker Compose files: one Component per service image that runs an engine."""

    name = "compose"
    priority = 10

    def claims(self, path: Path, head: bytes) -> bool:
        """Compose file names, or YAML whose top-level keys look like Compose.

        Many projects rename their compose files (``stack.yml``, ``sentry.yml``), so a
        YAML file with top-level ``services:`` or ``x-`` extension keys is claimed too,
        unless its other top-level keys say it is Kubernetes, a CI pipeline or OpenAPI,
        or its ``services`` is a list (CI pipelines list service containers; Compose
        maps service names). CI pipeline files (``.gitlab-ci.yml``, ``.travis.yml``,
        GitHub workflows...) are never compose files, whatever their content.
        """
        name = path.name.lower()
        if not name.endswith((".yml", ".yaml")):
            return False
        named = "docker-compose" in name or name.startswith(_COMPOSE_PREFIXES)
        if not named and not _may_have_compose_keys(head):
            return False  # the common case, decided without a regular expression
        if ci_kind(path) is not None:
            return False
        if named:
            return True
        keys = {m.group(1) for m in _TOP_LEVEL_KEY.finditer(head)}
        if keys & _NOT_COMPOSE_KEYS:
            return False
        if b"services" in keys:
            return _SERVICES_LIST.search(head) is None
        return any(k.startswith(b"x-") for k in keys)

    def may_claim(self, name: str) -> bool:
        """Only YAML files."""
        return name.endswith((".yml", ".yaml"))

    def worth_parsing(self, lowered: bytes) -> bool:
        """An engine word, or an interpolation: ``image: ${CACHE_IMAGE}`` may come from .env."""
        return b"${" in lowered or mentions_engine(lowered)

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Yield a Component for every service whose image runs an engine."""
        dotenv = _DotEnv(path.parent / ".env", str(PurePosixPath(display).parent / ".env"))
        for document in iter_documents(text, display):
            yield from _document_components(document, dotenv, display)
        if dotenv.error is not None:
            raise dotenv.error  # after every engine of the file is out: see _DotEnv


class _DotEnv:
    """The ``.env`` beside a compose file, read only when an image uses a variable.

    A ``.env`` that cannot be used (malformed, not UTF-8, a symlink out of the
    project folder) leaves every variable unknown: images that use one are reported
    unresolved, naming the file, and a malformed file is an input error of its own
    (``error``), raised once the compose file's other engines are out.
    """

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self.error: InputError | None = None
        self.unreadable: str | None = None
        self._variables: Variables | None = None

    def variables(self) -> Variables:
        if self._variables is None:
            self._variables = self._load()
        return self._variables

    def _load(self) -> Variables:
        helper = read_helper(self.path, self.path.parent, self.display)
        if helper.missing:
            return {}
        if helper.text is not None:
            try:
                return parse_dotenv(helper.text, self.display)
            except InputError as exc:
                where = f"line {exc.line}: " if exc.line else ""
                helper = Helper(self.display, problem=f"{where}{exc.message}", error=exc)
        self.error = helper.error
        self.unreadable = helper.why_unread("the image tag")
        return _UNKNOWN


class _Unknown(Mapping[str, "str | None"]):
    """Every variable set, to a value nobody can know (a ``.env`` that could not be read)."""

    def __getitem__(self, key: str) -> str | None:
        return None

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


_UNKNOWN = _Unknown()


def _document_components(document: Located, dotenv: _DotEnv, display: str) -> Iterator[Component]:
    services, prefix = _services(document, display)
    for service_name, service in services.items():
        key: PathKey = (*prefix, service_name)
        if not isinstance(service, dict):
            raise InputError(
                f"service {service_name!r} must be a mapping",
                display,
                document.line_of(key),
            )
        if "image" not in service:
            continue  # built from a Dockerfile, which the Dockerfile source reads
        line = document.line_of((*key, "image"))
        component = _image_component(service["image"], dotenv, Location(display, line, None))
        if component is not None:
            yield component


def _services(document: Located, display: str) -> tuple[dict[str, Any], PathKey]:
    """The services mapping and its path; the legacy v1 format has services at the top."""
    top = document.value
    if top is None:
        return {}, ()
    if not isinstance(top, dict):
        raise InputError(
            "a compose file must be a mapping with a 'services' key", display, document.line_of(())
        )
    if "services" not in top:
        legacy = {
            k: v
            for k, v in top.items()
            if isinstance(k, str) and isinstance(v, dict) and ("image" in v or "build" in v)
        }
        return legacy, ()
    services = top["services"]
    if services is None:
        return {}, ("services",)
    if not isinstance(services, dict):
        raise InputError(
            "'services' must map service names to their definitions",
            display,
            document.line_of(("services",)),
        )
    return services, ("services",)


def _image_component(image: Any, dotenv: _DotEnv, where: Location) -> Component | None:
    if not isinstance(image, str):
        raise InputError(
            "'image' must be a string",
            where.path,
            where.line,
            'write the image reference, e.g. image: "redis:7.4.2"',
        )
    location = Location(where.path, where.line, image)
    if "$" not in image:
        return component_for_image(image, location)
    try:
        result = interpolate(image, dotenv.variables())
    except TemplateError as exc:
        raise InputError(
            f"invalid variable reference in image {image!r}: {exc}",
            where.path,
            where.line,
            "write $$ for a literal '$'",
        ) from None
    reason = None
    if result.missing:
        reason = dotenv.unreadable or unresolved_reason(result.missing[0])
    return component_for_template(result.text, location, reason)


SOURCE = ComposeSource()
