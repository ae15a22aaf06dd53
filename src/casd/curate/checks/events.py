"""Events: aggregates are marked, so that counting events counts each occurrence once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ...model.records import Event
from ..issues import Issue
from . import Context, fact, facts, rule


@fact("events")
def part_of(rec: Event) -> tuple[str, ...]:
    """The ids of the events an event is ``part-of``."""
    return tuple(r.event_id for r in rec.related if r.relation == "part-of")


@rule("aggregate-unmarked", "aggregate-without-parts", reads={"events": ("aggregate", "part_of")}, near=True)
def aggregates_are_marked(ctx: Context) -> Iterator[Issue]:
    """An event that others are ``part-of`` has ``aggregate: true``, and only such an event."""
    events = ctx.dataset.tables["events"]
    parts: dict[str, list[str]] = defaultdict(list)
    for item in events.values():
        if (rec := facts(item)) is not None:
            for whole in rec.part_of:
                parts[whole].append(item.id)
    for item in events.values():
        if (rec := facts(item)) is None:
            continue
        if parts.get(rec.id) and not rec.aggregate:
            yield item.at(("id",), "aggregate-unmarked", parts=", ".join(sorted(parts[rec.id])))
        elif rec.aggregate and not parts.get(rec.id):
            yield item.at(("aggregate",), "aggregate-without-parts")
