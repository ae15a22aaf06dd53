"""Validated records -> Arrow tables, following the derived layout column by column.

Each :class:`~casd.model.relational.Column` says where its value comes from (an attribute
path from the record or list item, or a key such as ``..parent``); nothing here knows a
table by name. :func:`gather` makes every table in one pass over the records. Arrow arrays are
made from Python values by polars (pyarrow's own ``pa.array`` imports pandas), lists of text from
their items and offsets (:func:`_text_lists`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ..curate.anchors import evidence_of
from ..curate.validate import Validated
from ..model import edtf
from ..model.records import TABLES, Figure, Record
from ..model.relational import Column, Table, tables
from .conflicts import FigureSide, figure_conflicts_of, record_conflicts

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "number": pa.float64(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "array": pa.list_(pa.string()),
}
_POLARS_TYPES: dict[str, Any] = {
    "string": pl.String,
    "number": pl.Float64,
    "integer": pl.Int64,
    "boolean": pl.Boolean,
    "date": pl.Date,
}

def arrow_schema(t: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], nullable=not c.required, metadata={"description": c.description}) for c in t.columns])


def _value(obj: Any, c: Column) -> Any:
    """A cell: the value at the column's path from the row's object, as the table holds it."""
    for step in c.path:
        if obj is None:
            return None
        obj = getattr(obj, step)
    if obj is None:
        return None
    if c.part is not None:
        parsed = edtf.parse(obj)
        value = obj if c.part == "text" else getattr(parsed, c.part)
        return str(value) if c.part == "precision" else value
    if isinstance(obj, str):
        return str(obj)  # a vocabulary member as its plain value
    if isinstance(obj, (list, tuple)):
        return [str(x) for x in obj]
    return obj


class Gathered:
    """One table's rows as they are made, column by column, turned into Arrow a chunk at a time (a
    Python value per cell lives only until its chunk is converted)."""

    #: rows per chunk: every table holds up to one chunk of Python values at a time (20 tables at
    #: 65,536 rows were 0.4 GB at the end of a 100k build's pass), while each chunk costs a conversion
    CHUNK = 8192

    def __init__(self, t: Table, spill: Path | None = None):
        self.t = t
        self._named = [(c, c.path[0][2:] if c.path and c.path[0].startswith("..") else None) for c in t.columns]  # (column, the key it takes)
        self._columns: list[list[Any]] = [[] for _ in t.columns]
        self._chunks: list[pa.Table] = []
        self._spill = spill / f"{t.name}.arrows" if spill is not None else None
        """where the chunks go, as an Arrow IPC stream, when they are not kept in memory"""
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None

    def add(self, obj: Any, **keys: Any) -> None:
        """A row from an object (a record, a list item, a tombstone or a conflict) and its keys
        (``parent``, ``ordinal``... : what the columns whose path starts with ``..`` take)."""
        for (c, key), column in zip(self._named, self._columns, strict=True):
            column.append(keys.get(key) if key is not None else _value(obj, c))
        if len(self._columns[0]) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        if not self._columns:  # closed
            return
        if self._columns[0] or not (self._chunks or self._writer):
            schema = arrow_schema(self.t)
            arrays = [_text_lists(values) if c.type == "array" else pl.Series(c.name, values, dtype=_POLARS_TYPES[c.type]).to_arrow() for c, values in zip(self.t.columns, self._columns, strict=True)]
            chunk = pa.Table.from_arrays([a.cast(f.type) for a, f in zip(arrays, schema, strict=True)], schema=schema)
            self._columns = [[] for _ in self.t.columns]
            if self._spill is None:
                self._chunks.append(chunk)
                return
            if self._writer is None:
                self._writer = pa.ipc.new_stream(str(self._spill), chunk.schema)
            self._writer.write_table(chunk)

    def close(self) -> None:
        """Write the last chunk, and finish the spill file (it then holds every row): no row can be
        added after."""
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._columns = []

    @classmethod
    def spilled(cls, t: Table, spill: Path) -> Gathered:
        """A table whose rows another process gathered into ``spill`` (and closed)."""
        made = cls(t, spill)
        made._columns = []  # closed
        return made

    def arrow(self) -> pa.Table:
        """The rows as one Arrow table, sorted by primary key, with the declared types and field
        descriptions (one chunk per column, as a table made at once would be)."""
        if self._spill is None:
            self._flush()
            table = pa.concat_tables(self._chunks)
        else:
            self.close()
            with pa.OSFile(str(self._spill)) as f:
                table = pa.ipc.open_stream(f).read_all()
        self._chunks = []
        order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in self.t.primary_key])
        return table.take(order).combine_chunks()


def _text_lists(values: list[list[str] | None]) -> pa.Array:
    """A column of lists of text (None: no list) as Arrow, from every item in one array and the
    offsets where each list starts: polars makes a list column one Series per cell, 7 times slower."""
    offsets = pl.Series(list(itertools.accumulate((0 if v is None else len(v) for v in values), initial=0)), dtype=pl.Int64).to_arrow()
    items = pl.Series(list(itertools.chain.from_iterable(v for v in values if v)), dtype=pl.String).to_arrow()
    absent = pl.Series([v is None for v in values], dtype=pl.Boolean).to_arrow()
    return pa.LargeListArray.from_arrays(offsets, items, mask=absent)


def gather(v: Validated, spill: Path | None = None) -> dict[str, Gathered]:
    """Every table of the layout, its rows made in one pass over the records: each typed record is
    read once (unpickled from the validation cache's bytes, if it is kept so) and let go, so a
    build never holds every record as objects. Each table's :meth:`Gathered.arrow` gives its Arrow
    form. ``spill``: a folder where each table's rows are written as they are made (one Arrow IPC
    stream per table, complete when this returns) rather than held."""
    out = {t.name: Gathered(t, spill) for t in tables()}
    kinds: dict[str, list[Gathered]] = defaultdict(list)
    for g in out.values():
        kinds[g.t.kind].append(g)
    figures: list[FigureSide] = []
    for tname in TABLES:
        for item in v.dataset.tables[tname].values():
            rec = item.peek()
            if rec is None:
                continue
            _add_record(kinds, v, tname, rec)
            if isinstance(rec, Figure):
                figures.append(FigureSide.of(rec))
    for g in kinds["conflicts"]:
        for c in figure_conflicts_of(figures):
            g.add(c)
    for g in kinds["tombstones"]:
        for tomb in v.tombstones:
            g.add(tomb)
    if spill is not None:
        for g in out.values():
            g.close()
    return out


def _add_record(kinds: dict[str, list[Gathered]], v: Validated, tname: str, rec: Record) -> None:
    """The rows one record makes, in every table that takes any."""
    for g in kinds["entity"]:
        if g.t.name == tname:
            g.add(rec)
    for g in kinds["link"]:
        if g.t.parent == tname:
            _add_items(g, rec, parent=rec.id)
    for g in kinds["shared"]:
        _add_items(g, rec, table=tname, parent=rec.id)
    for g in kinds["evidence"]:
        _add_evidence(g, v, tname, rec)
    for g in kinds["conflicts"]:
        for c in record_conflicts(tname, rec):
            g.add(c)


def _add_items(g: Gathered, rec: Record, **keys: Any) -> None:
    for i, part in enumerate(getattr(rec, g.t.list_field or ""), start=1):
        g.add(part, ordinal=i, **keys)


def _add_evidence(g: Gathered, v: Validated, tname: str, rec: Record) -> None:
    for i, (loc, ev) in enumerate(evidence_of(rec), start=1):
        span = v.anchors.get(tname, rec.id, loc)
        if span is None:
            raise ValueError(f"evidence {tname}/{rec.id} {loc} is not anchored: validate first")
        start, end = span
        claim = int(loc[1]) + 1 if loc[0] == "claims" else None
        g.add(ev, table=tname, parent=rec.id, ordinal=i, claim=claim, quote=v.anchors.text(ev.source, start, end), start=start, end=end)
