"""Hatch build hook: ship exactly the published releases, verified, and nothing else.

Only the folders listed in ``build/releases/index.json`` go into the wheel (as
``casd/releases/X.Y.Z``) and the sdist, with the index; archives (the same files again),
leftovers of interrupted writes and unindexed folders never ship. Each shipped release is checked
first (its SHA256SUMS against the index, every file against SHA256SUMS): a tampered or torn
release fails the build instead of shipping.

The wheel is the public package, so it follows the rights decision (docs/rights.md): it ships the
**seedless profile**, every release without its seed texts (the third-party articles), marked by
``casd/releases/profile.json``; the records, offsets and each seed's sha256 let anyone who holds
an article verify every quote. The sdist, which carries the tests, keeps the seeds.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: What the wheel's releases leave out, and why (read by casd.read.releases).
PROFILE = {
    "profile": "seedless",
    "omitted": ["seeds/", "the archives casd-X.Y.Z.tar.gz (the same files again)"],
    "why": "The seed texts are articles whose rights remain with their publishers (docs/rights.md). "
    "Every release lists each seed's sha256 in SHA256SUMS and in the sources table: hold the article, check it, and every quote can be verified at its offsets.",
}


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
            if self.target_name != "wheel":  # the sdist: the whole release, its archive and checksum too
                build_data["force_include"][str(base / v)] = f"{prefix}/{v}"
                for extra in (f"casd-{v}.tar.gz", f"casd-{v}.tar.gz.sha256"):
                    if (base / extra).is_file():
                        build_data["force_include"][str(base / extra)] = f"{prefix}/{extra}"
                continue
            for path in sorted((base / v).rglob("*")):
                rel = path.relative_to(base / v).as_posix()
                if path.is_file() and not rel.startswith("seeds/"):
                    build_data["force_include"][str(path)] = f"{prefix}/{v}/{rel}"
        if self.target_name == "wheel" and versions:
            marker = Path(self.directory) / "casd-profile.json"
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(PROFILE, indent=2) + "\n", encoding="utf-8")
            build_data["force_include"][str(marker)] = f"{prefix}/profile.json"
