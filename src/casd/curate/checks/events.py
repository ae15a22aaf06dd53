"""Events: aggregates are marked, so that counting events counts each occurrence once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..issues import Issue
from . import Context, facts, rule


@rule("aggregate-unmarked", "aggregate-without-parts", reads={"events": ("aggregate", "related")})
def aggregates_are_marked(ctx: Context) -> Iterator[Issue]:
    """An event that others are ``part-of`` has ``aggregate: true``, and only such an event."""
    events = ctx.dataset.tables["events"]
    parts: dict[str, list[str]] = defaultdict(list)
    for item in events.values():
        if (rec := facts(item)) is not None:
            for whole in (r.event_id for r in rec.related if r.relation == "part-of"):
                parts[whole].append(item.id)
    for item in events.values():
        if (rec := facts(item)) is None:
            continue
        if parts.get(rec.id) and not rec.aggregate:
            yield item.at(("id",), "aggregate-unmarked", parts=", ".join(sorted(parts[rec.id])))
        elif rec.aggregate and not parts.get(rec.id):
            yield item.at(("aggregate",), "aggregate-without-parts")
