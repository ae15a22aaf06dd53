"""What every export shares: the source (a verified release or the working build), the guarded
output folder, the descriptor's tables read as plain data, and verified file writes.

Every byte an export reads comes through :class:`casd.read.releases.Release`, checked against
``SHA256SUMS`` (and, for a release, ``SHA256SUMS`` against the release index). Seed texts are
also checked against the ``sha256`` the ``sources`` table records for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import CasdError, IntegrityError
from ..fs import MAX_SEED_BYTES, read_regular, write_atomic
from ..paths import CURRENT, RELEASES, SEEDS
from ..read.integrity import sha256
from ..read.releases import Release, open_current, open_release

# --- the source -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """What an export reads: a verified release (or the working build) of a project."""

    release: Release
    root: Path
    current: bool

    @property
    def label(self) -> str:
        return f"working build {self.release.version}" if self.current else f"release {self.release.version}"

    @property
    def sums_sha256(self) -> str:
        """sha256 of the source's ``SHA256SUMS`` (the release index holds it for a release)."""
        return str(self.release.entry["sums_sha256"])

    def guarded(self) -> tuple[Path, ...]:
        """Folders no export may write into: the published releases, the working build, the source itself."""
        return tuple(p.resolve() for p in (self.root / RELEASES, self.root / CURRENT, self.release.folder))

    def seed(self, path: str, expected_sha256: str) -> bytes:
        """A seed text's bytes, checked against the ``sha256`` its ``sources`` row records.

        A release ships its seeds (and ``SHA256SUMS`` lists them); the working build does not, so
        its seeds are read from the project's ``seeds/`` folder.
        """
        if path in self.release.sums:
            data = self.release.read_bytes(path)
        else:
            data = self._project_seed(path)
        if sha256(data) != expected_sha256:
            raise IntegrityError(f"{path}: sha256 {sha256(data)}, the sources table says {expected_sha256}")
        return data

    def _project_seed(self, path: str) -> bytes:
        if not self.current:
            raise IntegrityError(f"{path}: a seed named by the sources table but not a file of {self.label}")
        rel = safe_name(path)
        if rel.parent != PurePosixPath(SEEDS.as_posix()):
            raise CasdError(f"{path}: seeds live directly in {SEEDS.as_posix()}/")
        try:
            return read_regular(self.root / rel, MAX_SEED_BYTES, follow_symlinks=False)  # FileRefused: a CasdError
        except OSError as e:
            raise CasdError(f"{self.root / rel}: the seed of the working build cannot be read ({e.strerror or e})") from e


def open_source(root: Path, version: str | None = None, current: bool = False) -> Source:
    """A project's release ``version`` (default: the latest), or its working build (``current``)."""
    if current and version is not None:
        raise CasdError("give --version or --current, not both")
    if current:
        return Source(open_current(root / CURRENT), root, True)
    return Source(open_release(version, root / RELEASES), root, False)


def prepare_out(out: Path, source: Source) -> Path:
    """The output folder, created if needed; refused inside the releases, the working build or the source."""
    target = Path(out).resolve()
    for folder in source.guarded():
        if target == folder or folder in target.parents:
            raise CasdError(f"--out {out}: inside {folder}, which exports never write to; choose a folder outside build/releases and build/current")
    if target.exists() and not target.is_dir():
        raise CasdError(f"--out {out}: exists and is not a folder")
    target.mkdir(parents=True, exist_ok=True)
    return target


# --- the descriptor, as plain data ------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    required: bool
    enum: tuple[str, ...]


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """One resource of the descriptor: its files, fields and keys."""

    name: str
    description: str
    csv: str
    parquet: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def has(self, *columns: str) -> bool:
        return all(c in self.columns for c in columns)


def _names(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value or ())


def _field(raw: dict[str, Any]) -> Field:
    constraints = raw.get("constraints") or {}
    return Field(
        name=str(raw["name"]),
        type=str(raw.get("type", "string")),
        description=str(raw.get("description", "")),
        required=bool(constraints.get("required", False)),
        enum=tuple(str(v) for v in constraints.get("enum", ())),
    )


def _table(raw: dict[str, Any]) -> Table:
    schema = raw.get("schema") or {}
    fks = tuple(ForeignKey(_names(fk["fields"]), str(fk["reference"].get("resource") or raw["name"]), _names(fk["reference"]["fields"])) for fk in schema.get("foreignKeys", ()))
    return Table(
        name=str(raw["name"]),
        description=str(raw.get("description", "")).strip(),
        csv=str(raw["path"]),
        parquet=str((raw.get("casd:parquet") or {}).get("path", f"{raw['name']}.parquet")),
        fields=tuple(_field(f) for f in schema.get("fields", ())),
        primary_key=_names(schema.get("primaryKey")),
        foreign_keys=fks,
    )


def tables(descriptor: dict[str, Any]) -> list[Table]:
    """The descriptor's tabular resources, in its order."""
    try:
        return [_table(r) for r in descriptor.get("resources", ()) if r.get("type", "table") == "table"]
    except (KeyError, TypeError, AttributeError) as e:
        raise CasdError(f"datapackage.json: a resource is not a readable table ({e!r})") from e


def licence(descriptor: dict[str, Any]) -> tuple[str, str]:
    """(title, url) of the descriptor's first licence (the records' licence)."""
    items = descriptor.get("licenses") or [{}]
    first = items[0]
    return str(first.get("title") or first.get("name") or ""), str(first.get("path") or "")


def rows(source: Source, table: Table) -> list[dict[str, Any]]:
    """A table's rows from its Parquet file, verified (Python values: str, int, float, bool, date, list)."""
    result: list[dict[str, Any]] = source.release.table(table.name).to_pylist()
    return result


@dataclass(frozen=True)
class Seed:
    """A source's seed text: its id, file (release-relative), bytes, their sha256, and its text
    (the bytes decoded as UTF-8, with no normalisation of any kind)."""

    source_id: str
    file: str
    data: bytes
    sha256: str

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def seeds(source: Source) -> dict[str, Seed]:
    """Every source's seed, verified, by source id."""
    out: dict[str, Seed] = {}
    for row in source.release.table("sources", columns=["id", "file", "sha256"]).to_pylist():
        name = safe_name(str(row["file"])).as_posix()
        data = source.seed(name, str(row["sha256"]))
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise IntegrityError(f"{name}: not UTF-8 text ({e.reason} at byte {e.start})") from e
        out[str(row["id"])] = Seed(str(row["id"]), name, data, str(row["sha256"]))
    return out


# --- writing ----------------------------------------------------------------------------------


def safe_name(name: str) -> PurePosixPath:
    """A relative path that stays inside its folder (release file names are checked, never trusted)."""
    rel = PurePosixPath(name)
    if not name or rel.is_absolute() or ".." in rel.parts or "\\" in name or "\0" in name:
        raise CasdError(f"{name!r}: not a relative file name inside the folder")
    return rel


def write(out: Path, name: str, data: bytes) -> str:
    """Write ``out/name`` atomically (its folders created); returns ``name``."""
    path = out / safe_name(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        path.unlink()  # never write through a link
    write_atomic(path, data)
    return name


def copy_verified(source: Source, out: Path, names: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Copy files of the source (verified on read) to ``out``; re-hash each copy after writing.

    Yields ``(name, sha256)`` of every file copied.
    """
    for name in names:
        data = source.release.read_bytes(name)
        write(out, name, data)
        yield name, check_copy(out, name, source.release.sums[name])


def check_copy(out: Path, name: str, expected: str) -> str:
    """Re-read a written file and compare its sha256 with ``expected`` (an IntegrityError otherwise)."""
    path = out / safe_name(name)
    with open(path, "rb") as f:
        actual = sha256(f.read())
    if actual != expected:
        raise IntegrityError(f"{path}: sha256 {actual} after copying, SHA256SUMS says {expected}")
    return actual


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
