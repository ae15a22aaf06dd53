"""The one version parser and comparator: ``X.Y.Z`` releases and ``X.Y.Z-dev`` working builds."""

from __future__ import annotations

import re
from typing import Literal

Level = Literal["major", "minor", "patch"]
LEVELS: dict[str, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def is_version(text: str) -> bool:
    return bool(_SEMVER.match(text))


def parse(version: str) -> tuple[int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; ValueError for anything else."""
    m = _SEMVER.match(version)
    if not m:
        raise ValueError(f"{version!r} is not a version X.Y.Z")
    return int(m[1]), int(m[2]), int(m[3])


def key(version: str) -> tuple[int, int, int]:
    """Sort key of a version."""
    return parse(version)


def bump(version: str | None, level: str) -> str:
    """The next version at a level; the first release is 0.1.0."""
    if version is None:
        return "0.1.0"
    major, minor, patch = parse(version)
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def level(old: str, new: str) -> Level:
    """The SemVer level of going from ``old`` to ``new``."""
    o, n = parse(old), parse(new)
    return "major" if n[0] != o[0] else "minor" if n[1] != o[1] else "patch"


def dev(latest: str | None) -> str:
    """The working build's version: the next patch pre-release after the latest release."""
    return "0.1.0-dev" if latest is None else bump(latest, "patch") + "-dev"
