"""Attribution: what a source only attributes to someone is an allegation, not a fact."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...model.records import Actor, Event
from ..issues import Issue
from . import Context, fact, facts, rule

#: words by which a source reports something as someone's claim rather than as fact
HEDGES = re.compile(r"\b(claims?|claimed|alleged(?:ly)?|reportedly|said to|believed to|accused)\b", re.IGNORECASE)


@fact("actors")
def names(actor: Actor) -> tuple[str, ...]:
    """The names of an actor long enough to look for in a quote."""
    return tuple(n for n in (actor.name, *actor.aliases) if len(n) > 2)


@fact("events")
def unalleged(event: Event) -> tuple[tuple[int, str, str, str | None], ...]:
    """``(index, actor id, role, attributed_by_id)`` of each participant whose role is not ``alleged-*``."""
    return tuple((j, p.actor_id, str(p.role), p.attributed_by_id) for j, p in enumerate(event.participants) if not p.role.startswith("alleged-"))


@fact("events")
def hedged_quotes(event: Event) -> tuple[tuple[str, str], ...]:
    """``(quote, hedging word)`` of each evidence quote for the participants that hedges."""
    quotes = (ev.quote for ev in event.evidence if not ev.fields or "participants" in ev.fields)
    return tuple((quote, hedge.group()) for quote in quotes if (hedge := HEDGES.search(quote)))


@rule("attribution-unhedged", "attribution-hedged-quote", reads={"actors": ("names",), "events": ("unalleged", "hedged_quotes")}, near=True)
def attributions_are_allegations(ctx: Context) -> Iterator[Issue]:
    """A participant whose role is attributed (``attributed_by_id``) has an ``alleged-*`` role; a
    participant named in a hedged evidence quote is flagged for review (a warning)."""
    actors = {item.id: rec.names for item in ctx.dataset.tables["actors"].values() if (rec := facts(item)) is not None}
    for item in ctx.dataset.tables["events"].values():
        rec = facts(item)
        if rec is None:
            continue
        for j, actor_id, role, attributed_by in rec.unalleged:
            if attributed_by is not None:
                yield item.at(("participants", j, "role"), "attribution-unhedged", actor=actor_id, role=role, why=f"attributed by {attributed_by}")
                continue
            names = actors.get(actor_id)
            if names is None:
                continue
            for quote, word in rec.hedged_quotes:
                if any(re.search(rf"\b{re.escape(n)}\b", quote) for n in names):
                    yield item.at(("participants", j, "role"), "attribution-hedged-quote", actor=actor_id, role=role, word=word)
                    break
