"""Figures: the printed text stands in the evidence, bounds are ordered, alternatives agree."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.records import Figure
from ..anchors import evidence_of
from ..evidence import contains
from ..issues import Issue
from . import Context, Facts, facts, rule


@rule("figure-text-unsupported", "figure-range-incomplete", "figure-bounds-order", local=True)
def figure_is_as_printed(ctx: Context) -> Iterator[Issue]:
    """A figure's text appears in its evidence; a range has both bounds; low <= value <= high."""
    for item in ctx.dataset.tables["figures"].values():
        rec = item.record
        if not isinstance(rec, Figure):
            continue
        if not any(contains(ev.quote, rec.text) for _, ev in evidence_of(rec)):
            yield item.at(("text",), "figure-text-unsupported", text=rec.text)
        if rec.qualifier == "range" and (rec.low is None or rec.high is None):
            yield item.at(("qualifier",), "figure-range-incomplete")
        if rec.low is not None and rec.high is not None and rec.low > rec.high:
            yield item.at(("low",), "figure-bounds-order", bound="low", value=rec.low, other="high", other_value=rec.high)
        if rec.value is not None:
            if rec.low is not None and rec.low > rec.value:
                yield item.at(("low",), "figure-bounds-order", bound="low", value=rec.low, other="value", other_value=rec.value)
            if rec.high is not None and rec.high < rec.value:
                yield item.at(("high",), "figure-bounds-order", bound="high", value=rec.high, other="value", other_value=rec.value)


def bounds(f: Figure | Facts) -> tuple[float, float] | None:
    """The numeric range a figure allows (``None`` when it states no number)."""
    lo = f.low if f.low is not None else f.value
    hi = f.high if f.high is not None else f.value
    if f.qualifier in ("at-least", "over") and f.high is None:
        hi = float("inf")
    if f.qualifier == "up-to" and f.low is None:
        lo = 0.0
    if lo is None or hi is None:
        return None
    return lo, hi


def _shown(b: tuple[float, float]) -> str:
    lo, hi = (f"{x:g}" for x in b)
    return lo if b[0] == b[1] else f"{lo} to {hi}"


@rule("figure-alternative-overlap", reads={"figures": ("notes", "alternatives", "low", "high", "value", "qualifier")}, near=True)
def overlapping_alternatives_are_explained(ctx: Context) -> Iterator[Issue]:
    """Alternatives whose numeric bounds overlap state in ``notes`` how they disagree."""
    figures = ctx.dataset.tables["figures"]
    for item in figures.values():
        rec = facts(item)
        if rec is None or rec.notes or (mine := bounds(rec)) is None:
            continue
        for i, other_id in enumerate(rec.alternatives):
            other = figures.get(other_id)
            o = facts(other) if other is not None else None
            if o is None or (theirs := bounds(o)) is None:
                continue
            if mine[0] <= theirs[1] and theirs[0] <= mine[1]:
                yield item.at(("alternatives", i), "figure-alternative-overlap", other=other_id, other_range=_shown(theirs), range=_shown(mine))


@rule("figure-alternative-mismatch", "figure-alternative-one-way", "figure-both-preferred", reads={"figures": ("alternatives", "measure", "subject_table", "subject_id", "rank")}, near=True)
def alternatives_agree(ctx: Context) -> Iterator[Issue]:
    """Alternatives share subject and measure, list each other, and at most one is preferred."""
    figures = ctx.dataset.tables["figures"]
    for item in figures.values():
        rec = facts(item)
        if rec is None:
            continue
        for i, other_id in enumerate(rec.alternatives):
            other = figures.get(other_id)
            o = facts(other) if other is not None else None
            if o is None or other_id == rec.id:
                continue  # dangling or self: reported by the reference rules
            if (o.measure, o.subject_table, o.subject_id) != (rec.measure, rec.subject_table, rec.subject_id):
                yield item.at(("alternatives", i), "figure-alternative-mismatch", other=other_id)
            elif rec.id not in o.alternatives:
                yield item.at(("alternatives", i), "figure-alternative-one-way", other=other_id, id=rec.id)
            elif rec.rank == o.rank == "preferred":
                yield item.at(("rank",), "figure-both-preferred", id=rec.id, other=other_id)
