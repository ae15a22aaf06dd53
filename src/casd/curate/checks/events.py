"""Events: aggregates are marked, so that counting events counts each occurrence once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ...model.records import Event
from ..issues import Issue
from . import Context, rule


@rule("aggregate-unmarked", "aggregate-without-parts")
def aggregates_are_marked(ctx: Context) -> Iterator[Issue]:
    """An event that others are ``part-of`` has ``aggregate: true``, and only such an event."""
    events = ctx.dataset.tables["events"]
    parts: dict[str, list[str]] = defaultdict(list)
    for item in events.values():
        if isinstance(item.record, Event):
            parts_of = [r.event_id for r in item.record.related if r.relation == "part-of"]
            for whole in parts_of:
                parts[whole].append(item.id)
    for item in events.values():
        rec = item.record
        if not isinstance(rec, Event):
            continue
        if parts.get(rec.id) and not rec.aggregate:
            yield item.at(("id",), "aggregate-unmarked", parts=", ".join(sorted(parts[rec.id])))
        elif rec.aggregate and not parts.get(rec.id):
            yield item.at(("aggregate",), "aggregate-without-parts")
