"""An organization's registries: the mirrors it pulls through and the images it builds.

A policy declares them under ``registries`` (see ``policy.py``); image identification
(``images.py``) reads them. They live in a module of their own, without imports from
the rest of the package, so that both can use them without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

#: How a declared image's tag reads: the engine release it runs, the engine's release
#: line (major.minor; the patch is the image's own), or only the image's own version.
TAG_READINGS = ("release", "line", "image")


@dataclass(frozen=True)
class Mirror:
    """``prefix`` serves the images of ``of`` under the same paths.

    Both are lower-case ``registry[/path]``: ``artifactory.corp.example/dockerhub`` of
    ``docker.io`` means ``artifactory.corp.example/dockerhub/library/redis`` is
    ``docker.io/library/redis`` (and ``.../dockerhub/redis`` is too, as on Docker Hub).
    """

    prefix: str
    of: str
    line: int | None = None


@dataclass(frozen=True)
class DeclaredImage:
    """An image the organization says what it runs: ``engine`` (None: no engine at all).

    ``image`` is a lower-case repository; with a registry it matches that registry only,
    without one it matches the repository path on any registry. ``tag`` says how its tag
    reads (one of ``TAG_READINGS``).
    """

    image: str
    engine: str | None
    tag: str = "image"
    note: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Registries:
    """Everything a policy declares under ``registries``; empty by default."""

    mirrors: tuple[Mirror, ...] = ()
    images: tuple[DeclaredImage, ...] = ()
    source: str | None = None

    def __bool__(self) -> bool:
        return bool(self.mirrors or self.images)
