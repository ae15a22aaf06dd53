"""Attribution: what a source only attributes to someone is an allegation, not a fact."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..issues import Issue
from . import Context, Facts, facts, rule

#: words by which a source reports something as someone's claim rather than as fact
HEDGES = re.compile(r"\b(claims?|claimed|alleged(?:ly)?|reportedly|said to|believed to|accused)\b", re.IGNORECASE)


def _names(actor: Facts) -> list[str]:
    return [n for n in (actor.name, *actor.aliases) if len(n) > 2]


@rule("attribution-unhedged", "attribution-hedged-quote", reads={"actors": ("name", "aliases"), "events": ("participants", "evidence")})
def attributions_are_allegations(ctx: Context) -> Iterator[Issue]:
    """A participant whose role is attributed (``attributed_by_id``) has an ``alleged-*`` role; a
    participant named in a hedged evidence quote is flagged for review (a warning)."""
    actors = {item.id: rec for item in ctx.dataset.tables["actors"].values() if (rec := facts(item)) is not None}
    for item in ctx.dataset.tables["events"].values():
        rec = facts(item)
        if rec is None:
            continue
        quotes = [ev.quote for ev in rec.evidence if not ev.fields or "participants" in ev.fields]
        for j, p in enumerate(rec.participants):
            if p.role.startswith("alleged-"):
                continue
            if p.attributed_by_id is not None:
                yield item.at(("participants", j, "role"), "attribution-unhedged", actor=p.actor_id, role=str(p.role), why=f"attributed by {p.attributed_by_id}")
                continue
            actor = actors.get(p.actor_id)
            if actor is None:
                continue
            for quote in quotes:
                hedge = HEDGES.search(quote)
                if hedge and any(re.search(rf"\b{re.escape(n)}\b", quote) for n in _names(actor)):
                    yield item.at(("participants", j, "role"), "attribution-hedged-quote", actor=p.actor_id, role=str(p.role), word=hedge.group())
                    break
