"""Evidence: the fields an item supports exist; a statement's quote stands in its evidence."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.records import Statement
from ..anchors import evidence_of
from ..evidence import contains, normalise
from ..issues import Issue
from . import Context, rule


@rule("evidence-field-unknown", local=True)
def evidence_fields_exist(ctx: Context) -> Iterator[Issue]:
    """An evidence item's ``fields`` name fields of its record."""
    for item, rec in ctx.dataset.typed():
        fields = type(rec).model_fields
        for loc, ev in evidence_of(rec):
            for f, name in enumerate(ev.fields):
                if name not in fields:
                    yield item.at(loc + ("fields", f), "evidence-field-unknown", name=name, table=item.table)


@rule("inference-field-unknown", local=True)
def inference_fields_exist(ctx: Context) -> Iterator[Issue]:
    """An inference use's ``fields`` name fields of its record."""
    for item, rec in ctx.dataset.typed():
        fields = type(rec).model_fields
        for i, use in enumerate(rec.inferences):
            for f, name in enumerate(use.fields):
                if name not in fields:
                    yield item.at(("inferences", i, "fields", f), "inference-field-unknown", name=name, table=item.table)


_OPEN, _CLOSE = "“", "”"


def _inside_quotation_marks(text: str, start: int, end: int) -> str | None:
    """Why ``text[start:end]`` is not the speaker's words (None if it is): inside one pair of
    quotation marks of its line, or a block quotation (a whole paragraph quoted without marks,
    as articles print quoted passages of other articles)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    before, inner, after = text[line_start:start], text[start:end], text[end:line_end]
    if not before.strip():
        return None  # a block quotation: the quote opens its paragraph
    if _OPEN in before or _CLOSE in before:
        opened = before.rfind(_OPEN) > before.rfind(_CLOSE)
    else:
        opened = before.count('"') % 2 == 1
    if not opened:
        return "no quotation mark opens before it"
    if any(m in inner.rstrip('"”.,;:!?') for m in ('"', _OPEN, _CLOSE)):
        return "it spans a quotation mark (it joins quoted fragments with the reporter's words)"
    if not any(m in after or m in inner[-2:] for m in ('"', _CLOSE)):
        return "no quotation mark closes after it"
    return None


@rule("direct-quote-unquoted", local=True)
def direct_quotes_are_quoted(ctx: Context) -> Iterator[Issue]:
    """A direct quote lies inside one pair of quotation marks in the source that gives it."""
    for item in ctx.dataset.tables["statements"].values():
        rec = item.record
        if not isinstance(rec, Statement) or rec.kind != "direct-quote":
            continue
        reasons = []
        for loc, ev in evidence_of(rec):
            span = ctx.anchors.get("statements", rec.id, loc)
            if span is None or not contains(ev.quote, rec.quote):
                continue
            seed = ctx.anchors.seeds[ev.source]
            at = seed.norm.find(normalise(rec.quote), max(0, seed.norm_position(span[0]) - 1))
            if at == -1:
                continue
            a = seed.span(at, len(normalise(rec.quote)))
            why = _inside_quotation_marks(seed.text, a.start, a.end)
            if why is None:
                break
            reasons.append((ev.source, why))
        else:
            if reasons:
                yield item.at(("quote",), "direct-quote-unquoted", source=reasons[0][0], why=reasons[0][1])


@rule("statement-quote-unsupported", local=True)
def statement_quote_in_evidence(ctx: Context) -> Iterator[Issue]:
    """A statement's quote is part of one of its evidence quotes."""
    for item in ctx.dataset.tables["statements"].values():
        rec = item.record
        if isinstance(rec, Statement) and not any(contains(ev.quote, rec.quote) for _, ev in evidence_of(rec)):
            yield item.at(("quote",), "statement-quote-unsupported")
