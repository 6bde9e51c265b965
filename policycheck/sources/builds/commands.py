"""Engines that shell commands build from source or install from distribution packages.

Dockerfile ``RUN`` instructions and the shell scripts a repository runs (``install-redis``,
``*.sh``) deploy engines without naming an image: they download a release archive or
clone the repository and build it, or install a distribution package. What counts is
data, not code: each engine's catalog entry lists where its project publishes releases
(``source_builds``) and which distribution packages install its server (``packages``).

The shell text is read by ``shellwords`` (words expanded, unknown values marked);
this module says what its commands mean: a download or clone of an engine's sources,
a package install, and the release a download or a package pin names. A value the
reader could not know leaves the version unresolved, with the reason why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

from ahocorasick_rs import AhoCorasick

from policycheck.catalog import Download, catalog
from policycheck.model import Component, Location
from policycheck.sources.builds.shellwords import (
    COMMAND_OUTPUT,
    Command,
    Scope,
    Word,
    inline_script,
    read_commands,
)
from policycheck.sources.compose import MISSING

PACKAGE_REASON = (
    "installed from the distribution's package repository; the package version decides the license"
)

#: Installer -> (the verb that installs, the package family its names belong to).
_INSTALLERS = {
    "apt-get": ("install", "apt"),
    "apt": ("install", "apt"),
    "aptitude": ("install", "apt"),
    "apk": ("add", "apk"),
    "yum": ("install", "rpm"),
    "dnf": ("install", "rpm"),
    "microdnf": ("install", "rpm"),
}
_RELEASE = re.compile(r"v?(\d+(?:\.\d+){0,2}(?:-?(?:rc|alpha|beta|m)\d*)?)", re.IGNORECASE)
_UPSTREAM = re.compile(r"\d+(?:\.\d+)*(?:-?(?:rc|alpha|beta)\d*)?", re.IGNORECASE)
#: How deep ``sh -c SCRIPT`` inside ``sh -c`` is read.
_MAX_SCRIPT_DEPTH = 3


@dataclass(frozen=True)
class _Rules:
    """The catalog's build and package facts, indexed for the scan."""

    archives: re.Pattern[str] | None
    clones: re.Pattern[str] | None
    groups: dict[str, tuple[str, Download]]
    variables: dict[str, str]
    packages: dict[str, dict[str, str]]
    binaries: dict[str, str]
    #: The longest literal of each download template, case-folded: a word holding none
    #: of them cannot match, and the alternations, tried at every position of every
    #: word, are what a long script (an autoconf ``configure``) costs.
    anchors: AhoCorasick | None

    def may_download(self, text: str) -> bool:
        """Whether ``text`` holds some template's longest literal (in any case)."""
        return self.anchors is not None and bool(
            self.anchors.find_matches_as_indexes(text.casefold())
        )


def _anchor(template: str) -> str:
    """A template's longest literal piece, which every address it matches contains."""
    return max(re.split(r"\{version\}|\{any\}", template), key=len).casefold()


@cache
def rules() -> _Rules:
    """Every engine's download templates as two alternations (archives, clones), one
    match per word whatever the number of engines."""
    archives: list[str] = []
    clones: list[str] = []
    groups: dict[str, tuple[str, Download]] = {}
    variables: dict[str, str] = {}
    packages: dict[str, dict[str, str]] = {}
    binaries: dict[str, str] = {}
    for engine in catalog().engines.values():
        builds = engine.source_builds
        if builds is not None:
            for download in builds.downloads:
                key = f"d{len(groups)}"
                groups[key] = (engine.id, download)
                body = download.pattern.replace("(?P<version>", f"(?P<v{key}>")
                (clones if download.clone else archives).append(f"(?P<{key}>{body})")
            for name in builds.variables:
                variables[name.lower()] = engine.id
            for binary in builds.binaries:
                binaries[binary.lower()] = engine.id
        if engine.packages is not None:
            for family, names in engine.packages.names.items():
                for name in names:
                    packages.setdefault(family, {})[name] = engine.id

    def alternation(parts: list[str]) -> re.Pattern[str] | None:
        return re.compile("|".join(parts), re.IGNORECASE) if parts else None

    anchors = sorted({_anchor(download.template) for _, download in groups.values()})
    return _Rules(
        alternation(archives),
        alternation(clones),
        groups,
        variables,
        packages,
        binaries,
        AhoCorasick(anchors) if anchors else None,
    )


def server_binaries() -> dict[str, str]:
    """Lower-cased server executable name -> engine (``redis-server`` -> redis)."""
    return rules().binaries


#: Says why a version is unknown, given the names (or ``$(...)``) that had no value.
Reason = Callable[[tuple[str, ...]], str]


def default_reason(missing: tuple[str, ...]) -> str:
    """Why a version that depends on ``missing`` is unknown, in a script."""
    if COMMAND_OUTPUT in missing:
        return "the version is computed when the commands run ($(...)); pin it in the file"
    names = ", ".join(missing)
    return f"the version comes from {names}, which has no value in this file (set it or pin the version)"


class Scanner:
    """Finds source builds and package installs in shell text of one file.

    ``line_at`` maps an offset of the scanned text to its line in the file; ``reason``
    explains an unknown version. Findings are deduplicated per scanner: a download
    named in a variable and fetched through it is one build, reported where first seen.
    """

    def __init__(self, display: str, line_at: Callable[[int], int], reason: Reason) -> None:
        self.display = display
        self.line_at = line_at
        self.reason = reason
        self.found: list[Component] = []
        self._seen: set[tuple[str, str | None, str | None, str]] = set()

    def scan(self, text: str, scope: Scope, base: int = 0, depth: int = 0) -> None:
        """Scan ``text`` (starting at offset ``base`` of the file's text), updating ``scope``
        with the assignments it makes."""
        for command in read_commands(text, scope, base):
            self._command(command, scope, depth)

    def scan_words(self, words: list[Word], scope: Scope, clone_ok: bool) -> None:
        """Look for downloads in words expanded elsewhere (Dockerfile ENV, ARG, ADD)."""
        for word in words:
            self._downloads(word, scope, clone_ok=clone_ok, branch=None)

    def _command(self, command: Command, scope: Scope, depth: int) -> None:
        for word in command.prefix:  # URLs assigned to variables count where written
            self._downloads(word, scope, clone_ok=False, branch=None)
        words, program = command.words, command.program
        if not words:
            return
        script = inline_script(command)
        if script is not None and depth < _MAX_SCRIPT_DEPTH:
            self.scan(script.raw.strip("'\""), scope, script.start + 1, depth + 1)
        cloning = program == "git" and any(w.text == "clone" for w in words[1:])
        branch = _branch(words) if cloning else None
        for word in words:
            self._downloads(word, scope, clone_ok=cloning, branch=branch)
        installer = _INSTALLERS.get(program)
        if installer is not None:
            self._packages(words, *installer)

    def _downloads(self, word: Word, scope: Scope, clone_ok: bool, branch: Word | None) -> None:
        text = word.text
        if "/" not in text or "." not in text:
            return
        r = rules()
        if not r.may_download(text):
            return
        if r.archives is not None:
            for m in r.archives.finditer(text):
                key = m.lastgroup or ""
                engine, _ = r.groups[key]
                url = _with_scheme(text, m.start(), m.group(key))
                self._build(engine, word, m.group("v" + key), url, word.missing)
        if clone_ok and r.clones is not None:
            for m in r.clones.finditer(text):
                key = m.lastgroup or ""
                engine, _ = r.groups[key]
                url = _with_scheme(text, m.start(), m.group(key))
                ref = _ref_after(text, m.end())
                if ref is not None:
                    self._build(engine, word, ref, f"{url}#{ref}", word.missing)
                elif branch is not None:
                    self._build(engine, word, branch.text, url, branch.missing)
                else:
                    self._from_variables(engine, word, scope, url)

    def _from_variables(self, engine: str, word: Word, scope: Scope, url: str) -> None:
        for name, value in scope.values.items():
            if rules().variables.get(name.lower()) == engine:
                missing = scope.unknown.get(name, ()) if value is not None else (name,)
                self._build(engine, word, value or MISSING, url, missing, via=name)
                return
        why = (
            "cloned without naming a release (git clone --branch); the default branch "
            "at build time decides what is built"
        )
        self._add(engine, None, False, why, word, "source", (f"built from source: {url}",))

    def _build(
        self,
        engine: str,
        word: Word,
        version_text: str,
        url: str,
        missing: tuple[str, ...],
        via: str | None = None,
    ) -> None:
        version, floating, why = release(version_text)
        if MISSING in version_text:
            version, floating, why = None, False, self.reason(missing or ("?",))
        shown = word.raw if MISSING in url else url
        notes = [f"built from source: {shown}"]
        if via is not None and version is not None:
            notes.append(f"release from {via}={version_text}")
        self._add(engine, version, floating, why, word, "source", tuple(notes))

    def _packages(self, command: list[Word], verb: str, family: str) -> None:
        texts = [w.text for w in command]
        if verb not in texts[1:]:
            return
        table = rules().packages.get(family, {})
        for word in command[texts.index(verb, 1) + 1 :]:
            if word.text.startswith("-"):
                continue
            parsed = _package(word.text, family, table)
            if parsed is None:
                continue
            engine, version, floating, why = parsed
            notes = (f"installed from the distribution package {word.text}",)
            shown = Word(word.start, f"{command[0].text} {verb} {word.text}", word.text, ())
            self._add(engine, version, floating, why, shown, "package", notes)

    def _add(
        self,
        engine: str,
        version: str | None,
        floating: bool,
        why: str | None,
        word: Word,
        origin: str,
        notes: tuple[str, ...],
    ) -> None:
        key = (engine, version, why, origin)
        if key in self._seen:
            return
        self._seen.add(key)
        location = Location(self.display, self.line_at(word.start), word.raw)
        component = Component(
            engine, version, location, unresolved=why, floating=floating, origin=origin
        )
        self.found.append(_with_notes(component, notes))


def _with_notes(component: Component, notes: tuple[str, ...]) -> Component:
    return replace(component, notes=component.notes + notes)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://$")


def _with_scheme(text: str, start: int, address: str) -> str:
    """The address with the scheme written before it (``https://``), if any."""
    scheme = _SCHEME.search(text, max(0, start - 16), start)
    return (scheme.group(0) if scheme else "") + address


def _branch(command: list[Word]) -> Word | None:
    """The ``--branch``/``-b`` of a ``git clone``."""
    for index, word in enumerate(command):
        if word.text in ("-b", "--branch") and index + 1 < len(command):
            return command[index + 1]
        if word.text.startswith("--branch="):
            text = word.text.partition("=")[2]
            return Word(word.start, word.raw, text, word.missing)
    return None


def _ref_after(text: str, end: int) -> str | None:
    """The ``#ref`` after a repository address (BuildKit's ``ADD <repo>.git#<ref>``)."""
    if not text.startswith("#", end):
        return None
    ref = re.match(r"[^\s:#]+", text[end + 1 :])
    return ref.group(0) if ref else None


def release(text: str) -> tuple[str | None, bool, str | None]:
    """(version, floating, unresolved reason) for the release a download names.

    ``7.4.2`` is pinned, ``7.2`` (a release line, e.g. a branch tarball) floating;
    ``stable``/``latest`` float to the newest release; other names (``unstable``, a
    commit) are no release at all.
    """
    word = text.strip()
    if word.lower() in ("stable", "latest"):
        return "latest", True, None
    m = _RELEASE.fullmatch(word)
    if m is None:
        return (
            None,
            False,
            f"the download names {word!r}, which is not a release (a branch or commit "
            "decides what is built)",
        )
    version = m.group(1)
    core = re.match(r"\d+(?:\.\d+)*", version)
    return version, core is not None and core.group(0).count(".") < 2, None


def _package(
    token: str, family: str, table: dict[str, str]
) -> tuple[str, str | None, bool, str | None] | None:
    """(engine, version, floating, reason) for a package argument naming an engine server."""
    name, pin, operator = _split_package(token, family, table)
    engine = table.get(name)
    if engine is None:
        return None
    if pin is None:
        return engine, None, False, PACKAGE_REASON
    if operator not in ("=", "~", "-"):
        return engine, None, False, f"package {token} allows a range of versions; " + PACKAGE_REASON
    upstream = _upstream(pin, family)
    if upstream is None:
        return engine, None, False, f"package version {pin!r} names no upstream release"
    version, floating, why = release(upstream)
    return engine, version, floating or operator == "~" or pin.endswith("*"), why


def _split_package(
    token: str, family: str, table: dict[str, str]
) -> tuple[str, str | None, str | None]:
    """(name, version pin, operator) of ``redis=5:7.0.15-1``, ``redis~7.2``, ``valkey-8.0.1``."""
    if family == "rpm":
        for name in table:
            if token == name:
                return name, None, None
            if token.startswith(name + "-") and token[len(name) + 1 : len(name) + 2].isdigit():
                return name, token[len(name) + 1 :], "-"
        return token, None, None
    m = re.match(r"([a-z0-9][a-z0-9+._-]*?)(?::[a-z0-9-]+)?(?:([=~<>]+)(.*)|/.*|@.*)?$", token)
    if m is None:
        return token, None, None
    return m.group(1), m.group(3) or None, m.group(2)


def _upstream(pin: str, family: str) -> str | None:
    """The upstream release in a distribution version: ``5:7.0.15-1~deb12u1`` -> 7.0.15."""
    text = re.sub(r"^\d+:", "", pin.strip())
    m = _UPSTREAM.match(text)
    return m.group(0) if m else None
