"""Claims: each is about a real single field, typed like that field; the preferred one fills it."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ...model.records import Record
from ...model.relational import hints
from ...model.types import Shared, list_item, marker
from ..issues import Issue
from . import Context, rule

_NOT_CLAIMABLE = {"id"}


@cache
def _adapter(model: type[Record], name: str) -> TypeAdapter[Any] | None:
    """A validator of the field's own type, or None when the field cannot be claimed."""
    ann = hints(model).get(name)
    if ann is None or name in _NOT_CLAIMABLE or marker(ann, Shared) or list_item(ann) is not None:
        return None
    return TypeAdapter(ann)


@rule("claim-field-unknown", "claim-value-invalid", "claim-preferred-twice", "claim-preferred-mismatch")
def claims_fit_their_field(ctx: Context) -> Iterator[Issue]:
    """Claims name a single-valued field, hold a valid value of its type, and the preferred one fills it."""
    for item, rec in ctx.dataset.typed():
        model = type(rec)
        preferred: dict[str, int] = {}
        for c, claim in enumerate(rec.claims):
            adapter = _adapter(model, claim.field)
            if adapter is None:
                yield item.at(("claims", c, "field"), "claim-field-unknown", name=claim.field, table=item.table)
                continue
            try:
                value = adapter.validate_python(claim.value)
            except ValidationError as e:
                reason = e.errors(include_url=False)[0]["msg"]
                yield item.at(("claims", c, "value"), "claim-value-invalid", value=claim.value, field=claim.field, reason=reason)
                continue
            if claim.rank != "preferred":
                continue
            if claim.field in preferred:
                yield item.at(("claims", c, "rank"), "claim-preferred-twice", field=claim.field, other=preferred[claim.field] + 1)
            preferred[claim.field] = c
            current = getattr(rec, claim.field)
            if current != value:
                yield item.at(("claims", c, "value"), "claim-preferred-mismatch", value=claim.value, field=claim.field, current=current)
