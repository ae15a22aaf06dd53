"""The release as the site sees it: every table as sorted rows, the descriptor's schemas, the seed texts.

A table the release does not have is empty, a column it does not have is absent (release 1.0.0 has
neither ``conflicts`` nor ``aggregate``). Nothing here is settled with outside knowledge: the rows are
the release's, verified on read by :mod:`casd.read`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import CasdError, IntegrityError
from ..fs import MAX_SEED_BYTES, read_regular
from ..read.integrity import sha256
from ..read.releases import Release

Row = dict[str, Any]

#: Ids become file names: only these characters (the model's slugs are a subset).
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    categories: dict[str, str]


@dataclass
class Table:
    """One resource of the release (or an empty stand-in for one it lacks)."""

    name: str
    description: str = ""
    fields: list[Field] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    present: bool = False
    csv: str | None = None
    parquet: str | None = None

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def has(self, column: str) -> bool:
        return column in self.columns

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def is_entity(self) -> bool:
        """A table of records, one page each (keyed by ``id`` alone)."""
        return self.primary_key == ["id"] and self.name != "tombstones"

    def polymorphic(self) -> dict[str, str]:
        """``<x>_id`` -> ``<x>_table`` for the polymorphic pairs (the table named row by row)."""
        cols = set(self.columns)
        return {c[:-6] + "_id": c for c in sorted(cols) if c.endswith("_table") and c[:-6] + "_id" in cols}


@dataclass
class Dataset:
    """A verified release (or the working build) loaded for the site."""

    version: str
    working: bool
    descriptor: dict[str, Any]
    release: Release
    tables: dict[str, Table]
    texts: dict[str, str]
    records: dict[str, dict[str, Row]] = field(default_factory=dict)

    def table(self, name: str) -> Table:
        return self.tables.get(name) or Table(name)

    def rows(self, name: str) -> list[Row]:
        return self.table(name).rows

    def record(self, table: str, rid: str | None) -> Row | None:
        if rid is None:
            return None
        return self.records.get(table, {}).get(rid)

    @property
    def entity_tables(self) -> list[str]:
        return [t.name for t in self.tables.values() if t.is_entity]


def _sort_key(pk: list[str]) -> Any:
    def key(row: Row) -> tuple[Any, ...]:
        return tuple((row.get(c) is None, row.get(c) if row.get(c) is not None else 0) for c in pk)

    return key


def _fields(schema: dict[str, Any], columns: list[str]) -> list[Field]:
    described = {f["name"]: f for f in schema.get("fields", [])}
    out = []
    for name in columns:  # the Parquet columns, in their order: a column the file lacks is absent
        f = described.get(name, {})
        cats = {str(c.get("value")): str(c.get("label", "")) for c in f.get("categories", []) if isinstance(c, dict)}
        out.append(Field(name, str(f.get("type", "string")), str(f.get("description", "")), cats))
    return out


def _table(release: Release, resource: dict[str, Any]) -> Table:
    name = str(resource["name"])
    schema = resource.get("schema") or {}
    data = release.table(name)
    fks: dict[str, str] = {}
    for fk in schema.get("foreignKeys") or []:
        cols = fk.get("fields")
        cols = [cols] if isinstance(cols, str) else list(cols or [])
        if len(cols) == 1:
            fks[cols[0]] = str(fk.get("reference", {}).get("resource") or name)
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else list(pk)
    rows: list[Row] = data.to_pylist()
    rows.sort(key=_sort_key(pk or data.column_names))
    parquet = (resource.get("casd:parquet") or {}).get("path")
    return Table(name, str(resource.get("description", "")), _fields(schema, data.column_names), pk, fks, rows, True, resource.get("path"), parquet)


def _seed_bytes(release: Release, source: Row, seeds_root: Path | None) -> bytes:
    """A seed's bytes: from the release (verified against SHA256SUMS) or, for the working build,
    from the project (``seeds_root``/``file``); either way checked against the source's sha256."""
    rel = str(source.get("file") or "")
    if not rel or rel.startswith("/") or ".." in rel.split("/"):
        raise IntegrityError(f"source {source.get('id')!r}: file {rel!r} is not a path inside the project")
    shipped = rel in release.sums and not (getattr(release, "seedless", False) and not (release.folder / rel).exists())
    if shipped:
        data = release.read_bytes(rel)
    elif seeds_root is not None:  # the working build, or a copy of a release without its seed texts
        try:
            data = read_regular(seeds_root / rel, MAX_SEED_BYTES)
        except OSError as e:
            raise CasdError(f"source {source.get('id')!r}: cannot read {seeds_root / rel} ({e.strerror or e})") from e
        listed = release.sums.get(rel)
        if listed and sha256(data) != listed:
            raise IntegrityError(f"source {source.get('id')!r}: {seeds_root / rel} has sha256 {sha256(data)}, release {release.version}'s SHA256SUMS says {listed}")
    else:
        raise CasdError(f"source {source.get('id')!r}: {rel} is not in this copy of release {release.version} and no project folder was given to find it in")
    expected = source.get("sha256")
    if expected and sha256(data) != expected:
        raise IntegrityError(f"source {source.get('id')!r}: {rel} has sha256 {sha256(data)}, the sources table says {expected}")
    return data


def load(release: Release, seeds_root: Path | None = None, working: bool | None = None) -> Dataset:
    """Every table of ``release`` and the text of every source it cites, checked."""
    descriptor = release.descriptor()
    tables = {str(r["name"]): _table(release, r) for r in descriptor.get("resources", [])}
    if working is None:
        working = "version" not in release.entry  # open_current's entry holds only the checksum
    ds = Dataset(str(descriptor.get("version") or release.version), working, descriptor, release, tables, {})
    for t in tables.values():
        if t.is_entity:
            for row in t.rows:
                if not isinstance(row.get("id"), str) or not SAFE_ID.match(row["id"]):
                    raise CasdError(f"{t.name}: id {row.get('id')!r} cannot name a page")
            ds.records[t.name] = {row["id"]: row for row in t.rows}
    for source in ds.rows("sources"):
        try:
            ds.texts[source["id"]] = _seed_bytes(release, source, seeds_root).decode("utf-8")
        except UnicodeDecodeError as e:
            raise IntegrityError(f"source {source['id']!r}: not UTF-8 text ({e})") from e
    for ev in ds.rows("evidence"):
        text = ds.texts.get(ev["source_id"])
        if text is None:
            raise IntegrityError(f"evidence {ev['record_table']}/{ev['record_id']}#{ev['ordinal']}: no source {ev['source_id']!r}")
        if text[ev["char_start"] : ev["char_end"]] != ev["quote"]:
            raise IntegrityError(f"evidence {ev['record_table']}/{ev['record_id']}#{ev['ordinal']}: the quote is not at {ev['char_start']}:{ev['char_end']} of {ev['source_id']}")
    return ds


# --- dates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class When:
    """One EDTF date field with its derived columns (``<prefix>``, ``_start``, ``_end``, ...)."""

    text: str | None
    start: date | None
    end: date | None
    precision: str | None
    uncertain: bool
    approximate: bool

    @property
    def placed(self) -> bool:
        """Whether the date can go on a time axis (at least one bound is known)."""
        return self.start is not None or self.end is not None

    @property
    def open_start(self) -> bool:
        return self.start is None and self.end is not None

    @property
    def open_end(self) -> bool:
        return self.end is None and self.start is not None

    def describe(self) -> str:
        """``2015-07-16 (day)``, ``2015-03?/ (interval, uncertain)``; empty when there is no date."""
        if not self.text:
            return ""
        notes = [self.precision] if self.precision else []
        notes += ["uncertain"] if self.uncertain else []
        notes += ["approximate"] if self.approximate else []
        return f"{self.text} ({', '.join(notes)})" if notes else self.text


def when(row: Row, prefix: str = "date") -> When:
    return When(
        row.get(prefix),
        row.get(f"{prefix}_start"),
        row.get(f"{prefix}_end"),
        row.get(f"{prefix}_precision"),
        bool(row.get(f"{prefix}_uncertain")),
        bool(row.get(f"{prefix}_approximate")),
    )


# --- labels -----------------------------------------------------------------------------------


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label(ds: Dataset, table: str, row: Row | None, rid: str | None = None) -> str:
    """A record's human name: its name or title; a statement's speaker and words; a figure's text."""
    if row is None:
        return rid or ""
    if table == "statements":
        speaker = ds.record("actors", row.get("speaker_id"))
        who = speaker["name"] if speaker else row.get("speaker_id", "")
        return f"{who}: “{shorten(str(row.get('quote', '')), 70)}”"
    if table == "figures":
        return f"{row.get('text')} ({row.get('measure')})"
    if table == "inferences":
        return shorten(str(row.get("conclusion") or row["id"]), 90)
    return str(row.get("name") or row.get("title") or row["id"])


def record_label(ds: Dataset, table: str, rid: str | None) -> str:
    return label(ds, table, ds.record(table, rid), rid)
