"""References: every id a record names exists, and no record names itself."""

from __future__ import annotations

from collections.abc import Iterator

from ..issues import Issue
from ..suggest import Names
from . import Context, rule, walk


@rule("dangling-reference")
def references_exist(ctx: Context) -> Iterator[Issue]:
    """Every reference (a ``Ref`` field, or a polymorphic ``PolyRef`` pair) names an existing record."""
    data = ctx.dataset
    names: dict[str, Names] = {}  # per target table, built at its first dangling reference

    def hint(table: str, value: str) -> str:
        if table not in names:
            names[table] = Names(data.tables[table])
        return names[table].did_you_mean(value)

    for ref in ctx.layout.references:
        for item in data.tables[ref.table].values():
            if item.record is None:
                continue
            for loc, value in walk(item.record, ref.path):
                if value not in data.tables[ref.target]:
                    yield item.at(loc, "dangling-reference", table=ref.target, id=value, hint=hint(ref.target, value))
    for poly in ctx.layout.poly_references:
        for item in data.tables[poly.table].values():
            if item.record is None:
                continue
            target, value = str(getattr(item.record, poly.table_field)), getattr(item.record, poly.field)
            if value is not None and value not in data.tables[target]:
                yield item.at((poly.field,), "dangling-reference", table=target, id=value, hint=hint(target, value))


@rule("self-reference", local=True)
def no_self_reference(ctx: Context) -> Iterator[Issue]:
    """A record does not refer to itself (its own parent, related event or alternative)."""
    for ref in ctx.layout.references:
        if ref.target != ref.table or ref.shared:
            continue
        for item in ctx.dataset.tables[ref.table].values():
            if item.record is None:
                continue
            for loc, value in walk(item.record, ref.path):
                if value == item.id:
                    yield item.at(loc, "self-reference")
