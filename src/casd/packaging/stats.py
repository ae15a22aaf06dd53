"""The dataset at a glance (``casd stats``): counts per table and kind, the dates covered, the
sources cited, and the open conflicts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..curate.anchors import evidence_of
from ..curate.validate import Validated
from ..model import edtf
from ..model.records import Event
from .conflicts import conflicts


def stats(v: Validated) -> dict[str, Any]:
    data = v.dataset
    tables = {t: len(data.of(t)) for t in data.tables}
    kinds = {t: dict(sorted(Counter(str(r.kind) for r in data.of(t) if hasattr(r, "kind")).items())) for t in data.tables}
    events = data.records(Event)
    starts = [p.start for e in events if e.date and (p := edtf.parse(e.date)).start]
    ends = [p.end for e in events if e.date and (p := edtf.parse(e.date)).end]
    cited = Counter(ev.source for _, rec in data.typed() for _, ev in evidence_of(rec))
    sides = conflicts(v)
    open_ids = sorted({c.conflict_id for c in sides if not c.resolved})
    return {
        "records": tables,
        "kinds": {t: k for t, k in kinds.items() if k},
        "events": {"dated": len(starts), "undated": sum(1 for e in events if not e.date), "aggregates": sum(1 for e in events if e.aggregate)},
        "dates": {"first": min(starts).isoformat() if starts else None, "last": max(ends).isoformat() if ends else None},
        "evidence_per_source": dict(sorted(cited.items())),
        "conflicts": {"all": len({c.conflict_id for c in sides}), "open": len(open_ids), "open_ids": open_ids},
    }


def as_text(s: dict[str, Any]) -> str:
    lines = ["records:"] + [f"  {t}: {n}" for t, n in s["records"].items()]
    for t, kinds in s["kinds"].items():
        lines.append(f"{t} by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    e = s["events"]
    lines.append(f"events: {e['dated']} dated, {e['undated']} undated, {e['aggregates']} aggregates (count aggregate = false to count occurrences once)")
    lines.append(f"dates covered: {s['dates']['first']} to {s['dates']['last']}")
    lines.append("evidence quotes per source: " + ", ".join(f"{k} {n}" for k, n in s["evidence_per_source"].items()))
    c = s["conflicts"]
    lines.append(f"conflicts: {c['all']}, of which {c['open']} open:")
    lines += [f"  {cid}" for cid in c["open_ids"]]
    return "\n".join(lines) + "\n"
