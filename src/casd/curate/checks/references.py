"""References: every id a record names exists, and no record names itself."""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator, Mapping

from ...model.relational import Layout
from ..issues import Issue
from ..load import Loc, RecordFile
from ..suggest import Names
from . import Context, rule, walk


def references_of(item: RecordFile, layout: Layout) -> list[tuple[Loc, str, str]]:
    """``(location, target table, id)`` of every reference a typed record makes: each ``Ref`` field,
    and each polymorphic ``PolyRef`` pair."""
    found: list[tuple[Loc, str, str]] = []
    for ref in layout.references:
        if ref.table == item.table:
            found += ((loc, ref.target, value) for loc, value in walk(item.record, ref.path))
    for poly in layout.poly_references:
        if poly.table == item.table:
            target, value = str(getattr(item.record, poly.table_field)), getattr(item.record, poly.field)
            if value is not None:
                found.append(((poly.field,), target, value))
    return found


def targets(item: RecordFile, layout: Layout) -> tuple[str, ...]:
    """``(table, id, table, id, ...)`` of a record's references, worked out once per record: the
    validation cache keeps it with the record (one flat tuple, about 100 bytes a record), so a run
    after an edit reads it instead of walking every record again."""
    if item.refs is None:
        item.refs = tuple(x for _, target, value in references_of(item, layout) for x in (sys.intern(target), value))
    return item.refs


@rule("dangling-reference", refs=True)
def references_exist(ctx: Context) -> Iterator[Issue]:
    """Every reference (a ``Ref`` field, or a polymorphic ``PolyRef`` pair) names an existing record."""
    names: dict[str, Names] = {}  # per target table, built at its first dangling reference
    tables = ctx.dataset.tables
    for item in ctx.dataset.all():
        if item.stored is None:  # not typed (inlined: this loop runs over every record on every run)
            continue
        flat = item.refs if item.refs is not None else targets(item, ctx.layout)
        for i in range(0, len(flat), 2):
            if flat[i + 1] not in tables.get(flat[i], ()):
                break
        else:
            continue
        yield from dangling(item, tables, ctx.layout, names)


def dangling(item: RecordFile, tables: Mapping[str, Collection[str]], layout: Layout, names: dict[str, Names]) -> Iterator[Issue]:
    """The issues of :func:`references_exist` in one typed record, given each table's ids
    (``names``: the suggestions made so far, per table)."""
    for loc, target, value in references_of(item, layout):
        if value not in tables.get(target, ()):
            if target not in names:
                names[target] = Names(tables.get(target, ()))
            yield item.at(loc, "dangling-reference", table=target, id=value, hint=names[target].did_you_mean(value))


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
