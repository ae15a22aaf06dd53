"""``casd export sqlite``: ``casd.sqlite`` and ``metadata.json``, ready for Datasette.

The database holds the same rows as the Parquet files, one table per resource, with the declared
column types (INTEGER, REAL, TEXT; dates as ISO TEXT, booleans as 0/1, lists as JSON text), the
primary and foreign keys of the descriptor, an index on every foreign-key column, full-text
search (FTS5) over names, titles, summaries and quotes, and views that resolve the polymorphic
links (``records``, ``evidence_with_records``, ``figures_with_subjects``).

The file is not byte-reproducible: SQLite records the library version that wrote it (and its
page layout may change with that version). It is generated on demand, never listed in any
``SHA256SUMS``; ``metadata.json`` is a pure function of the release.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import CasdError, IntegrityError
from ..fs import fsync_folder
from .common import Source, Table, fsync_file, licence, rows, tables, write

DATABASE = "casd.sqlite"
METADATA = "metadata.json"
DB_NAME = "casd"  # Datasette names a database after its file

#: Declared (Table Schema) type -> SQLite column type.
SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT", "datetime": "TEXT", "year": "INTEGER", "array": "TEXT", "object": "TEXT"}

#: Columns searched with FTS5, where the release has them.
FTS_COLUMNS: dict[str, tuple[str, ...]] = {
    "actors": ("name", "aliases"),
    "places": ("name",),
    "events": ("title", "summary"),
    "statements": ("quote",),
    "evidence": ("quote",),
}

#: The column that names a record of an entity table (first one present), for labels and links.
LABEL_COLUMNS = ("title", "name", "conclusion", "text", "quote", "measure")


def q(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """An SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


# --- schema -------------------------------------------------------------------------------


def _column(table: Table, name: str) -> str:
    f = next(f for f in table.fields if f.name == name)
    parts = [q(f.name), SQL_TYPES.get(f.type, "TEXT")]
    if f.required:
        parts.append("NOT NULL")
    if f.enum:
        parts.append(f"CHECK ({q(f.name)} IN ({', '.join(lit(v) for v in f.enum)}))")
    elif f.type == "boolean":
        parts.append(f"CHECK ({q(f.name)} IN (0, 1))")
    return " ".join(parts)


def create_table(table: Table) -> str:
    lines = [_column(table, c) for c in table.columns]
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(q(c) for c in table.primary_key)})")
    for fk in table.foreign_keys:
        lines.append(f"FOREIGN KEY ({', '.join(q(c) for c in fk.fields)}) REFERENCES {q(fk.resource)} ({', '.join(q(c) for c in fk.reference)})")
    return f"CREATE TABLE {q(table.name)} (\n  " + ",\n  ".join(lines) + "\n)"


def create_indexes(table: Table) -> list[str]:
    """An index on every foreign-key column (SQLite does not create them)."""
    seen: list[tuple[str, ...]] = []
    out = []
    for fk in table.foreign_keys:
        if fk.fields in seen or fk.fields == table.primary_key[: len(fk.fields)]:
            continue  # the primary key's own index already serves it
        seen.append(fk.fields)
        index = f"idx_{table.name}_{'_'.join(fk.fields)}"
        out.append(f"CREATE INDEX {q(index)} ON {q(table.name)} ({', '.join(q(c) for c in fk.fields)})")
    return out


def fts_columns(table: Table) -> tuple[str, ...]:
    return tuple(c for c in FTS_COLUMNS.get(table.name, ()) if table.has(c))


def create_fts(table: Table) -> list[str]:
    """An external-content FTS5 table (``<table>_fts``, which Datasette detects) and its rebuild."""
    columns = fts_columns(table)
    if not columns:
        return []
    fts = f"{table.name}_fts"
    return [
        f"CREATE VIRTUAL TABLE {q(fts)} USING fts5({', '.join(q(c) for c in columns)}, tokenize='porter unicode61 remove_diacritics 2', content={q(table.name)})",
        f"INSERT INTO {q(fts)} ({q(fts)}) VALUES ('rebuild')",
    ]


def entity_tables(all_tables: list[Table]) -> list[tuple[Table, str]]:
    """Tables of records (keyed by ``id`` alone) with the column that labels their rows."""
    out = []
    for t in all_tables:
        if t.primary_key == ("id",):
            label = next((c for c in LABEL_COLUMNS if t.has(c)), "id")
            out.append((t, label))
    return out


def create_views(all_tables: list[Table]) -> dict[str, str]:
    """``records`` (every record's table, id and label), and the views resolving polymorphic links:
    view name -> ``CREATE VIEW`` statement, for the views this release's tables allow."""
    by_name = {t.name: t for t in all_tables}
    entities = entity_tables(all_tables)
    if not entities:
        return {}
    union = "\nUNION ALL ".join(f"SELECT {lit(t.name)} AS record_table, {q('id')} AS record_id, {q(label)} AS label FROM {q(t.name)}" for t, label in entities)
    views = {"records": f"CREATE VIEW records AS\n{union}"}
    evidence = by_name.get("evidence")
    if evidence is not None and evidence.has("record_table", "record_id"):
        titled = evidence.has("source_id") and "sources" in by_name and by_name["sources"].has("title")
        views["evidence_with_records"] = (
            "CREATE VIEW evidence_with_records AS\n"
            f"SELECT e.*, r.label AS record_label{', s.title AS source_title' if titled else ''}\nFROM evidence AS e\n"
            "LEFT JOIN records AS r ON r.record_table = e.record_table AND r.record_id = e.record_id" + ("\nLEFT JOIN sources AS s ON s.id = e.source_id" if titled else "")
        )
    figures = by_name.get("figures")
    if figures is not None and figures.has("subject_table", "subject_id"):
        claimed = figures.has("claimed_by_id") and "actors" in by_name and by_name["actors"].has("name")
        views["figures_with_subjects"] = (
            "CREATE VIEW figures_with_subjects AS\n"
            f"SELECT f.*, r.label AS subject_label{', a.name AS claimed_by' if claimed else ''}\nFROM figures AS f\n"
            "LEFT JOIN records AS r ON r.record_table = f.subject_table AND r.record_id = f.subject_id" + ("\nLEFT JOIN actors AS a ON a.id = f.claimed_by_id" if claimed else "")
        )
    return views


# --- data ---------------------------------------------------------------------------------


def to_sql(value: Any) -> Any:
    """A Parquet value as SQLite stores it: booleans 0/1, dates ISO text, lists and objects JSON text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value if isinstance(value, dict) else list(value), ensure_ascii=False)
    return value


def insert(db: sqlite3.Connection, table: Table, data: list[dict[str, Any]]) -> None:
    columns = table.columns
    sql = f"INSERT INTO {q(table.name)} ({', '.join(q(c) for c in columns)}) VALUES ({', '.join('?' for _ in columns)})"
    try:
        db.executemany(sql, ([to_sql(row.get(c)) for c in columns] for row in data))
    except sqlite3.IntegrityError as e:
        raise IntegrityError(f"{table.name}: its rows break the descriptor's constraints ({e})") from e


def check_foreign_keys(db: sqlite3.Connection) -> None:
    broken = db.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        where = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in broken[:5])
        raise IntegrityError(f"{len(broken)} foreign key(s) point to no row: {where}")


def build(db: sqlite3.Connection, source: Source, all_tables: list[Table]) -> None:
    """Create every table, load its rows, then the indexes, full-text search and views."""
    for t in all_tables:
        db.execute(create_table(t))
        insert(db, t, rows(source, t))
    check_foreign_keys(db)
    for t in all_tables:
        for sql in create_indexes(t) + create_fts(t):
            db.execute(sql)
    for sql in create_views(all_tables).values():
        db.execute(sql)
    db.execute("CREATE TABLE casd_export (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    info = {"source": source.label, "version": source.release.version, "sums_sha256": source.sums_sha256, "sqlite_version": sqlite3.sqlite_version}
    db.executemany("INSERT INTO casd_export VALUES (?, ?)", sorted(info.items()))


@contextlib.contextmanager
def _temporary(path: Path) -> Iterator[Path]:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_database(source: Source, out: Path, all_tables: list[Table]) -> str:
    """Build the database in a temporary file, then rename it into place (never a half-written file)."""
    path = out / DATABASE
    with _temporary(path) as tmp:
        db = sqlite3.connect(tmp)
        try:
            with db:
                build(db, source, all_tables)
            db.execute("VACUUM")
        except sqlite3.Error as e:
            raise CasdError(f"{path}: SQLite refused the export ({e})") from e
        finally:
            db.close()
        fsync_file(tmp)
        os.replace(tmp, path)
    fsync_folder(out)
    return DATABASE


# --- Datasette metadata -------------------------------------------------------------------


def queries(all_tables: list[Table]) -> dict[str, dict[str, str]]:
    """The canned queries: a record with its evidence, open conflicts, the timeline."""
    names = {t.name: t for t in all_tables}
    out: dict[str, dict[str, str]] = {}
    if "evidence_with_records" in create_views(all_tables):
        out["record_evidence"] = {
            "title": "A record with its evidence",
            "description": "Every quote that supports one record: give its table (e.g. events) and id.",
            "sql": "SELECT * FROM evidence_with_records\nWHERE record_table = :table AND record_id = :id\nORDER BY ordinal",
        }
    if "conflicts" in names and names["conflicts"].has("resolved"):
        out["open_conflicts"] = {
            "title": "Open conflicts",
            "description": "Disagreements between sources that the curators have not resolved (no side ranked preferred).",
            "sql": "SELECT * FROM conflicts\nWHERE resolved = 0\nORDER BY conflict_id, side",
        }
    elif "figure_alternatives" in names and "figures" in names and names["figures"].has("rank", "text", "measure", "subject_table", "subject_id"):
        out["open_conflicts"] = {
            "title": "Open conflicts (from figure alternatives)",
            "description": (
                "This release has no conflicts table, so this lists figures instead: each figure with an alternative "
                "(table figure_alternatives) where neither it nor any of its alternatives is ranked preferred. "
                "Conflicting claims on other fields are in the claims table."
            ),
            "sql": (
                "SELECT fa.figure_id, f.subject_table, f.subject_id, f.measure, f.text, f.rank,\n"
                "       fa.alternative_id, a.text AS alternative_text, a.rank AS alternative_rank\n"
                "FROM figure_alternatives AS fa\nJOIN figures AS f ON f.id = fa.figure_id\nJOIN figures AS a ON a.id = fa.alternative_id\n"
                "WHERE f.rank <> 'preferred' AND NOT EXISTS (\n"
                "  SELECT 1 FROM figure_alternatives AS x JOIN figures AS p ON p.id = x.alternative_id\n"
                "  WHERE x.figure_id = fa.figure_id AND p.rank = 'preferred')\n"
                "ORDER BY fa.figure_id, fa.ordinal"
            ),
        }
    if "events" in names and names["events"].has("date_start"):
        out["timeline"] = {
            "title": "Timeline",
            "description": "Events by their earliest possible day; undated events last.",
            "sql": "SELECT * FROM events\nORDER BY date_start IS NULL, date_start, date_end, id",
        }
    return out


def _table_metadata(t: Table, label: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"description": t.description, "columns": {f.name: f.description for f in t.fields if f.description}}
    if label:
        meta["label_column"] = label
    if fts_columns(t):
        meta["fts_table"] = f"{t.name}_fts"
    return meta


VIEW_DESCRIPTIONS = {
    "records": "Every record of every entity table: its table, id and label (its title, name or text).",
    "evidence_with_records": "Evidence joined to the record it supports, whatever its record_table, and to its source.",
    "figures_with_subjects": "Figures joined to the record they are about, whatever its subject_table, and to who claims them.",
    "casd_export": "What this database was exported from, and the SQLite version that wrote it.",
}


def metadata(source: Source, all_tables: list[Table]) -> dict[str, Any]:
    """Datasette's ``metadata.json``: titles, licence, table and column descriptions, canned queries."""
    descriptor = source.release.descriptor()
    licence_title, licence_url = licence(descriptor)
    labels = {t.name: label for t, label in entity_tables(all_tables)}
    table_meta = {t.name: _table_metadata(t, labels.get(t.name)) for t in all_tables}
    views = [*create_views(all_tables), "casd_export"]
    table_meta.update({name: {"description": VIEW_DESCRIPTIONS[name]} for name in views})
    return {
        "title": f"{descriptor.get('title') or descriptor.get('name') or 'casd'} ({source.label})",
        "description": str(descriptor.get("description", "")),
        "license": licence_title,
        "license_url": licence_url,
        "databases": {DB_NAME: {"tables": table_meta, "queries": queries(all_tables)}},
    }


def export(source: Source, out: Path) -> list[str]:
    """Write ``casd.sqlite`` and ``metadata.json`` into ``out``; returns the names written."""
    all_tables = tables(source.release.descriptor())
    written = [write_database(source, out, all_tables)]
    text = json.dumps(metadata(source, all_tables), indent=2, ensure_ascii=False) + "\n"
    written.append(write(out, METADATA, text.encode("utf-8")))
    return written
