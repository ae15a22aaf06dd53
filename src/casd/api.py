"""The consumer's side: load a published release, verified. pyarrow and polars only.

>>> import casd
>>> casd.versions()                      # doctest: +SKIP
['0.1.0']
>>> events = casd.load("events")         # latest release, as a polars DataFrame  # doctest: +SKIP

Releases are found in the repository's ``build/releases`` in a development
checkout, else in the copy shipped inside the installed package
(``casd/releases``). Every file is checked against its release's ``SHA256SUMS``,
and that file against the release index, before any byte is returned.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import CasdError, IntegrityError
from .paths import INDEX_NAME, read_index_file

_HERE = Path(__file__).resolve().parent


def releases_dir() -> Path:
    """Where published releases are read from (``CASD_RELEASES`` overrides)."""
    env = os.environ.get("CASD_RELEASES")
    if env:
        return Path(env)
    checkout = _HERE.parents[1] / "build" / "releases"  # src/casd -> repository root
    if (_HERE.parents[1] / "pyproject.toml").exists() and checkout.is_dir():
        return checkout
    return _HERE / "releases"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def versions() -> list[str]:
    """Published versions, oldest first."""
    return sorted((r["version"] for r in read_index_file(releases_dir() / INDEX_NAME)), key=_key)


def _resolve(version: str | None) -> tuple[Path, dict]:
    base = releases_dir()
    entries = {r["version"]: r for r in read_index_file(base / INDEX_NAME)}
    if not entries:
        raise CasdError(f"no published release in {base}")
    if version is None:
        version = max(entries, key=_key)
    if version not in entries:
        raise CasdError(f"no release {version!r}; published: {', '.join(sorted(entries, key=_key))}")
    return base / version, entries[version]


def _verified_sums(folder: Path, expected: str) -> dict[str, str]:
    sums = folder / "SHA256SUMS"
    actual = _sha256(sums)
    if actual != expected:
        raise IntegrityError(f"{sums}: sha256 {actual}, the release index says {expected}")
    out = {}
    for line in sums.read_text(encoding="ascii").splitlines():
        digest, name = line.split("  ", 1)
        out[name] = digest
    return out


def verified_path(version: str | None, name: str) -> Path:
    """Path of a release file after checking its sha256 (raises :class:`IntegrityError`)."""
    folder, entry = _resolve(version)
    sums = _verified_sums(folder, entry["sums_sha256"])
    if name not in sums:
        raise CasdError(f"{name!r} is not a file of release {entry['version']}")
    path = folder / name
    actual = _sha256(path)
    if actual != sums[name]:
        raise IntegrityError(f"{path}: sha256 {actual}, SHA256SUMS says {sums[name]}")
    return path


def package(version: str | None = None) -> dict:
    """The release's Data Package descriptor (``datapackage.json``), verified."""
    return json.loads(verified_path(version, "datapackage.json").read_text(encoding="utf-8"))


def load(table: str, version: str | None = None, format: str = "polars"):
    """One table of a release: ``format`` is ``polars`` (default), ``pandas`` or ``arrow``.

    ``version=None`` is the latest published release. The file is verified first.
    pandas output uses Arrow-backed dtypes (real dates, nullable integers).
    """
    names = [r["name"] for r in package(version)["resources"]]
    if table not in names:
        raise CasdError(f"no table {table!r}; tables: {', '.join(names)}")
    data: pa.Table = pq.read_table(verified_path(version, f"{table}.parquet"))
    if format == "arrow":
        return data
    if format == "polars":
        import polars as pl

        return pl.from_arrow(data)
    if format == "pandas":
        import pandas as pd  # optional: only for those who ask for pandas

        return data.to_pandas(types_mapper=pd.ArrowDtype)
    raise ValueError(f"format must be polars, pandas or arrow, not {format!r}")
