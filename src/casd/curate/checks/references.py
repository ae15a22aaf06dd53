"""References: every id a record names exists, and no record names itself."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.relational import Layout
from ..issues import Issue
from ..load import Loc, RecordFile
from ..suggest import Names
from . import Context, rule, walk


def references_of(item: RecordFile, layout: Layout) -> tuple[tuple[Loc, str, str], ...]:
    """``(location, target table, id)`` of every reference a typed record makes: each ``Ref`` field,
    and each polymorphic ``PolyRef`` pair. Worked out once per record: the validation cache keeps it
    with the record, so a run after an edit reads it instead of walking every record again."""
    if item.refs is None:
        found: list[tuple[Loc, str, str]] = []
        for ref in layout.references:
            if ref.table == item.table:
                found += ((loc, ref.target, value) for loc, value in walk(item.record, ref.path))
        for poly in layout.poly_references:
            if poly.table == item.table:
                target, value = str(getattr(item.record, poly.table_field)), getattr(item.record, poly.field)
                if value is not None:
                    found.append(((poly.field,), target, value))
        item.refs = tuple(found)
    return item.refs


@rule("dangling-reference")
def references_exist(ctx: Context) -> Iterator[Issue]:
    """Every reference (a ``Ref`` field, or a polymorphic ``PolyRef`` pair) names an existing record."""
    data = ctx.dataset
    names: dict[str, Names] = {}  # per target table, built at its first dangling reference

    def hint(table: str, value: str) -> str:
        if table not in names:
            names[table] = Names(data.tables[table])
        return names[table].did_you_mean(value)

    for item in data.all():
        if item.record is None:
            continue
        for loc, target, value in references_of(item, ctx.layout):
            if value not in data.tables.get(target, ()):
                yield item.at(loc, "dangling-reference", table=target, id=value, hint=hint(target, value))


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
