"""Models -> relational layout: every table, column, key and reference, derived from the models.

Nothing here is declared by hand; the rules read the field annotations of
:mod:`casd.model.records` (markers in :mod:`casd.model.types`):

* one entity table per record kind (``sources`` … ``figures``), a row per record, key ``id``;
* a field with an EDTF date ``X`` becomes ``X`` (the EDTF text), ``X_start`` / ``X_end``
  (strict earliest and latest day, real dates), ``X_precision``, ``X_uncertain`` and
  ``X_approximate``;
* a nested record (``external``) is flattened into ``<field>_<subfield>`` columns;
* a list of plain values (names) is an ``array`` column (list<string> in Parquet, a JSON array
  in CSV);
* a list of nested records, or of references, is a link table (:class:`~casd.model.types.Link`
  names it; default ``<parent key without _id>_<field>``), keyed by the parent key and the
  item's ``ordinal`` (1-based position in the YAML list); an item column named like the parent
  key is prefixed with ``related_``;
* a :class:`~casd.model.types.Shared` list (``claims``, ``evidence``) goes to one table for all
  record kinds, keyed by ``record_table``, ``record_id`` and ``ordinal``; evidence rows also
  carry the resolved offsets;
* a :class:`~casd.model.types.Ref` is a foreign key of the table and column that hold it, and
  a reference that validation checks; a :class:`~casd.model.types.PolyRef` is checked and
  documented, but is no foreign key (its target table varies by row).

No I/O and no Arrow here: :mod:`casd.package` turns the layout into files.
"""

from __future__ import annotations

import builtins
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel

from .derived import Conflict
from .records import TABLES, Evidence, Record, Tombstone
from .types import DateMarker, Link, PolyRef, Ref, Shared, bare, list_item, marker
from .vocab import DatePrecision, RecordTable, Vocabulary

#: Frictionless field types used by casd (Parquet: string, double, int64, bool, date32, list<string>)
FieldType = Literal["string", "number", "integer", "boolean", "date", "array"]
#: The parts an EDTF field expands into, with the type of each column.
EDTF_PARTS: dict[str, FieldType] = {
    "text": "string",
    "start": "date",
    "end": "date",
    "precision": "string",
    "uncertain": "boolean",
    "approximate": "boolean",
}


@dataclass(frozen=True)
class Column:
    """One column: its Frictionless type, meaning, and where its value comes from."""

    name: str
    type: FieldType
    description: str
    required: bool = False
    vocabulary: builtins.type[Vocabulary] | None = None
    path: tuple[str, ...] = ()
    """Attribute path from the row's object (record or list item) to the value; ``()`` is the item itself."""
    part: str | None = None
    """For an EDTF field's columns: which part of the parsed date (see :data:`EDTF_PARTS`)."""

    @property
    def enum(self) -> list[str] | None:
        return [m.value for m in self.vocabulary] if self.vocabulary else None


@dataclass(frozen=True)
class ForeignKey:
    fields: str
    resource: str
    reference: str = "id"


@dataclass(frozen=True)
class Reference:
    """A field that names a record of another table: checked by validation, a foreign key in the tables."""

    table: str
    """Record table whose records hold the reference."""
    path: tuple[str, ...]
    """Field path from the record; ``"[]"`` steps into every item of a list."""
    target: str
    """The referenced table (by ``id``)."""
    holder: str
    """The table of the data package whose column holds it."""
    column: str
    shared: bool = False
    """Whether it sits in a shared list (evidence: a source may cite itself)."""


@dataclass(frozen=True)
class PolyReference:
    """A reference whose target table is named, row by row, by another field."""

    table: str
    field: str
    table_field: str


TableKind = Literal["entity", "link", "shared", "evidence", "tombstones", "conflicts"]


@dataclass
class Table:
    name: str
    description: str
    columns: list[Column]
    primary_key: list[str]
    kind: TableKind = "entity"
    parent: str | None = None
    """For a link table: the record table it hangs off."""
    list_field: str | None = None
    """For a link table: the list field of the parent it holds."""
    foreign_keys: list[ForeignKey] = field(default_factory=list)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Layout:
    tables: list[Table]
    references: list[Reference]
    poly_references: list[PolyReference]
    date_fields: list[tuple[str, tuple[str, ...]]]
    """(record table, field path) of every EDTF field, nested ones included (``memberships.[].since``)."""

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


# --- reading the models ------------------------------------------------------------------


@cache
def hints(model: type[BaseModel]) -> Mapping[str, Any]:
    """Field name -> full annotation (with its markers), in declaration order (worked out once a
    model: the claims rule asks for each claim of every record)."""
    all_hints = typing.get_type_hints(model, include_extras=True)
    return MappingProxyType({name: all_hints[name] for name in model.model_fields})


def _doc(model: type[BaseModel], name: str) -> str:
    return (model.model_fields[name].description or "").strip()


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _scalar_type(tp: Any) -> FieldType:
    if tp is bool:
        return "boolean"
    if tp is int:
        return "integer"
    if tp is float:
        return "number"
    return "string"


class _Walker:
    """Derives the columns of one object's fields, collecting link tables and references on the way."""

    def __init__(self, table: str, links: list[Table], refs: list[Reference], polys: list[PolyReference], dates: list[tuple[str, tuple[str, ...]]]):
        self.table, self.links, self.refs, self.polys, self.dates = table, links, refs, polys, dates

    def columns(self, model: type[BaseModel], holder: str, prefix: tuple[str, ...] = (), rename: dict[str, str] | None = None) -> list[Column]:
        cols: list[Column] = []
        for name, ann in hints(model).items():
            info = model.model_fields[name]
            tp, optional = bare(ann)
            required = info.is_required() and not optional
            desc = _doc(model, name)
            path = prefix + (name,)
            col = (rename or {}).get(name, name)
            item = list_item(ann)
            if marker(ann, Shared):
                continue  # claims and evidence: their own tables
            if marker(ann, DateMarker):
                self.dates.append((self.table, (name,)))
                cols += _edtf_columns(col, desc, required, (name,))
            elif isinstance(tp, type) and issubclass(tp, Vocabulary):
                cols.append(Column(col, "string", desc, required or info.default is not None, tp, (name,)))
            elif _is_model(tp):  # a nested record, flattened
                inner = _Walker(self.table, self.links, [], self.polys, [])
                for sub in inner.columns(tp, holder, path):
                    cols.append(replace(sub, name=f"{col}_{sub.name}", path=(name,) + sub.path, required=False))
                self.refs += [replace(r, column=f"{col}_{r.column}") for r in inner.refs]
                self.dates += [(self.table, path + p) for _, p in inner.dates]
            elif item is not None and (_is_model(bare(item)[0]) or marker(item, Ref) or marker(ann, Link)):
                if prefix:
                    raise TypeError(f"{model.__name__}.{name}: a list of records or references inside a nested record is not supported")
                self.links.append(self.link_table(model, name, ann, item))
            elif item is not None:
                cols.append(Column(col, "array", desc, True, None, (name,)))
            else:
                cols.append(Column(col, _scalar_type(tp), desc, required, None, (name,)))
            if (ref := marker(ann, Ref)) is not None:
                self.refs.append(Reference(self.table, path, ref.table, holder, col))
            if (poly := marker(ann, PolyRef)) is not None:
                self.polys.append(PolyReference(self.table, name, poly.table_field))
        return cols

    def link_table(self, parent_model: type[BaseModel], name: str, ann: Any, item: Any) -> Table:
        parent = TABLES[self.table]
        key = parent.key
        link: Link = marker(ann, Link) or Link()
        table = link.name or f"{key.removesuffix('_id')}_{name}"
        head = [
            Column(key, "string", f"The {key.removesuffix('_id')} (table {self.table}).", True, None, ("..parent",)),
            Column("ordinal", "integer", "Position of the item in the record's list (1-based).", True, None, ("..ordinal",)),
        ]
        child = bare(item)[0]
        if _is_model(child):
            rename = {n: f"related_{n}" for n in child.model_fields if n == key}
            sub = _Walker(self.table, self.links, [], self.polys, [])
            body = sub.columns(child, table, rename=rename)
            self.refs += [replace(r, path=(name, "[]") + r.path) for r in sub.refs]
            self.dates += [(self.table, (name, "[]") + p) for _, p in sub.dates]
            desc = (child.__doc__ or "").strip()
        else:
            column = link.item_column or f"{name}_item"
            body = [Column(column, "string", _doc(parent_model, name), True, None, ())]
            if (ref := marker(item, Ref)) is not None:
                self.refs.append(Reference(self.table, (name, "[]"), ref.table, table, column))
            desc = _doc(parent_model, name)
        return Table(table, desc, head + body, [key, "ordinal"], "link", self.table, name)


def _edtf_columns(name: str, description: str, required: bool, path: tuple[str, ...]) -> list[Column]:
    where = "empty if open, unknown or the year is unspecified"
    text = {
        "text": f"{description} (EDTF text.)",
        "start": f"Earliest day {name} can be (strict bound; {where}).",
        "end": f"Latest day {name} can be (strict bound; {where}).",
        "precision": f"Precision of {name}.",
        "uncertain": f"Whether {name} is marked uncertain or inferred (EDTF ? or %).",
        "approximate": f"Whether {name} is marked approximate (EDTF ~ or %).",
    }
    return [
        Column(
            name if part == "text" else f"{name}_{part}",
            typ,
            text[part],
            required and part == "text",
            DatePrecision if part == "precision" else None,
            path,
            part,
        )
        for part, typ in EDTF_PARTS.items()
    ]


def _per_record_head(what: str, ordinal: str) -> list[Column]:
    """The key columns of a table that hangs off records of any table (claims, evidence)."""
    return [
        Column("record_table", "string", f"Table of the record {what}.", True, RecordTable, ("..table",)),
        Column("record_id", "string", f"Id of the record {what}.", True, None, ("..parent",)),
        Column("ordinal", "integer", ordinal, True, None, ("..ordinal",)),
    ]


#: Evidence columns that anchoring adds or replaces (the rest come from the Evidence model).
EVIDENCE_RESOLVED = {
    "quote": Column("quote", "string", "The exact text of the source at char_start:char_end.", True, None, ("..quote",)),
    "char_start": Column("char_start", "integer", "Offset of the quote's first character in the seed text (Unicode code points, 0-based).", True, None, ("..start",)),
    "char_end": Column("char_end", "integer", "Offset just after the quote's last character (end exclusive).", True, None, ("..end",)),
}


def _evidence_table(refs: list[Reference]) -> Table:
    w = _Walker("evidence", [], [], [], [])
    own = {c.name: c for c in w.columns(Evidence, "evidence", rename={"source": "source_id"})}
    own.pop("occurrence")  # resolved into the offsets
    cols = _per_record_head("this evidence supports", "Position among the record's evidence (its own first, then its claims'), 1-based.")
    cols.append(Column("claim_ordinal", "integer", "The claim (table claims, same record) this evidence supports; empty for the record's own evidence.", False, None, ("..claim",)))
    cols.append(replace(own.pop("source_id"), description="The source the quote is taken from (table sources)."))
    own.pop("quote")
    cols += [EVIDENCE_RESOLVED["quote"], EVIDENCE_RESOLVED["char_start"], EVIDENCE_RESOLVED["char_end"]]
    cols += list(own.values())
    for tname in TABLES:
        refs += [Reference(tname, ("evidence", "[]") + r.path, r.target, "evidence", r.column, True) for r in w.refs]
        refs += [Reference(tname, ("claims", "[]", "evidence", "[]") + r.path, r.target, "evidence", r.column, True) for r in w.refs]
    return Table("evidence", (Evidence.__doc__ or "").strip(), cols, ["record_table", "record_id", "ordinal"], "evidence", list_field="evidence")


#: How the key columns of a shared table read (claims keep the wording they were published with).
_SHARED_WORDING = {"claims": ("the claim is about", "Position among the record's claims, 1-based.")}


def _shared_table(name: str, list_field: str, item: type[BaseModel], refs: list[Reference]) -> Table:
    """A table for a Shared list of every record kind (claims, inference uses), keyed by record and ordinal."""
    w = _Walker(name, [], [], [], [])
    what, ordinal = _SHARED_WORDING.get(name, (f"the {item.__name__.lower()} belongs to", f"Position in the record's {list_field}, 1-based."))
    cols = _per_record_head(what, ordinal)
    cols += w.columns(item, name)
    for tname in TABLES:
        refs += [Reference(tname, (list_field, "[]") + r.path, r.target, name, r.column, True) for r in w.refs]
    return Table(name, (item.__doc__ or "").strip(), cols, ["record_table", "record_id", "ordinal"], "shared", list_field=list_field)


def _shared_tables(refs: list[Reference]) -> list[Table]:
    """Claims, evidence and the other lists every record kind has, one table each."""
    out = []
    for field_name, ann in hints(Record).items():
        shared = marker(ann, Shared)
        if shared is None:
            continue
        item = bare(list_item(ann))[0]
        if shared.name == "evidence":
            out.append(_evidence_table(refs))
        else:
            out.append(_shared_table(shared.name, field_name, item, refs))
    return out


def _side_table(name: str, model: type[BaseModel], key: list[str], kind: TableKind) -> Table:
    """A table whose rows are not records: retired ids (from dataset/tombstones.yaml), derived tables."""
    w = _Walker(name, [], [], [], [])
    cols = w.columns(model, name)
    t = Table(name, (model.__doc__ or "").strip(), cols, key, kind)
    t.foreign_keys += sorted({ForeignKey(r.column, r.target) for r in w.refs}, key=lambda fk: fk.fields)
    return t


#: Tables whose rows are not records: (name, model, primary key, kind).
SIDE_TABLES: list[tuple[str, type[BaseModel], list[str], TableKind]] = [
    ("tombstones", Tombstone, ["table", "id"], "tombstones"),
    ("conflicts", Conflict, ["conflict_id", "side"], "conflicts"),
]


@cache
def layout() -> Layout:
    """The whole relational layout, derived from the models (computed once)."""
    entities: list[Table] = []
    links: list[Table] = []
    refs: list[Reference] = []
    polys: list[PolyReference] = []
    dates: list[tuple[str, tuple[str, ...]]] = []
    for tname, model in TABLES.items():
        cols = _Walker(tname, links, refs, polys, dates).columns(model, tname)
        entities.append(Table(tname, (model.__doc__ or "").strip(), cols, ["id"]))
    tables = entities + links + _shared_tables(refs) + [_side_table(*spec) for spec in SIDE_TABLES]
    names = [t.name for t in tables]
    if len(set(names)) != len(names):
        raise TypeError(f"two tables share a name: {sorted(n for n in names if names.count(n) > 1)}")
    by_name = {t.name: t for t in tables}
    for t in links:
        assert t.parent is not None
        t.foreign_keys.append(ForeignKey(t.primary_key[0], t.parent))
    for r in refs:
        fk = ForeignKey(r.column, r.target)
        if fk not in by_name[r.holder].foreign_keys:
            by_name[r.holder].foreign_keys.append(fk)
    for t in tables:
        t.foreign_keys.sort(key=lambda fk: (fk.fields, fk.resource))
    return Layout(tables, refs, polys, dates)


def tables() -> list[Table]:
    """Every table of the data package, in order."""
    return layout().tables


def model_of(table: str) -> type[Record]:
    return TABLES[table]
