"""The ``conflicts`` table: every disagreement between sources that the records hold, one row a side.

Two kinds (see :class:`~casd.model.derived.Conflict`): ranked claims with different values for
one field of one record (or of one list item), and figures about one subject and measure
linked as alternatives (a connected group of ``alternatives`` links).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..curate.validate import Validated
from ..model.derived import Conflict
from ..model.records import TABLES, Claim, Figure, Record
from ..model.vocab import ConflictKind, Rank, RecordTable


def _sources(evidence: list[str]) -> list[str]:
    return sorted(set(evidence))


def record_conflicts(tname: str, rec: Record) -> list[Conflict]:
    """The sides of every disagreement among one record's claims."""
    out: list[Conflict] = []
    groups: dict[tuple[str, str | None], list[tuple[int, Claim]]] = defaultdict(list)
    for i, claim in enumerate(rec.claims, start=1):
        groups[(claim.field, claim.item)].append((i, claim))
    for (field, item), sides in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1] or "")):
        if len({c.value for _, c in sides}) < 2:
            continue  # one value, however often claimed, is no disagreement
        cid = f"claims/{tname}/{rec.id}/{field}" + (f"/{item}" if item else "")
        resolved = any(c.rank == Rank.preferred for _, c in sides)
        for side, (ordinal, c) in enumerate(sides, start=1):
            out.append(
                Conflict(
                    conflict_id=cid, side=side, kind=ConflictKind.claims, record_table=RecordTable(tname), record_id=rec.id,
                    field=field, item=item, value=c.value, claim_ordinal=ordinal, rank=c.rank,
                    sources=_sources([e.source for e in c.evidence]), resolved=resolved,
                )
            )
    return out


def claim_conflicts(v: Validated) -> list[Conflict]:
    return [c for tname in TABLES for rec in v.dataset.of(tname) for c in record_conflicts(tname, rec)]


@dataclass(frozen=True, slots=True)
class FigureSide:
    """What a figure brings to a disagreement among figures (kept instead of the figure itself)."""

    id: str
    alternatives: tuple[str, ...]
    subject_table: RecordTable
    subject_id: str
    measure: str
    text: str
    rank: Rank
    sources: tuple[str, ...]

    @classmethod
    def of(cls, f: Figure) -> FigureSide:
        return cls(f.id, tuple(f.alternatives), f.subject_table, f.subject_id, str(f.measure), f.text, f.rank, tuple(e.source for e in f.evidence))


def _groups(figures: dict[str, FigureSide]) -> list[list[FigureSide]]:
    """Connected groups of figures linked by ``alternatives`` (either direction), each sorted by id."""
    seen: set[str] = set()
    groups = []
    named_by: dict[str, list[str]] = {}  # figure id -> the figures that name it as an alternative
    for f in figures.values():
        for other in dict.fromkeys(f.alternatives):
            named_by.setdefault(other, []).append(f.id)
    for fid in sorted(figures):
        if fid in seen or not figures[fid].alternatives:
            continue
        stack, group = [fid], []
        while stack:
            cur = stack.pop()
            if cur in seen or cur not in figures:
                continue
            seen.add(cur)
            group.append(figures[cur])
            stack += figures[cur].alternatives
            stack += named_by.get(cur, [])
        groups.append(sorted(group, key=lambda f: f.id))
    return groups


def figure_conflicts(v: Validated) -> list[Conflict]:
    return figure_conflicts_of([FigureSide.of(f) for f in v.dataset.records(Figure)])


def figure_conflicts_of(figures: list[FigureSide]) -> list[Conflict]:
    """The sides of every disagreement among figures linked as alternatives."""
    out: list[Conflict] = []
    used: dict[str, int] = {}
    for group in _groups({f.id: f for f in figures}):
        first = group[0]
        base = f"figures/{first.subject_table}/{first.subject_id}/{first.measure}"
        used[base] = used.get(base, 0) + 1
        cid = base if used[base] == 1 else f"{base}#{used[base]}"
        resolved = any(f.rank == Rank.preferred for f in group)
        for side, f in enumerate(group, start=1):
            out.append(
                Conflict(
                    conflict_id=cid, side=side, kind=ConflictKind.figures, record_table=f.subject_table, record_id=f.subject_id,
                    field=f.measure, value=f.text, figure_id=f.id, rank=f.rank,
                    sources=_sources(list(f.sources)), resolved=resolved,
                )
            )
    return out


def conflicts(v: Validated) -> list[Conflict]:
    """Every side of every disagreement, claims first."""
    return claim_conflicts(v) + figure_conflicts(v)
