"""Typed records -> tables: the column layout of every table, and its rows.

The layout is derived from the models, so a field added to a model appears in
its table, schema and codebook with the field's own docstring:

* one entity table per record kind (``sources`` … ``figures``), a row per record;
* a link table per list of nested records (``event_participants``,
  ``memberships``, …), keyed by the parent id and the item's ``ordinal`` (1-based
  position in the YAML list);
* ``claims`` and ``evidence`` for every record kind, keyed by ``record_table``,
  ``record_id`` and ``ordinal``;
* each EDTF field ``X`` becomes ``X`` (the EDTF text), ``X_start`` / ``X_end``
  (strict earliest and latest day, real dates), ``X_precision``, ``X_uncertain``
  and ``X_approximate``;
* lists of names are ``array`` columns (list<string> in Parquet, a JSON array in CSV).

No I/O here: :mod:`casd.package` writes the files.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field, replace
from enum import StrEnum

import pyarrow as pa
from pydantic import BaseModel

from . import edtf
from .checks import Report, evidence_of
from .models import EDTF_FIELDS, REFERENCES, TABLES, Claim, Evidence, Record
from .vocab import VOCABULARIES, RecordTable

ARROW_TYPES = {
    "string": pa.string(),
    "number": pa.float64(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "array": pa.list_(pa.string()),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Frictionless type; see ARROW_TYPES
    description: str
    required: bool = False
    vocabulary: str | None = None  # name of a vocabulary in casd.vocab

    @property
    def enum(self) -> list[str] | None:
        return list(VOCABULARIES[self.vocabulary]) if self.vocabulary else None


@dataclass(frozen=True)
class ForeignKey:
    fields: str
    resource: str
    reference: str = "id"


@dataclass
class Table:
    name: str
    description: str
    columns: list[Column]
    primary_key: list[str]
    foreign_keys: list[ForeignKey] = field(default_factory=list)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, ARROW_TYPES[c.type], nullable=not c.required, metadata={"description": c.description}) for c in self.columns]
        )


# --- deriving columns from models -------------------------------------------------------

_SKIP = {"evidence", "claims"}


def _unwrap(annotation):
    """(inner type, optional?) for ``X | None``."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


def _is_model_list(annotation) -> type[BaseModel] | None:
    if typing.get_origin(annotation) is list:
        (inner,) = typing.get_args(annotation)
        inner = typing.get_args(inner)[0] if typing.get_origin(inner) is typing.Annotated else inner
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def _edtf_columns(name: str, description: str, required: bool) -> list[Column]:
    return [
        Column(name, "string", f"{description} (EDTF text.)", required),
        Column(f"{name}_start", "date", f"Earliest day {name} can be (strict bound; empty if open, unknown or the year is unspecified)."),
        Column(f"{name}_end", "date", f"Latest day {name} can be (strict bound; empty if open, unknown or the year is unspecified)."),
        Column(f"{name}_precision", "string", f"Precision of {name}.", vocabulary="DatePrecision"),
        Column(f"{name}_uncertain", "boolean", f"Whether {name} is marked uncertain or inferred (EDTF ? or %)."),
        Column(f"{name}_approximate", "boolean", f"Whether {name} is marked approximate (EDTF ~ or %)."),
    ]


def scalar_columns(model: type[BaseModel], link_fields: set[str]) -> list[Column]:
    """Columns for a model's own scalar fields (lists of nested records go to link tables)."""
    cols: list[Column] = []
    for name, info in model.model_fields.items():
        if name in _SKIP or name in link_fields:
            continue
        inner, optional = _unwrap(info.annotation)
        required = info.is_required() and not optional
        desc = (info.description or "").strip()
        if name in EDTF_FIELDS:
            cols += _edtf_columns(name, desc, required)
        elif isinstance(inner, type) and issubclass(inner, StrEnum):
            cols.append(Column(name, "string", desc, required or info.default is not None, vocabulary=inner.__name__))
        elif isinstance(inner, type) and issubclass(inner, BaseModel):  # flattened, e.g. external
            for sub, sinfo in inner.model_fields.items():
                styp = _unwrap(sinfo.annotation)[0]
                typ = "number" if styp is float else "string"
                cols.append(Column(f"{name}_{sub}", typ, (sinfo.description or "").strip()))
        elif typing.get_origin(inner) is list:
            cols.append(Column(name, "array", desc, True))
        elif inner is float:
            cols.append(Column(name, "number", desc, required))
        elif inner is int:
            cols.append(Column(name, "integer", desc, required))
        else:
            cols.append(Column(name, "string", desc, required))
    return cols


#: (parent table, list field) -> (link table name, parent key column)
LINKS: dict[tuple[str, str], str] = {
    ("sources", "outlets"): "source_outlets",
    ("sources", "authors"): "source_authors",
    ("actors", "memberships"): "memberships",
    ("events", "participants"): "event_participants",
    ("events", "related"): "event_relations",
    ("bases", "operators"): "base_operators",
    ("figures", "alternatives"): "figure_alternatives",
}
PARENT_KEY = {"sources": "source_id", "actors": "actor_id", "events": "event_id", "bases": "base_id", "figures": "figure_id"}
# a list of plain ids becomes a link table with this column
ID_LIST_COLUMN = {("figures", "alternatives"): "alternative_id"}


def _child_column(parent: str, name: str) -> str:
    """A link table's name for a child field: prefixed with ``related_`` where it would clash with the parent key."""
    return f"related_{name}" if name == PARENT_KEY[parent] else name


def _fk_for(table: str, spec: str) -> tuple[str, str]:
    """(link table or table, column) that holds the reference ``spec`` of ``table``."""
    head, _, rest = spec.partition(".")
    if head.endswith("[]"):
        link = LINKS[(table, head[:-2])]
        return link, _child_column(table, rest) if rest else ID_LIST_COLUMN[(table, head[:-2])]
    return table, head


def _link_table(parent: str, fname: str) -> Table:
    model = TABLES[parent]
    info = model.model_fields[fname]
    name = LINKS[(parent, fname)]
    key = PARENT_KEY[parent]
    child = _is_model_list(info.annotation)
    head = [
        Column(key, "string", f"The {parent[:-1] if parent != 'bases' else 'base'} (table {parent}).", True),
        Column("ordinal", "integer", "Position of the item in the record's list (1-based).", True),
    ]
    if child is None:  # a list of ids
        body = [Column(ID_LIST_COLUMN[(parent, fname)], "string", (info.description or "").strip(), True)]
        desc = (info.description or "").strip()
    else:
        body = [replace(c, name=_child_column(parent, c.name)) for c in scalar_columns(child, set())]
        desc = (child.__doc__ or "").strip()
    return Table(name, desc, head + body, [key, "ordinal"], [ForeignKey(key, parent)])


def _per_record_head(what: str, ordinal: str) -> list[Column]:
    """The key columns of a table that hangs off records of any table (claims, evidence)."""
    return [
        Column("record_table", "string", f"Table of the record {what}.", True, "RecordTable"),
        Column("record_id", "string", f"Id of the record {what}.", True),
        Column("ordinal", "integer", ordinal, True),
    ]


def _evidence_table() -> Table:
    ev = {n: (i.description or "").strip() for n, i in Evidence.model_fields.items()}
    cols = _per_record_head("this evidence supports", "Position among the record's evidence (its own first, then its claims'), 1-based.") + [
        Column("claim_ordinal", "integer", "The claim (table claims, same record) this evidence supports; empty for the record's own evidence."),
        Column("source_id", "string", "The source the quote is taken from (table sources).", True),
        Column("quote", "string", "The exact text of the source at char_start:char_end.", True),
        Column("char_start", "integer", "Offset of the quote's first character in the seed text (Unicode code points, 0-based).", True),
        Column("char_end", "integer", "Offset just after the quote's last character (end exclusive).", True),
        Column("prefix", "string", ev["prefix"]),
        Column("suffix", "string", ev["suffix"]),
        Column("fields", "array", ev["fields"], True),
        Column("note", "string", ev["note"]),
    ]
    return Table("evidence", (Evidence.__doc__ or "").strip(), cols, ["record_table", "record_id", "ordinal"], [ForeignKey("source_id", "sources")])


def _claims_table() -> Table:
    cols = _per_record_head("the claim is about", "Position among the record's claims, 1-based.") + scalar_columns(Claim, set())
    return Table("claims", (Claim.__doc__ or "").strip(), cols, ["record_table", "record_id", "ordinal"])


def layout() -> list[Table]:
    """Every table of the data package, in order."""
    out: list[Table] = []
    links: list[Table] = []
    for tname, model in TABLES.items():
        link_fields = {f for (t, f) in LINKS if t == tname}
        cols = scalar_columns(model, link_fields)
        out.append(Table(tname, (model.__doc__ or "").strip(), cols, ["id"]))
        links += [_link_table(tname, f) for f in model.model_fields if f in link_fields]
    out += links
    out += [_claims_table(), _evidence_table()]
    by_name = {t.name: t for t in out}
    for tname, refs in REFERENCES.items():
        for spec, target in refs:
            holder, col = _fk_for(tname, spec)
            by_name[holder].foreign_keys.append(ForeignKey(col, target))
    for t in out:
        t.foreign_keys.sort(key=lambda fk: (fk.fields, fk.resource))
    return out


# --- rows ----------------------------------------------------------------------------------


def _scalar_row(obj: BaseModel, columns: list[Column]) -> dict:
    row: dict = {}
    names = {c.name for c in columns}
    for name in type(obj).model_fields:
        value = getattr(obj, name)
        if name in EDTF_FIELDS and name in names:
            row[name] = value
            parsed = edtf.parse(value) if value else None
            row[f"{name}_start"] = parsed.start if parsed else None
            row[f"{name}_end"] = parsed.end if parsed else None
            row[f"{name}_precision"] = parsed.precision if parsed else None
            row[f"{name}_uncertain"] = parsed.uncertain if parsed else None
            row[f"{name}_approximate"] = parsed.approximate if parsed else None
        elif isinstance(value, BaseModel):
            for sub in type(value).model_fields:
                row[f"{name}_{sub}"] = getattr(value, sub)
        elif name in names:
            row[name] = str(value) if isinstance(value, StrEnum) else value
    for c in columns:  # flattened sub-models that are absent
        row.setdefault(c.name, None)
    return {c.name: row[c.name] for c in columns}


def rows(table: Table, report: Report) -> list[dict]:
    """The rows of one table, sorted by primary key."""
    data = report.dataset
    out: list[dict] = []
    if table.name in TABLES:
        for rec in data.records(table.name):
            out.append(_scalar_row(rec, table.columns))
    elif table.name in ("claims", "evidence"):
        for tname in TABLES:
            for rec in data.records(tname):
                out += _claims_rows(tname, rec) if table.name == "claims" else _evidence_rows(tname, rec, report, table)
    else:
        (parent, fname), = [k for k, v in LINKS.items() if v == table.name]
        key = PARENT_KEY[parent]
        for rec in data.records(parent):
            for i, item in enumerate(getattr(rec, fname), start=1):
                if isinstance(item, BaseModel):
                    own = {_child_column(parent, k): v for k, v in _scalar_row(item, scalar_columns(type(item), set())).items()}
                    row = {key: rec.id, "ordinal": i, **own}
                else:
                    row = {key: rec.id, "ordinal": i, ID_LIST_COLUMN[(parent, fname)]: item}
                out.append(row)
    out.sort(key=lambda r: tuple(r[k] for k in table.primary_key))
    return out


def _claims_rows(tname: str, rec: Record) -> list[dict]:
    own = scalar_columns(Claim, set())
    return [{"record_table": tname, "record_id": rec.id, "ordinal": i, **_scalar_row(c, own)} for i, c in enumerate(rec.claims, start=1)]


def _evidence_rows(tname: str, rec: Record, report: Report, table: Table) -> list[dict]:
    out = []
    for i, (loc, ev) in enumerate(evidence_of(rec), start=1):
        start, end = report.anchors[(tname, rec.id, loc)]
        out.append(
            {
                "record_table": tname,
                "record_id": rec.id,
                "ordinal": i,
                "claim_ordinal": loc[1] + 1 if loc[0] == "claims" else None,
                "source_id": ev.source,
                "quote": report.seeds[ev.source][start:end],
                "char_start": start,
                "char_end": end,
                "prefix": ev.prefix,
                "suffix": ev.suffix,
                "fields": list(ev.fields),
                "note": ev.note,
            }
        )
    return out


def arrow(table: Table, data: list[dict]) -> pa.Table:
    """Rows of a table (from :func:`rows`) as Arrow, with the declared types."""
    return pa.Table.from_pylist(data, schema=table.arrow_schema)


assert set(RecordTable) == set(TABLES)  # the vocabulary of tables is the tables
