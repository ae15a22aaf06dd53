"""Suggestions for error messages: the closest names, values and passages, so that every error
tells the curator what to type instead."""

from __future__ import annotations

import difflib
import heapq
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from ..model.relational import hints
from ..model.types import bare, list_item
from .evidence import SeedText, normalise

#: Pools at least this large are indexed (below it, difflib over the whole pool is fast enough).
INDEX_FROM = 1000


class Names:
    """A fixed pool of names to suggest from (the ids of a table, say), for many lookups.

    The suggestions are exactly difflib's (``get_close_matches`` with cutoff 0.6, then a prefix or
    substring match), but a large pool is indexed once: a table of each name's character counts,
    from which the upper bound difflib itself uses first (``quick_ratio``: twice the characters in
    common over the total length) is computed for every name at once with polars; only the names
    that can reach the cutoff go through difflib. Each word is looked up once.
    """

    def __init__(self, candidates: Iterable[str]):
        self.pool = sorted(set(candidates))
        self._counts: Any = None  # the polars frame of character counts, built on first use
        self._seen: dict[tuple[str, int], list[str]] = {}

    def closest(self, word: str, n: int = 3) -> list[str]:
        """The closest few names (by spelling), best first."""
        found = self._seen.get((word, n))
        if found is None:
            found = self._seen[(word, n)] = self._closest(word, n)
        return found

    def did_you_mean(self, word: str) -> str:
        """`` (did you mean 'x' or 'y'?)`` or ``""``."""
        found = self.closest(word)
        if not found:
            return ""
        return " (did you mean " + " or ".join(repr(f) for f in found) + "?)"

    def _closest(self, word: str, n: int) -> list[str]:
        found = self._best(word, n) if len(self.pool) >= INDEX_FROM else difflib.get_close_matches(word, self.pool, n=n, cutoff=CUTOFF)
        if not found and word:  # a prefix or substring match (e.g. "kyrgyz" for "kyrgyzstan")
            found = [c for c in self.pool if c.startswith(word) or word in c][:n]
        return found

    def _best(self, word: str, n: int) -> list[str]:
        """``difflib.get_close_matches(word, pool, n, CUTOFF)``, by branch and bound: the names are
        tried in decreasing order of their bound, and the search stops once ``n`` names score above
        the next bound (a name's score never exceeds its bound, so no name left untried could enter)."""
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        top: list[tuple[float, str]] = []  # a min-heap of the best n (score, name) so far
        for bound, name in self._bounds(word):
            if len(top) >= n and top[0][0] > bound:
                break
            matcher.set_seq1(name)
            score = matcher.ratio()
            if score >= CUTOFF:
                (heapq.heappush if len(top) < n else heapq.heappushpop)(top, (score, name))
        return [name for _, name in sorted(top, reverse=True)]

    def _bounds(self, word: str) -> list[tuple[float, str]]:
        """``(quick_ratio, name)`` of every name whose ``quick_ratio`` with ``word`` reaches the cutoff,
        highest first (difflib's own first filter: twice the characters in common over the total length)."""
        import polars as pl

        if self._counts is None:  # one row a name, in pool order: its length and its count of each character
            names = pl.Series("name", self.pool, dtype=pl.String)
            alphabet = sorted({c for name in self.pool for c in name})
            lengths = names.str.len_chars()
            count = pl.UInt8 if (lengths.max() or 0) <= 255 else pl.UInt32  # type: ignore[operator]  # an int
            self._counts = pl.DataFrame([lengths.alias("len")] + [names.str.count_matches(c, literal=True).cast(count).alias(f"c{ord(c)}") for c in alphabet])
            del names  # the pool's own strings are named by row (a million ids: about 0.1 GiB less)
        want = Counter(word)
        have = [pl.min_horizontal(pl.col(f"c{ord(c)}").cast(pl.UInt32), pl.lit(k, pl.UInt32)) for c, k in want.items() if f"c{ord(c)}" in self._counts.columns]
        common = pl.sum_horizontal(have) if have else pl.lit(0)
        bound = (2.0 * common / (pl.col("len") + len(word))).alias("bound")
        rows = self._counts.lazy().with_row_index("row").select(bound, "row").filter(pl.col("bound") >= CUTOFF).sort(["bound", "row"], descending=[True, False]).collect()
        return [(b, self.pool[i]) for b, i in rows.iter_rows()]


#: difflib's similarity a suggestion must reach (``get_close_matches``' default)
CUTOFF = 0.6


def closest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The closest few candidates (by spelling), best first."""
    return Names(candidates).closest(word, n)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x' or 'y'?)`` or ``""``."""
    return Names(candidates).did_you_mean(word)


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
