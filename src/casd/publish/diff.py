"""What changed between two versions: schema first, then records, and the SemVer bump it implies.

A *side* is a version's descriptor and tables: a published release (read verified through
:mod:`casd.read.releases`) or the working dataset (rendered in memory). The bump follows the
Data Package version recipe: adding, removing, renaming, re-ordering or retyping fields,
removing a resource or tightening a constraint is **major**; adding data (records,
resources, vocabulary values) is **minor**; corrections are **patch**. casd adds one rule:
removing a record id from an entity table is major.

Rows are matched by their natural key, not their position: an entity by ``id``; a link row
by its parent and the ids it links; a claim by record, field and value; an evidence row by
record, claim, source and offsets. Moving an item within its list is not a change.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..read.releases import Release
from ..read.semver import LEVELS

Row = dict[str, Any]


@dataclass(frozen=True)
class Side:
    label: str
    descriptor: dict[str, Any]
    tables: dict[str, pa.Table]


@dataclass(frozen=True)
class Change:
    level: str  # patch, minor, major
    text: str


@dataclass
class TableDiff:
    name: str
    entity: bool = False
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[tuple[str, Any, Any]]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class Diff:
    old: str | None
    """The older side's label; None for a first release (compared with nothing)."""
    new: str
    schema: list[Change]
    tables: list[TableDiff]
    dependents: dict[str, list[str]] = field(default_factory=dict)
    """Changed or removed inferences -> the records (``table/id``) that rest on them."""
    previous_files: list[str] = field(default_factory=list)
    """The files of the previous release (set by the release planner)."""
    files_added: list[str] = field(default_factory=list)
    """Files this release has that the previous one had not (derived formats, documents)."""

    @property
    def first_release(self) -> bool:
        return self.old is None

    @property
    def bump(self) -> str:
        level = max((LEVELS[c.level] for c in self.reasons), default=1 if self.files_added else 0)
        return next(k for k, v in LEVELS.items() if v == level)

    @property
    def reasons(self) -> list[Change]:
        out = list(self.schema)
        for t in self.tables:
            if t.removed and t.entity:
                out.append(Change("major", f"{t.name}: {len(t.removed)} record id(s) removed ({', '.join(t.removed[:5])}{'…' if len(t.removed) > 5 else ''})"))
            elif t.removed:
                out.append(Change("patch", f"{t.name}: {len(t.removed)} row(s) removed (corrections)"))
            if t.added:
                out.append(Change("minor", f"{t.name}: {len(t.added)} row(s) added"))
            if t.changed:
                out.append(Change("patch", f"{t.name}: {len(t.changed)} row(s) corrected"))
        return out

    @property
    def empty(self) -> bool:
        return not self.schema and all(t.empty for t in self.tables)


# --- sides -----------------------------------------------------------------------------------


def release_side(release: Release) -> Side:
    """A published release, every file verified."""
    desc = release.descriptor()
    return Side(release.version, desc, {r["name"]: release.table(r["name"]) for r in desc["resources"]})


def memory_side(descriptor: dict[str, Any], files: Mapping[str, bytes], label: str) -> Side:
    tables = {r["name"]: pq.ParquetFile(io.BytesIO(files[f"{r['name']}.parquet"])).read() for r in descriptor["resources"]}
    return Side(label, descriptor, tables)


# --- schema ----------------------------------------------------------------------------------


def _fields(resource: dict[str, Any]) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = resource["schema"]["fields"]
    return fields


def _field_changes(name: str, a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    f = a["name"]
    if a["type"] != b["type"]:
        out.append(Change("major", f"{name}.{f} retyped {a['type']} -> {b['type']}"))
    ac, bc = a.get("constraints", {}), b.get("constraints", {})
    if bc.get("required") and not ac.get("required"):
        out.append(Change("major", f"{name}.{f} became required"))
    elif ac.get("required") and not bc.get("required"):
        out.append(Change("minor", f"{name}.{f} no longer required"))
    out += _enum_changes(f"{name}.{f}", ac, bc)
    for c in sorted((ac.keys() | bc.keys()) - {"required", "enum"}):
        if c not in ac:
            out.append(Change("major", f"{name}.{f} gained constraint {c}"))
        elif c not in bc:
            out.append(Change("minor", f"{name}.{f} lost constraint {c}"))
        elif ac[c] != bc[c]:
            out.append(Change("major", f"{name}.{f} constraint {c} changed {ac[c]!r} -> {bc[c]!r}"))
    if a.get("description") != b.get("description"):
        out.append(Change("patch", f"{name}.{f} description changed"))
    return out


def _enum_changes(where: str, ac: dict[str, Any], bc: dict[str, Any]) -> list[Change]:
    if "enum" not in bc:
        return [Change("minor", f"{where} allowed values no longer restricted")] if "enum" in ac else []
    be = {str(v) for v in bc["enum"]}
    if "enum" not in ac:
        return [Change("major", f"{where} allowed values restricted to: {', '.join(sorted(be))}")]
    ae = {str(v) for v in ac["enum"]}
    out = []
    if ae - be:
        out.append(Change("major", f"{where} allowed values tightened (removed: {', '.join(sorted(ae - be))})"))
    if be - ae:
        out.append(Change("minor", f"{where} allowed values added: {', '.join(sorted(be - ae))}"))
    return out


def _resource_changes(name: str, o: dict[str, Any], n: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    of, nf = _fields(o), _fields(n)
    onames, nnames = [f["name"] for f in of], [f["name"] for f in nf]
    out += [Change("major", f"{name}.{f} removed") for f in onames if f not in nnames]
    out += [Change("major", f"{name}.{f} added") for f in nnames if f not in onames]
    if [f for f in onames if f in nnames] != [f for f in nnames if f in onames]:
        out.append(Change("major", f"{name}: fields re-ordered"))
    ob = {f["name"]: f for f in of}
    for b in nf:
        if b["name"] in ob:
            out += _field_changes(name, ob[b["name"]], b)
    if o["schema"].get("primaryKey") != n["schema"].get("primaryKey"):
        out.append(Change("major", f"{name}: primary key changed"))
    # a missing and an empty foreignKeys mean the same (1.0.0 wrote empty arrays)
    if (o["schema"].get("foreignKeys") or []) != (n["schema"].get("foreignKeys") or []):
        out.append(Change("major", f"{name}: foreign keys changed"))
    return out


def schema_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Changes between two descriptors' resources and fields, in a stable order."""
    o = {r["name"]: r for r in old["resources"]}
    n = {r["name"]: r for r in new["resources"]}
    out = [Change("major", f"resource {name} removed") for name in sorted(o.keys() - n.keys())]
    out += [Change("minor", f"resource {name} added") for name in sorted(n.keys() - o.keys())]
    for r in new["resources"]:
        if r["name"] in o:
            out += _resource_changes(r["name"], o[r["name"]], r)
    return out


# --- records ---------------------------------------------------------------------------------


def natural_key(resource: dict[str, Any]) -> list[str]:
    """The columns that identify a row regardless of its position in its list."""
    schema = resource["schema"]
    pk: list[str] = schema["primaryKey"]
    if "ordinal" not in pk:
        return pk
    names = [f["name"] for f in schema["fields"]]
    if resource["name"] == "evidence":
        return [c for c in ("record_table", "record_id", "claim_ordinal", "source_id", "char_start", "char_end") if c in names]
    if resource["name"] == "claims":
        return [c for c in ("record_table", "record_id", "field", "value") if c in names]
    refs = [fk["fields"][0] for fk in schema.get("foreignKeys") or []]
    return [c for c in pk if c != "ordinal"] + [c for c in refs if c not in pk]


def _keyed(table: pa.Table, key: list[str]) -> dict[str, Row]:
    out: dict[str, Row] = {}
    for row in table.to_pylist():
        base = "/".join("" if row.get(k) is None else str(row.get(k)) for k in key)
        name, n = base, 1
        while name in out:  # the same natural key twice in one list
            n += 1
            name = f"{base}#{n}"
        out[name] = row
    return out


def _table_diff(resource: dict[str, Any], old: Side, new: Side) -> TableDiff:
    name = resource["name"]
    key = natural_key(resource)
    d = TableDiff(name, entity=resource["schema"]["primaryKey"] == ["id"])
    a = _keyed(old.tables[name], key) if name in old.tables else {}
    b = _keyed(new.tables[name], key)
    d.added = sorted(b.keys() - a.keys())
    d.removed = sorted(a.keys() - b.keys())
    for k in sorted(a.keys() & b.keys()):
        changes = [(f, a[k].get(f), b[k][f]) for f in b[k] if f != "ordinal" and (f in a[k] or b[k][f] is not None) and a[k].get(f) != b[k][f]]
        if changes:
            d.changed.append((k, changes))
    return d


def compare(old: Side | None, new: Side) -> Diff:
    """The difference between two sides (``old=None``: a first release, everything is new)."""
    base = old or Side("nothing", {"resources": []}, {})
    tables = [_table_diff(r, base, new) for r in new.descriptor["resources"]]
    for r in base.descriptor["resources"]:  # a removed resource: every row is removed
        if r["name"] not in new.tables:
            gone = TableDiff(r["name"], entity=r["schema"]["primaryKey"] == ["id"])
            gone.removed = sorted(_keyed(base.tables[r["name"]], natural_key(r)))
            tables.append(gone)
    d = Diff(old.label if old else None, new.label, schema_changes(base.descriptor, new.descriptor), tables)
    d.dependents = _dependents(d, new)
    return d


def _dependents(d: Diff, new: Side) -> dict[str, list[str]]:
    """Every record resting on an inference that changed: a change to the reasoning flags them all."""
    touched = {k for t in d.tables if t.name == "inferences" for k in (*t.removed, *(k for k, _ in t.changed))}
    uses = new.tables.get("inference_uses")
    if not touched or uses is None:
        return {}
    out: dict[str, list[str]] = {}
    for row in uses.to_pylist():
        if row["inference_id"] in touched:
            out.setdefault(row["inference_id"], []).append(f"{row['record_table']}/{row['record_id']}")
    return {k: sorted(set(v)) for k, v in sorted(out.items())}


# --- rendering -------------------------------------------------------------------------------


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def as_text(d: Diff) -> str:
    lines = [f"casd diff {d.old or 'nothing'} -> {d.new}", ""]
    lines.append("Schema changes:" if d.schema else "Schema changes: none")
    lines += [f"  [{c.level}] {c.text}" for c in d.schema]
    lines += ["", "Records:"]
    for t in d.tables:
        if t.empty:
            continue
        lines.append(f"  {t.name}: +{len(t.added)} added, -{len(t.removed)} removed, ~{len(t.changed)} changed")
        lines += [f"    + {k}" for k in t.added]
        lines += [f"    - {k}" for k in t.removed]
        for k, changes in t.changed:
            lines.append(f"    ~ {k}: {', '.join(f for f, _, _ in changes)}")
            lines += [f"        {f}: {_show(a)} -> {_show(b)}" for f, a, b in changes]
    if all(t.empty for t in d.tables):
        lines.append("  no record changes")
    if d.files_added:
        same = " (same data, packaged differently)" if d.empty else ""
        lines.append(f"  files added{same}: {', '.join(d.files_added)}")
    for inference, records in d.dependents.items():
        lines.append(f"  ! inference {inference} changed: {len(records)} record(s) rest on it, review them: {', '.join(records)}")
    lines += ["", f"Proposed bump: {d.bump}"]
    because = [c for c in d.reasons if c.level == d.bump]
    lines += [f"  because [{c.level}] {c.text}" for c in because[:8]]
    if len(because) > 8:
        lines.append(f"  … and {len(because) - 8} more")
    return "\n".join(lines) + "\n"


def as_markdown(d: Diff, version: str, notes: str | None = None) -> str:
    """A CHANGELOG section: the curators' notes, schema changes, then counts per table."""
    if d.first_release:
        out = [f"## {version}", "", "First release: every table and record is new.", ""]
        out += ["| table | rows |", "|---|---:|"] + [f"| {t.name} | {len(t.added)} |" for t in d.tables]
        return "\n".join(out) + "\n"
    out = [f"## {version}", ""]
    if notes:
        demoted = ("\n" + notes.strip()).replace("\n# ", "\n### ").replace("\n## ", "\n### ")  # under the version heading
        out += [demoted.strip(), ""]
    out += [f"Compared with {d.old}; bump: **{d.bump}**.", ""]
    if d.files_added:
        same = " Same data, packaged differently." if d.empty else ""
        out += [f"Files added:{same} " + ", ".join(f"`{f}`" for f in d.files_added), ""]
    if d.schema:
        out += ["### Schema", ""] + [f"- [{c.level}] {c.text}" for c in d.schema] + [""]
    out += ["### Records", "", "| table | added | removed | changed |", "|---|---:|---:|---:|"]
    out += [f"| {t.name} | {len(t.added)} | {len(t.removed)} | {len(t.changed)} |" for t in d.tables if not t.empty]
    if d.dependents:
        out += ["", "### Inferences changed", ""]
        out += [f"- `{k}`: {len(v)} record(s) rest on it" for k, v in d.dependents.items()]
    return "\n".join(out) + "\n"


def as_csv(d: Diff) -> bytes:
    """The machine-readable change list: one row per added, removed or changed row (old and new values)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["table", "key", "change", "fields", "values"])
    for t in d.tables:
        for k in t.added:
            w.writerow([t.name, k, "added", "[]", "{}"])
        for k in t.removed:
            w.writerow([t.name, k, "removed", "[]", "{}"])
        for k, changes in t.changed:
            values = {f: [a, b] for f, a, b in changes}
            w.writerow([t.name, k, "changed", json.dumps([f for f, _, _ in changes]), json.dumps(values, ensure_ascii=False, default=str)])
    return buf.getvalue().encode("utf-8")
