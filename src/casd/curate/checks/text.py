"""Free text the curators write: safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from pydantic import BaseModel

from ...model.relational import hints
from ...model.types import DateMarker, bare, list_item, marker
from ...model.vocab import Vocabulary
from ..issues import Issue
from ..load import Loc
from . import Context, rule

#: Fields that hold the sources' own words (verbatim, never altered, never flagged).
VERBATIM = {"quote", "text", "prefix", "suffix", "value"}
#: First characters a spreadsheet takes for a formula.
FORMULA = ("=", "+", "-", "@")


@cache
def _text_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of a model that hold curator-written text or nested records (not vocabularies,
    numbers, dates, ids or the sources' own words)."""
    out = []
    for name, ann in hints(model).items():
        tp = bare(list_item(ann) if list_item(ann) is not None else ann)[0]
        if name in VERBATIM or marker(ann, DateMarker) or (isinstance(tp, type) and issubclass(tp, Vocabulary)):
            continue
        if tp is str or (isinstance(tp, type) and issubclass(tp, BaseModel)):
            out.append(name)
    return tuple(out)


def _strings(obj: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(obj, BaseModel):
        for name in _text_fields(type(obj)):
            value = getattr(obj, name)
            if value:
                yield from _strings(value, loc + (name,))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from _strings(item, loc + (i,))
    elif isinstance(obj, str):
        yield loc, obj


@rule("formula-like-text", local=True)
def no_formula_like_text(ctx: Context) -> Iterator[Issue]:
    """Curator-written text does not begin with a spreadsheet formula character (a warning)."""
    for item, rec in ctx.dataset.typed():
        for loc, text in _strings(rec, ()):
            if text.startswith(FORMULA):
                yield item.at(loc, "formula-like-text", field=".".join(str(p) for p in loc), char=text[0])
