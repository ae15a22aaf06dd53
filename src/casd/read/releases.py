"""Published releases: find them, resolve a version once, and read its files verified.

The only reader of releases, for consumers and for the curation side alike. A release
folder's ``SHA256SUMS`` is checked against the release index, and every file against
``SHA256SUMS``, on the very bytes that are then parsed (no window between check and read).
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CasdError, IntegrityError
from ..paths import INDEX_NAME, RELEASES
from . import semver
from .integrity import parse_sums, sha256

if TYPE_CHECKING:
    import pyarrow as pa

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
    seedless: bool = False
    """A copy in the seedless profile (the public wheel): the seed texts listed in SHA256SUMS are
    left out on purpose (see docs/rights.md); everything else is verified as usual."""

    def read_bytes(self, name: str) -> bytes:
        """A file's bytes after checking them against ``SHA256SUMS``."""
        if name not in self.sums:
            raise CasdError(f"{name!r} is not a file of release {self.version}")
        path = self.folder / name
        if self.seedless and name.startswith("seeds/") and not path.exists():
            raise CasdError(
                f"{name}: this copy of release {self.version} ships no seed texts (the seedless profile: their rights remain with "
                "their publishers); get the article, check it against its sha256 in SHA256SUMS, and read it from there"
            )
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
        import pyarrow.parquet as pq  # imported when a table is read: the rest of casd.read needs no pyarrow

        # use_threads=False: Arrow's thread pool, once used, now and then aborts the interpreter as it
        # exits ("terminate called without an active exception", apache/arrow#34314): 3 runs in 30
        # of the README's first snippet on a loaded machine, none in 70 without the pool
        return pq.ParquetFile(io.BytesIO(self.read_bytes(f"{name}.parquet"))).read(columns=columns, use_threads=False)

    def verify(self, base: Path) -> list[str]:
        """Every problem with this release: files missing, extra, symlinked or differing from
        ``SHA256SUMS``; descriptor paths that leave the folder; an archive that differs."""
        problems: list[str] = []
        listed = set(self.sums) | {"SHA256SUMS"}
        on_disk: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(self.folder):
            for name in dirnames + filenames:
                path = Path(dirpath) / name
                rel = path.relative_to(self.folder).as_posix()
                if path.is_symlink():
                    problems.append(f"{rel}: a symbolic link (release files are regular files)")
                elif path.is_file():
                    on_disk.add(rel)
        problems += [f"{rel}: not listed in SHA256SUMS" for rel in sorted(on_disk - listed)]
        missing = listed - on_disk
        if self.seedless:
            missing = {rel for rel in missing if not rel.startswith("seeds/")}
        problems += [f"{rel}: listed in SHA256SUMS but missing" for rel in sorted(missing)]
        for rel in sorted(set(self.sums) & on_disk):
            try:
                self.read_bytes(rel)
            except CasdError as e:
                problems.append(str(e))
        try:
            desc = self.descriptor()
        except (CasdError, ValueError) as e:
            return problems + [f"datapackage.json: {e}"]
        for r in desc.get("resources", []):
            for where in (r.get("path"), (r.get("casd:parquet") or {}).get("path")):
                if not isinstance(where, str) or where.startswith("/") or ".." in where.split("/") or "://" in where or where not in self.sums:
                    problems.append(f"datapackage.json: resource {r.get('name')!r} has path {where!r}, not a file of this release")
        problems += self._verify_archive(base)
        return problems

    def _verify_archive(self, base: Path) -> list[str]:
        name = self.entry.get("archive")
        if not name:
            return []
        path = Path(base) / str(name)
        if self.seedless and not path.exists():
            return []  # the wheel's copies ship the folders, not the archives (the same files again)
        try:
            data = path.read_bytes()
        except OSError as e:
            return [f"{name}: missing or unreadable ({e.strerror or e})"]
        if sha256(data) != self.entry.get("archive_sha256"):
            return [f"{name}: sha256 {sha256(data)}, the release index says {self.entry.get('archive_sha256')}"]
        problems = []
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if m.isfile() and "/" in m.name}
            if set(members) != set(self.sums) | {"SHA256SUMS"}:
                problems.append(f"{name}: holds other files than the release folder")
            for rel, member in sorted(members.items()):
                f = tar.extractfile(member)
                if f is not None and rel in self.sums and sha256(f.read()) != self.sums[rel]:
                    problems.append(f"{name}: {rel} differs from the release folder")
        return problems


def stray_entries(base: Path) -> list[str]:
    """Entries of a releases folder that are neither an indexed release, its archive, the index,
    nor ``.keep``: leftovers of interrupted writes, unindexed folders, symlinks."""
    base = Path(base)
    if not base.is_dir():
        return []
    entries = read_index(base)
    allowed = {INDEX_NAME, ".keep", "profile.json"} | {e["version"] for e in entries} | {str(e.get("archive")) for e in entries} | {f"{e.get('archive')}.sha256" for e in entries}
    out = []
    for path in sorted(base.iterdir()):
        if path.name not in allowed:
            out.append(f"{path.name}: not part of any published release (a leftover of an interrupted write?)")
        elif path.is_symlink():
            out.append(f"{path.name}: a symbolic link")
    return out


def open_current(folder: Path) -> Release:
    """The working build (``build/current``) as a release-like object, its files checked against its
    own ``SHA256SUMS`` (there is no index entry for it: it is checked, not anchored)."""
    folder = Path(folder)
    try:
        raw = (folder / "SHA256SUMS").read_bytes()
    except OSError as e:
        raise CasdError(f"{folder}: no build here ({e.strerror or e}); run casd build") from e
    sums = parse_sums(raw, f"{folder}/SHA256SUMS")
    release = Release("working build", folder, {"sums_sha256": sha256(raw)}, sums)
    version = release.descriptor().get("version")
    return Release(str(version), folder, {"sums_sha256": sha256(raw)}, sums)


def open_release(version: str | None = None, base: Path | None = None, expect_sums: str | None = None) -> Release:
    """Resolve a version (``None``: the latest) and verify its ``SHA256SUMS`` against the index,
    and against ``expect_sums`` (a trust anchor held outside the repository) when given."""
    base = Path(base) if base is not None else releases_dir()
    entries = {e["version"]: e for e in read_index(base)}
    if not entries:
        raise CasdError(f"no published release in {base}")
    if version is not None and version.startswith("v") and version[1:] in entries:
        version = version[1:]  # a git tag names the same release
    if version is None:
        version = max(entries, key=semver.key)
    if version not in entries:
        raise CasdError(f"no release {version!r}; published: {', '.join(sorted(entries, key=semver.key))}")
    entry = entries[version]
    if expect_sums is not None and entry["sums_sha256"] != expect_sums:
        raise IntegrityError(
            f"release {version}: the release index says its SHA256SUMS is {entry['sums_sha256']}, you expected {expect_sums}: "
            "this copy of the releases is not the one you pinned"
        )
    folder = base / version
    try:
        raw = (folder / "SHA256SUMS").read_bytes()
    except OSError as e:
        raise IntegrityError(f"{folder}/SHA256SUMS: missing or unreadable ({e.strerror or e})") from e
    actual = sha256(raw)
    if actual != entry["sums_sha256"]:
        raise IntegrityError(f"{folder}/SHA256SUMS: sha256 {actual}, the release index says {entry['sums_sha256']}")
    return Release(version, folder, entry, parse_sums(raw, f"{folder}/SHA256SUMS"), seedless=profile(base) == "seedless")


def profile(base: Path) -> str:
    """``full`` (a release folder holds every file) or ``seedless`` (the public wheel's copies)."""
    path = Path(base) / "profile.json"
    if not path.exists():
        return "full"
    try:
        return str(json.loads(path.read_bytes())["profile"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IntegrityError(f"{path}: not a readable profile ({e})") from e
