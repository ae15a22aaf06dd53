"""Evidence: the fields an item supports exist; a statement's quote stands in its evidence."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.records import Statement
from ..anchors import evidence_of
from ..evidence import contains
from ..issues import Issue
from . import Context, rule


@rule("evidence-field-unknown")
def evidence_fields_exist(ctx: Context) -> Iterator[Issue]:
    """An evidence item's ``fields`` name fields of its record."""
    for item, rec in ctx.dataset.typed():
        fields = type(rec).model_fields
        for loc, ev in evidence_of(rec):
            for f, name in enumerate(ev.fields):
                if name not in fields:
                    yield item.at(loc + ("fields", f), "evidence-field-unknown", name=name, table=item.table)


@rule("statement-quote-unsupported")
def statement_quote_in_evidence(ctx: Context) -> Iterator[Issue]:
    """A statement's quote is part of one of its evidence quotes."""
    for item in ctx.dataset.tables["statements"].values():
        rec = item.record
        if isinstance(rec, Statement) and not any(contains(ev.quote, rec.quote) for _, ev in evidence_of(rec)):
            yield item.at(("quote",), "statement-quote-unsupported")
