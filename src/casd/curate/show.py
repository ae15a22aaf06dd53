"""One record in context (``casd show``): its fields, its evidence inside the seed text, its claims,
and every record that refers to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.relational import layout
from .anchors import evidence_of
from .checks import walk
from .validate import Validated

CONTEXT = 160


@dataclass
class Shown:
    table: str
    id: str
    path: str
    record: dict[str, Any]
    evidence: list[dict[str, Any]] = field(default_factory=list)
    referenced_by: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "id": self.id, "path": self.path, "record": self.record, "evidence": self.evidence, "referenced_by": self.referenced_by}


def find(v: Validated, ref: str) -> list[tuple[str, str]]:
    """``(table, id)`` of the records a ``[TABLE/]ID`` names."""
    table, _, rid = ref.rpartition("/")
    tables = [table] if table else list(v.dataset.tables)
    return [(t, rid) for t in tables if t in v.dataset.tables and rid in v.dataset.tables[t]]


def show(v: Validated, table: str, rid: str) -> Shown:
    item = v.dataset.tables[table][rid]
    rec = item.record
    assert rec is not None
    out = Shown(table, rid, item.path, rec.model_dump(mode="json", exclude_defaults=True))
    for loc, ev in evidence_of(rec):
        span = v.anchors.get(table, rid, loc)
        if span is None:
            continue
        text = v.anchors.seeds[ev.source].text
        start, end = span
        out.evidence.append(
            {
                "at": ".".join(str(p) for p in loc),
                "source": ev.source,
                "start": start,
                "end": end,
                "before": text[max(0, start - CONTEXT) : start],
                "quote": text[start:end],
                "after": text[end : end + CONTEXT],
                "fields": list(ev.fields),
            }
        )
    for r in layout().references:
        if r.target != table:
            continue
        for other in v.dataset.tables[r.table].values():
            if other.record is None:
                continue
            for loc, value in walk(other.record, r.path):
                if value == rid and not (r.table == table and other.id == rid):
                    out.referenced_by.append({"table": r.table, "id": other.id, "field": ".".join(str(p) for p in loc)})
    for p in layout().poly_references:
        for other in v.dataset.tables[p.table].values():
            if other.record is not None and str(getattr(other.record, p.table_field)) == table and getattr(other.record, p.field) == rid:
                out.referenced_by.append({"table": p.table, "id": other.id, "field": p.field})
    out.referenced_by.sort(key=lambda r: (r["table"], r["id"], r["field"]))
    return out


def as_text(s: Shown, color: bool) -> str:
    bold, rev, dim, end = ("\x1b[1m", "\x1b[7m", "\x1b[2m", "\x1b[0m") if color else ("", "»", "", "«")
    lines = [f"{bold}{s.table}/{s.id}{end if color else ''}  ({s.path})", ""]
    for key, value in s.record.items():
        if key in ("evidence", "claims"):
            continue
        lines.append(f"  {key}: {value}")
    for i, claim in enumerate(s.record.get("claims", []), start=1):
        item = f" [{claim['item']}]" if claim.get("item") else ""
        lines.append(f"  claim {i}: {claim['field']}{item} = {claim['value']!r} ({claim.get('rank', 'normal')})")
    lines.append("")
    for ev in s.evidence:
        before = " ".join(ev["before"].split())[-100:]
        after = " ".join(ev["after"].split())[:100]
        close = end if color else "«"
        lines.append(f"  {ev['at']} {dim}{ev['source']} [{ev['start']}:{ev['end']}]{end if color else ''} {', '.join(ev['fields'])}")
        lines.append(f"    …{before} {rev}{ev['quote']}{close} {after}…")
    if s.referenced_by:
        lines += ["", "  referenced by:"] + [f"    {r['table']}/{r['id']} ({r['field']})" for r in s.referenced_by]
    return "\n".join(lines) + "\n"
