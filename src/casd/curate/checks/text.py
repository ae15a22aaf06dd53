"""Free text the curators write: safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from ..issues import Issue
from ..load import Loc
from . import Context, rule

#: Fields that hold the sources' own words (verbatim, never altered, never flagged).
VERBATIM = {"quote", "text", "prefix", "suffix", "value"}
#: First characters a spreadsheet takes for a formula.
FORMULA = ("=", "+", "-", "@")


def _strings(obj: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            if name not in VERBATIM:
                yield from _strings(getattr(obj, name), loc + (name,))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from _strings(item, loc + (i,))
    elif isinstance(obj, str):
        yield loc, obj


@rule("formula-like-text")
def no_formula_like_text(ctx: Context) -> Iterator[Issue]:
    """Curator-written text does not begin with a spreadsheet formula character (a warning)."""
    for item, rec in ctx.dataset.typed():
        for loc, text in _strings(rec, ()):
            if text.startswith(FORMULA):
                yield item.at(loc, "formula-like-text", field=".".join(str(p) for p in loc), char=text[0])
