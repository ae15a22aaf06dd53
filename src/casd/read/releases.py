"""Published releases: find them, resolve a version once, and read its files verified.

The only reader of releases, for consumers and for the curation side alike. A release
folder's ``SHA256SUMS`` is checked against the release index, and every file against
``SHA256SUMS``, on the very bytes that are then parsed (no window between check and read).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import CasdError, IntegrityError
from ..paths import INDEX_NAME, RELEASES
from . import semver
from .integrity import parse_sums, sha256

_HERE = Path(__file__).resolve().parent.parent  # src/casd or site-packages/casd


def releases_dir() -> Path:
    """Where published releases are read from: ``$CASD_RELEASES``, else the repository's
    ``build/releases`` in a development checkout, else the copy inside the installed package."""
    env = os.environ.get("CASD_RELEASES")
    if env:
        return Path(env)
    repo = _HERE.parents[1]
    checkout = repo / RELEASES
    if (repo / "pyproject.toml").exists() and checkout.is_dir():
        return checkout
    return _HERE / "releases"


def read_index(base: Path) -> list[dict[str, Any]]:
    """Entries of a release index (``base/index.json``), oldest first; ``[]`` if there is none."""
    path = Path(base) / INDEX_NAME
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_bytes())["releases"]
        for e in entries:
            semver.parse(e["version"])
            str(e["sums_sha256"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IntegrityError(f"{path}: not a readable release index ({e})") from e
    return sorted(entries, key=lambda e: semver.key(e["version"]))


def versions(base: Path | None = None) -> list[str]:
    """Published versions, oldest first."""
    return [e["version"] for e in read_index(base or releases_dir())]


@dataclass(frozen=True)
class Release:
    """One published release, resolved once: its folder, index entry and verified checksum list."""

    version: str
    folder: Path
    entry: dict[str, Any]
    sums: dict[str, str]

    def read_bytes(self, name: str) -> bytes:
        """A file's bytes after checking them against ``SHA256SUMS``."""
        if name not in self.sums:
            raise CasdError(f"{name!r} is not a file of release {self.version}")
        path = self.folder / name
        try:
            data = path.read_bytes()
        except OSError as e:
            raise IntegrityError(f"{path}: missing or unreadable ({e.strerror or e})") from e
        actual = sha256(data)
        if actual != self.sums[name]:
            raise IntegrityError(f"{path}: sha256 {actual}, SHA256SUMS says {self.sums[name]}")
        return data

    def descriptor(self) -> dict[str, Any]:
        """The release's ``datapackage.json``, verified."""
        result: dict[str, Any] = json.loads(self.read_bytes("datapackage.json"))
        return result

    def table_names(self) -> list[str]:
        return [r["name"] for r in self.descriptor()["resources"]]

    def table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """One table from its Parquet file, verified (read without pandas)."""
        return pq.ParquetFile(io.BytesIO(self.read_bytes(f"{name}.parquet"))).read(columns=columns)


def open_release(version: str | None = None, base: Path | None = None) -> Release:
    """Resolve a version (``None``: the latest) and verify its ``SHA256SUMS`` against the index."""
    base = Path(base) if base is not None else releases_dir()
    entries = {e["version"]: e for e in read_index(base)}
    if not entries:
        raise CasdError(f"no published release in {base}")
    if version is None:
        version = max(entries, key=semver.key)
    if version not in entries:
        raise CasdError(f"no release {version!r}; published: {', '.join(sorted(entries, key=semver.key))}")
    entry = entries[version]
    folder = base / version
    try:
        raw = (folder / "SHA256SUMS").read_bytes()
    except OSError as e:
        raise IntegrityError(f"{folder}/SHA256SUMS: missing or unreadable ({e.strerror or e})") from e
    actual = sha256(raw)
    if actual != entry["sums_sha256"]:
        raise IntegrityError(f"{folder}/SHA256SUMS: sha256 {actual}, the release index says {entry['sums_sha256']}")
    return Release(version, folder, entry, parse_sums(raw, f"{folder}/SHA256SUMS"))
