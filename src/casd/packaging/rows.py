"""Validated records -> rows and Arrow tables, following the derived layout column by column.

Each :class:`~casd.model.relational.Column` says where its value comes from (an attribute
path from the record or list item, or a key such as ``..parent``); nothing here knows a
table by name. Arrow tables are built through polars, so no pandas is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pyarrow as pa

from ..curate.anchors import evidence_of
from ..curate.validate import Validated
from ..model import edtf
from ..model.records import TABLES, Record
from ..model.relational import Column, Table
from .conflicts import conflicts

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
    "array": pl.List(pl.String),
}

Row = dict[str, Any]


def arrow_schema(t: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], nullable=not c.required, metadata={"description": c.description}) for c in t.columns])


def _value(obj: Any, c: Column, keys: dict[str, Any]) -> Any:
    if c.path and c.path[0].startswith(".."):
        return keys.get(c.path[0])
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


def _row(obj: Any, columns: list[Column], **keys: Any) -> Row:
    named = {f"..{k}": v for k, v in keys.items()}
    return {c.name: _value(obj, c, named) for c in columns}


def _link_rows(t: Table, v: Validated) -> Iterator[Row]:
    assert t.parent is not None and t.list_field is not None
    for rec in v.dataset.records(TABLES[t.parent]):
        for i, item in enumerate(getattr(rec, t.list_field), start=1):
            yield _row(item, t.columns, parent=rec.id, ordinal=i)


def _shared_rows(t: Table, v: Validated) -> Iterator[Row]:
    assert t.list_field is not None
    for tname in TABLES:
        for rec in v.dataset.of(tname):
            for i, item in enumerate(getattr(rec, t.list_field), start=1):
                yield _row(item, t.columns, table=tname, parent=rec.id, ordinal=i)


def _evidence_rows(t: Table, v: Validated) -> Iterator[Row]:
    for tname in TABLES:
        for rec in v.dataset.of(tname):
            yield from _record_evidence_rows(t, v, tname, rec)


def _record_evidence_rows(t: Table, v: Validated, tname: str, rec: Record) -> Iterator[Row]:
    for i, (loc, ev) in enumerate(evidence_of(rec), start=1):
        span = v.anchors.get(tname, rec.id, loc)
        if span is None:
            raise ValueError(f"evidence {tname}/{rec.id} {loc} is not anchored: validate first")
        start, end = span
        claim = int(loc[1]) + 1 if loc[0] == "claims" else None
        quote = v.anchors.text(ev.source, start, end)
        yield _row(ev, t.columns, table=tname, parent=rec.id, ordinal=i, claim=claim, quote=quote, start=start, end=end)


def rows(t: Table, v: Validated) -> list[Row]:
    """The rows of one table, sorted by primary key."""
    if t.kind == "entity":
        out = [_row(rec, t.columns) for rec in v.dataset.of(t.name)]
    elif t.kind == "link":
        out = list(_link_rows(t, v))
    elif t.kind == "shared":
        out = list(_shared_rows(t, v))
    elif t.kind == "evidence":
        out = list(_evidence_rows(t, v))
    elif t.kind == "tombstones":
        out = [_row(tomb, t.columns) for tomb in v.tombstones]
    else:
        out = [_row(c, t.columns) for c in conflicts(v)]
    out.sort(key=lambda r: tuple("" if r[k] is None else r[k] for k in t.primary_key))
    return out


def arrow(t: Table, data: list[Row]) -> pa.Table:
    """Rows of a table as Arrow, with the declared types and field descriptions."""
    columns = {c.name: pl.Series(c.name, [r[c.name] for r in data], dtype=_POLARS_TYPES[c.type]) for c in t.columns}
    return pl.DataFrame(columns).to_arrow().cast(arrow_schema(t))
