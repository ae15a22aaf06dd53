"""Suggestions for error messages: the closest names, values and passages, so that every error
tells the curator what to type instead."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from ..model.relational import hints
from ..model.types import bare, list_item
from .evidence import SeedText, normalise


def closest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The closest few candidates (by spelling), best first."""
    pool = sorted(set(candidates))
    found = difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    if not found:  # a prefix or substring match (e.g. "kyrgyz" for "kyrgyzstan")
        found = [c for c in pool if word and (c.startswith(word) or word in c)][:n]
    return found


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x' or 'y'?)`` or ``""``."""
    found = closest(word, candidates)
    if not found:
        return ""
    return " (did you mean " + " or ".join(repr(f) for f in found) + "?)"


def model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model of the mapping at a location inside a record (``("participants", 0)`` -> Participant)."""
    current: Any = model
    for step in loc:
        if isinstance(step, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or step not in current.model_fields:
            return None
        ann = hints(current)[step]
        item = list_item(ann)
        current = bare(item)[0] if item is not None else bare(ann)[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def passage(seed: SeedText, quote: str) -> str:
    """The passage of a seed closest to a quote, with the first difference marked."""
    needle = normalise(quote)
    hay = seed.norm
    matcher = difflib.SequenceMatcher(None, hay, needle, autojunk=False)
    m = matcher.find_longest_match(0, len(hay), 0, len(needle))
    if m.size < min(8, len(needle)):
        return ""
    start = max(0, m.a - m.b)
    window = hay[start : start + len(needle)]
    diff = next((i for i, (x, y) in enumerate(zip(window, needle, strict=False)) if x != y), min(len(window), len(needle)))
    shown = window if len(window) <= 120 else window[:117] + "..."
    if diff >= len(needle) and len(window) == len(needle):
        return ""
    seed_char = window[diff : diff + 1] or "(end)"
    quote_char = needle[diff : diff + 1] or "(end)"
    return f"; closest passage: {shown!r}, first difference at character {diff + 1}: the seed has {seed_char!r}, the quote {quote_char!r}"
