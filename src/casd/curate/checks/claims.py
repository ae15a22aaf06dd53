"""Claims: each is about a real single field (of the record, or of one item of a list), typed like
that field; the preferred one fills it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ...model.records import Claim, Record
from ...model.relational import hints
from ...model.types import ABSENT, Ref, Shared, bare, list_item, marker
from ..issues import Issue
from ..load import RecordFile
from . import Context, rule

_NOT_CLAIMABLE = {"id"}


@dataclass(frozen=True)
class _Field:
    adapter: TypeAdapter[Any]
    optional: bool


@cache
def _field(model: type[BaseModel], name: str) -> _Field | None:
    """The type of a claimable single-valued field, or None."""
    ann = hints(model).get(name)
    if ann is None or name in _NOT_CLAIMABLE or marker(ann, Shared) or list_item(ann) is not None:
        return None
    if isinstance(bare(ann)[0], type) and issubclass(bare(ann)[0], BaseModel):
        return None  # a nested record: claim its fields one by one
    return _Field(TypeAdapter(ann), bare(ann)[1] or not model.model_fields[name].is_required())


def item_key(model: type[BaseModel]) -> str | None:
    """The field that picks an item out of its list: its first reference (e.g. organisation_id)."""
    return next((n for n, ann in hints(model).items() if marker(ann, Ref) is not None), None)


def _target(item: RecordFile, rec: Record, c: int, claim: Claim) -> tuple[Any, type[BaseModel], str] | Issue:
    """(object holding the field, its model, field name), or the issue that says why there is none."""
    model: type[BaseModel] = type(rec)
    if "." not in claim.field:
        if claim.item is not None:
            return item.at(("claims", c, "item"), "claim-item-unknown", item=claim.item, count=0, list=claim.field)
        return rec, model, claim.field
    list_name, sub = claim.field.split(".", 1)
    ann = hints(model).get(list_name)
    child = bare(list_item(ann))[0] if ann is not None and list_item(ann) is not None else None
    if child is None or not (isinstance(child, type) and issubclass(child, BaseModel)) or marker(ann, Shared):
        return item.at(("claims", c, "field"), "claim-field-unknown", name=claim.field, table=item.table)
    key = item_key(child)
    matches = [x for x in getattr(rec, list_name) if key is not None and getattr(x, key) == claim.item]
    if len(matches) != 1:
        return item.at(("claims", c, "item"), "claim-item-unknown", item=claim.item, count=len(matches), list=list_name)
    return matches[0], child, sub


@rule("claim-field-unknown", "claim-item-unknown", "claim-value-invalid", "claim-preferred-twice", "claim-preferred-mismatch", local=True)
def claims_fit_their_field(ctx: Context) -> Iterator[Issue]:
    """Claims name a single-valued field (``field`` or ``list.field`` with ``item``), hold a valid
    value of its type (``(absent)`` only for an optional field), and the preferred one fills it."""
    for item, rec in ctx.dataset.typed():
        preferred: dict[tuple[str, str | None], int] = {}
        for c, claim in enumerate(rec.claims):
            target = _target(item, rec, c, claim)
            if isinstance(target, Issue):
                yield target
                continue
            holder, model, name = target
            spec = _field(model, name)
            if spec is None:
                yield item.at(("claims", c, "field"), "claim-field-unknown", name=claim.field, table=item.table)
                continue
            if claim.value == ABSENT:
                if not spec.optional:
                    yield item.at(("claims", c, "value"), "claim-value-invalid", value=claim.value, field=claim.field, reason="(absent) is only for optional fields")
                    continue
                value = None
            else:
                try:
                    value = spec.adapter.validate_python(claim.value)
                except ValidationError as e:
                    reason = e.errors(include_url=False)[0]["msg"]
                    yield item.at(("claims", c, "value"), "claim-value-invalid", value=claim.value, field=claim.field, reason=reason)
                    continue
            if claim.rank != "preferred":
                continue
            key = (claim.field, claim.item)
            if key in preferred:
                yield item.at(("claims", c, "rank"), "claim-preferred-twice", field=claim.field, other=preferred[key] + 1)
            preferred[key] = c
            current = getattr(holder, name)
            if current != value:
                yield item.at(("claims", c, "value"), "claim-preferred-mismatch", value=claim.value, field=claim.field, current=current)
