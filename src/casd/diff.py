"""What changed between two versions: schema first, then records, and the SemVer bump it implies.

A *side* is a version's descriptor and tables: a published release (read from
its folder) or the working dataset (rendered in memory). The bump follows the
Data Package version recipe: adding, removing, renaming, re-ordering or retyping
fields, removing a resource or tightening a constraint is **major**; adding data
(records, resources, vocabulary values) is **minor**; corrections are **patch**.
casd adds one rule: removing a record id from an entity table is major.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .models import TABLES

LEVELS = {"none": 0, "patch": 1, "minor": 2, "major": 3}


@dataclass
class Side:
    label: str
    descriptor: dict
    tables: dict[str, pa.Table]


@dataclass
class Change:
    level: str  # patch, minor, major
    text: str


@dataclass
class TableDiff:
    name: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class Diff:
    old: str
    new: str
    schema: list[Change]
    tables: list[TableDiff]

    @property
    def bump(self) -> str:
        level = max((LEVELS[c.level] for c in self.reasons), default=0)
        return next(k for k, v in LEVELS.items() if v == level)

    @property
    def reasons(self) -> list[Change]:
        out = list(self.schema)
        for t in self.tables:
            if t.removed and t.name in TABLES:
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


def release_side(folder: Path, label: str) -> Side:
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    tables = {r["name"]: pq.read_table(folder / r["casd:parquet"]["path"]) for r in desc["resources"]}
    return Side(label, desc, tables)


def memory_side(descriptor: dict, files: dict[str, bytes], label: str) -> Side:
    tables = {r["name"]: pq.read_table(io.BytesIO(files[f"{r['name']}.parquet"])) for r in descriptor["resources"]}
    return Side(label, descriptor, tables)


# --- comparing -------------------------------------------------------------------------------


def _fields(resource: dict) -> list[dict]:
    return resource["schema"]["fields"]


def _schema_changes(old: dict, new: dict) -> list[Change]:
    out: list[Change] = []
    o = {r["name"]: r for r in old["resources"]}
    n = {r["name"]: r for r in new["resources"]}
    for name in o.keys() - n.keys():
        out.append(Change("major", f"resource {name} removed"))
    for name in sorted(n.keys() - o.keys()):
        out.append(Change("minor", f"resource {name} added"))
    for name in [r["name"] for r in new["resources"] if r["name"] in o]:
        of, nf = _fields(o[name]), _fields(n[name])
        onames, nnames = [f["name"] for f in of], [f["name"] for f in nf]
        for f in onames:
            if f not in nnames:
                out.append(Change("major", f"{name}.{f} removed"))
        for f in nnames:
            if f not in onames:
                out.append(Change("major", f"{name}.{f} added"))
        common_o = [f for f in onames if f in nnames]
        common_n = [f for f in nnames if f in onames]
        if common_o != common_n:
            out.append(Change("major", f"{name}: fields re-ordered"))
        ob, nb = {f["name"]: f for f in of}, {f["name"]: f for f in nf}
        for f in common_n:
            a, b = ob[f], nb[f]
            if a["type"] != b["type"]:
                out.append(Change("major", f"{name}.{f} retyped {a['type']} -> {b['type']}"))
            ac, bc = a.get("constraints", {}), b.get("constraints", {})
            if bc.get("required") and not ac.get("required"):
                out.append(Change("major", f"{name}.{f} became required"))
            elif ac.get("required") and not bc.get("required"):
                out.append(Change("minor", f"{name}.{f} no longer required"))
            if "enum" in ac or "enum" in bc:
                ae, be = set(ac.get("enum", [])), set(bc.get("enum", []))
                if "enum" not in ac or (ae - be):
                    out.append(Change("major", f"{name}.{f} allowed values tightened (removed: {', '.join(sorted(ae - be)) or 'all but the listed'})"))
                elif be - ae:
                    out.append(Change("minor", f"{name}.{f} allowed values added: {', '.join(sorted(be - ae))}"))
            if a.get("description") != b.get("description"):
                out.append(Change("patch", f"{name}.{f} description changed"))
        if o[name]["schema"].get("primaryKey") != n[name]["schema"].get("primaryKey"):
            out.append(Change("major", f"{name}: primary key changed"))
        if o[name]["schema"].get("foreignKeys") != n[name]["schema"].get("foreignKeys"):
            out.append(Change("major", f"{name}: foreign keys changed"))
    return out


def _keyed(table: pa.Table, pk: list[str]) -> dict[str, dict]:
    rows = table.to_pylist()
    return {"/".join(str(r[k]) for k in pk): r for r in rows}


def _table_diff(name: str, old: Side, new: Side) -> TableDiff:
    d = TableDiff(name)
    res = next(r for r in new.descriptor["resources"] if r["name"] == name)
    pk = res["schema"]["primaryKey"]
    a = _keyed(old.tables[name], pk) if name in old.tables else {}
    b = _keyed(new.tables[name], pk)
    d.added = sorted(b.keys() - a.keys())
    d.removed = sorted(a.keys() - b.keys())
    for key in sorted(a.keys() & b.keys()):
        changed = sorted(f for f in b[key] if f in a[key] and a[key][f] != b[key][f])
        changed += sorted(f for f in b[key] if f not in a[key] and b[key][f] is not None)
        if changed:
            d.changed.append((key, changed))
    return d


def compare(old: Side, new: Side) -> Diff:
    tables = [_table_diff(r["name"], old, new) for r in new.descriptor["resources"]]
    gone = [r["name"] for r in old.descriptor["resources"] if r["name"] not in new.tables]
    for name in gone:  # a removed resource: every row is removed
        pk = next(r for r in old.descriptor["resources"] if r["name"] == name)["schema"]["primaryKey"]
        tables.append(TableDiff(name, removed=sorted(_keyed(old.tables[name], pk))))
    return Diff(old.label, new.label, _schema_changes(old.descriptor, new.descriptor), tables)


def bump(version: str | None, level: str) -> str:
    if version is None:
        return "0.1.0"
    major, minor, patch = (int(x) for x in version.split("."))
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


# --- rendering -------------------------------------------------------------------------------


def as_text(d: Diff) -> str:
    lines = [f"casd diff {d.old} -> {d.new}", ""]
    lines.append("Schema changes:" if d.schema else "Schema changes: none")
    lines += [f"  [{c.level}] {c.text}" for c in d.schema]
    lines.append("")
    lines.append("Records:")
    for t in d.tables:
        if t.empty:
            continue
        lines.append(f"  {t.name}: +{len(t.added)} added, -{len(t.removed)} removed, ~{len(t.changed)} changed")
        lines += [f"    + {k}" for k in t.added]
        lines += [f"    - {k}" for k in t.removed]
        lines += [f"    ~ {k}: {', '.join(f)}" for k, f in t.changed]
    if all(t.empty for t in d.tables):
        lines.append("  no record changes")
    lines += ["", f"Proposed bump: {d.bump}"]
    because = [c for c in d.reasons if c.level == d.bump]
    lines += [f"  because [{c.level}] {c.text}" for c in because[:8]]
    if len(because) > 8:
        lines.append(f"  … and {len(because) - 8} more")
    return "\n".join(lines) + "\n"


def as_markdown(d: Diff, version: str) -> str:
    """A CHANGELOG section: schema changes first, then counts per table."""
    if d.old.startswith("nothing"):
        out = [f"## {version}", "", "First release: every table and record is new.", ""]
        out += ["| table | rows |", "|---|---:|"] + [f"| {t.name} | {len(t.added)} |" for t in d.tables]
        return "\n".join(out) + "\n"
    out = [f"## {version}", "", f"Compared with {d.old}; bump: **{d.bump}**.", ""]
    if d.schema:
        out += ["### Schema", ""] + [f"- [{c.level}] {c.text}" for c in d.schema] + [""]
    out += ["### Records", "", "| table | added | removed | changed |", "|---|---:|---:|---:|"]
    out += [f"| {t.name} | {len(t.added)} | {len(t.removed)} | {len(t.changed)} |" for t in d.tables if not t.empty]
    return "\n".join(out) + "\n"


def as_csv(d: Diff) -> bytes:
    """The machine-readable change list: one row per added, removed or changed row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["table", "key", "change", "fields"])
    for t in d.tables:
        for k in t.added:
            w.writerow([t.name, k, "added", "[]"])
        for k in t.removed:
            w.writerow([t.name, k, "removed", "[]"])
        for k, fields in t.changed:
            w.writerow([t.name, k, "changed", json.dumps(fields)])
    return buf.getvalue().encode("utf-8")
