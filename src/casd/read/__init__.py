"""The consumer's side: load a published release, verified. pyarrow and polars only.

>>> import casd
>>> casd.versions()                      # doctest: +SKIP
['1.0.0']
>>> events = casd.load("events")         # latest release, as a polars DataFrame  # doctest: +SKIP

Releases are found in the repository's ``build/releases`` in a development checkout, else
in the copy shipped inside the installed package (``casd/releases``); ``CASD_RELEASES``
overrides both. The release's ``SHA256SUMS`` is checked against the release index, and
each file read against ``SHA256SUMS``, before any byte is returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from ..errors import CasdError
from .releases import Release, open_release, releases_dir
from .releases import versions as _versions

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow as pa

__all__ = ["load", "versions", "package", "schema", "open_release", "releases_dir", "Release"]


def versions() -> list[str]:
    """Published versions, oldest first."""
    return _versions()


def package(version: str | None = None, sums_sha256: str | None = None) -> dict[str, Any]:
    """The release's Data Package descriptor (``datapackage.json``), verified."""
    return open_release(version, expect_sums=sums_sha256).descriptor()


def schema(table: str, version: str | None = None) -> dict[str, Any]:
    """The Frictionless table schema of one table of a release (fields with their types, meanings,
    constraints; primary and foreign keys), from its verified ``datapackage.json``. Use it to read
    the CSV twins with the declared types (see the README's recipes)."""
    release = open_release(version)
    for resource in release.descriptor()["resources"]:
        if resource["name"] == table:
            result: dict[str, Any] = resource["schema"]
            return result
    raise CasdError(f"no table {table!r} in release {release.version}; tables: {', '.join(release.table_names())}")


@overload
def load(table: str, version: str | None = None, format: Literal["polars"] = "polars", sums_sha256: str | None = None) -> polars.DataFrame: ...
@overload
def load(table: str, version: str | None = None, format: Literal["pandas"] = ..., sums_sha256: str | None = None) -> pandas.DataFrame: ...
@overload
def load(table: str, version: str | None = None, format: Literal["arrow"] = ..., sums_sha256: str | None = None) -> pa.Table: ...


def load(table: str, version: str | None = None, format: str = "polars", sums_sha256: str | None = None) -> Any:
    """One table of a release: ``format`` is ``polars`` (default), ``pandas`` or ``arrow``.

    ``version=None`` is the latest published release. The file is verified first.
    pandas output uses Arrow-backed dtypes (real dates, nullable integers).
    ``sums_sha256``: the release's ``SHA256SUMS`` hash as you recorded it when you pinned the
    release (``casd versions`` prints it); the load is refused if this copy differs.
    """
    if format not in ("polars", "pandas", "arrow"):
        raise CasdError(f"format must be polars, pandas or arrow, not {format!r}")
    release = open_release(version, expect_sums=sums_sha256)
    names = release.table_names()
    if table not in names:
        raise CasdError(f"no table {table!r} in release {release.version}; tables: {', '.join(names)}")
    if format == "polars":  # polars reads the verified bytes itself: no Arrow hand-over, no pyarrow threads
        import io

        import polars as pl

        return pl.read_parquet(io.BytesIO(release.read_bytes(f"{table}.parquet")))
    data = release.table(table)
    if format == "arrow":
        return data
    import pandas as pd  # optional: only for those who ask for pandas

    return data.to_pandas(types_mapper=pd.ArrowDtype, use_threads=False)  # (no Arrow thread pool: see Release.table)
