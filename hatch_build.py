"""Hatch build hook: ship exactly the published releases, verified, and nothing else.

Only the folders listed in ``build/releases/index.json`` go into the wheel (as
``casd/releases/X.Y.Z``) and the sdist, with the index; archives (the same files again),
leftovers of interrupted writes and unindexed folders never ship. Each shipped release is checked
first (its SHA256SUMS against the index, every file against SHA256SUMS): a tampered or torn
release fails the build instead of shipping.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published(root: Path) -> list[str]:
    """The indexed release versions, each verified (ValueError when one is damaged)."""
    base = root / "build" / "releases"
    index = base / "index.json"
    if not index.exists():
        return []
    versions = []
    for entry in json.loads(index.read_text(encoding="utf-8"))["releases"]:
        folder = base / entry["version"]
        if _sha256(folder / "SHA256SUMS") != entry["sums_sha256"]:
            raise ValueError(f"{folder}/SHA256SUMS does not match the release index: refusing to ship it")
        for line in (folder / "SHA256SUMS").read_text(encoding="ascii").splitlines():
            digest, name = line.split("  ", 1)
            path = folder / name
            if path.is_symlink() or _sha256(path) != digest:
                raise ValueError(f"{path} does not match SHA256SUMS: refusing to ship it")
        versions.append(entry["version"])
    return versions


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]  # hatchling ships no type parameters
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        base = root / "build" / "releases"
        prefix = "casd/releases" if self.target_name == "wheel" else "build/releases"
        versions = published(root)
        if versions:
            build_data["force_include"][str(base / "index.json")] = f"{prefix}/index.json"
        for v in versions:
            build_data["force_include"][str(base / v)] = f"{prefix}/{v}"
