"""Quote anchoring: find an evidence quote in its seed text and return exact offsets.

Matching is done on a normalised copy of both texts, with a map back to the
original code points:

* every run of white space (spaces, tabs, line breaks, no-break spaces U+00A0 and
  other Unicode spaces) counts as one space;
* typographic quotes count as straight ones: ‘ ’ ‚ ′ as ``'`` and “ ” „ ″ as ``"``.

Nothing else is normalised (case, dashes and ellipses must match). Offsets are
Unicode code points, end exclusive (a W3C TextPositionSelector), and the exported
quote is always ``text[start:end]`` of the original seed.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

#: what white space normalising changes: a run of two or more white-space characters, or one that
#: is not a plain space (a lone space is left as it is, which makes the same text as replacing every
#: run, ``\s+``, with one space, several times faster)
_SPACE = re.compile(r"\s\s+|[^\S ]")
_RUN = re.compile(r"\s\s+")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
#: typographic quote -> straight quote
_QUOTES = {"‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"'}


def straighten(text: str) -> str:
    """Typographic quotes made straight (as ``str.translate`` would, which is 30 times slower on a
    seed: 1.8 s of the 3.3 s it took to normalise 3,000 seeds)."""
    for typographic, straight in _QUOTES.items():
        if typographic in text:
            text = text.replace(typographic, straight)
    return text


def normalise(text: str) -> str:
    """The normalised form used for matching (see module docstring)."""
    return _SPACE.sub(" ", straighten(text))


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int


class AnchorError(Exception):
    def __init__(self, code: str, **params: object):
        self.code = code
        self.params = params


class SeedText:
    """A seed's text, with its normalised copy and the map back to original offsets."""

    def __init__(self, text: str, sha256: str = ""):
        self.text = text
        self.sha256 = sha256
        """sha256 of the seed file's bytes (what cached anchors depend on)."""
        self._cache: dict[str, list[int]] = {}

    @cached_property
    def norm(self) -> str:
        """The normalised text (computed on first use: a run whose evidence is all cached needs none)."""
        translated = straighten(self.text)
        # The map between normalised and original positions, kept as the runs of white space that
        # normalising drops (all but the first character of each run): a few per paragraph, so a
        # seed costs little memory however long it is.
        self._starts: list[int] = []  # original position of each dropped block
        self._ends: list[int] = []  # original position just after it
        self._after: list[int] = []  # first normalised position whose original lies past the block
        self._shift: list[int] = []  # characters dropped up to and including each block
        dropped = 0
        for run in _RUN.finditer(translated):
            start, end = run.start() + 1, run.end()  # the first white-space character is kept
            self._starts.append(start)
            self._ends.append(end)
            self._after.append(start - dropped)
            dropped += end - start
            self._shift.append(dropped)
        return _SPACE.sub(" ", translated)

    def original(self, at: int) -> int:
        """The original position of normalised position ``at``."""
        self.norm  # noqa: B018 - builds the map
        k = bisect.bisect_right(self._after, at)
        return at + (self._shift[k - 1] if k else 0)

    def norm_position(self, original: int) -> int:
        """The first normalised position at or after an original offset."""
        self.norm  # noqa: B018 - builds the map
        k = bisect.bisect_right(self._ends, original)  # the blocks that end at or before it
        if k < len(self._ends) and original >= self._starts[k]:  # a dropped character: the next kept one
            return self._ends[k] - self._shift[k]
        return original - (self._shift[k - 1] if k else 0)

    def forget(self) -> None:
        """Drop the positions remembered by :meth:`occurrences` (a worker process forgets them after
        each batch: kept for a million quotes, they would grow with the dataset)."""
        self._cache.clear()

    def occurrences(self, needle: str) -> list[int]:
        """Positions in the normalised text where a normalised needle starts."""
        found = self._cache.get(needle)
        if found is None:
            found, at = [], self.norm.find(needle)
            while at != -1:
                found.append(at)
                at = self.norm.find(needle, at + 1)
            self._cache[needle] = found
        return found

    def span(self, at: int, length: int) -> Anchor:
        """The original-text span of ``length`` normalised characters from normalised position ``at``."""
        last = at + length - 1
        start = self.original(at)
        end = self.original(last) + 1
        if self.norm[last] == " ":  # a trailing space stands for a whole run of white space
            while end < len(self.text) and self.text[end].isspace():
                end += 1
        return Anchor(start, end)

    def anchor(self, quote: str, prefix: str | None = None, suffix: str | None = None, occurrence: int | None = None) -> Anchor:
        """Locate a quote; raises :class:`AnchorError` with an error code from :mod:`casd.curate.issues`."""
        needle = normalise(quote)
        hits = self.occurrences(needle)
        if prefix:
            p = normalise(prefix)
            hits = [h for h in hits if self.norm[:h].endswith(p) or self.norm[:h].rstrip().endswith(p.rstrip())]
        if suffix:
            s = normalise(suffix)
            hits = [h for h in hits if self.norm[h + len(needle):].startswith(s) or self.norm[h + len(needle):].lstrip().startswith(s.lstrip())]
        if not hits:
            raise AnchorError("quote-not-found", hint=self.hint(quote))
        if occurrence is not None:
            if occurrence > len(hits):
                raise AnchorError("quote-occurrence", occurrence=occurrence, count=len(hits), hint=self.where(hits))
            return self.whole(self.span(hits[occurrence - 1], len(needle)))
        if len(hits) > 1:
            raise AnchorError("quote-ambiguous", count=len(hits), hint=self.where(hits))
        return self.whole(self.span(hits[0], len(needle)))

    def where(self, hits: list[int]) -> str:
        """`` (on lines 3 and 7)``: where the occurrences of a quote stand in the seed."""
        lines = [self.text.count("\n", 0, self.original(h)) + 1 for h in hits]
        return " (on lines " + ", ".join(str(n) for n in lines[:-1]) + (" and " if len(lines) > 1 else "") + str(lines[-1]) + ")"

    def whole(self, a: Anchor) -> Anchor:
        """The anchor, if it does not cut a character (a base letter from its combining accents)."""
        if a.end < len(self.text) and unicodedata.combining(self.text[a.end]):
            raise AnchorError("quote-splits-character", char=f"U+{ord(self.text[a.end]):04X}")
        if unicodedata.combining(self.text[a.start]):
            raise AnchorError("quote-splits-character", char=f"U+{ord(self.text[a.start]):04X}")
        return a

    def hint(self, quote: str) -> str:
        """Why a quote may look right yet not match: Unicode normalisation or invisible characters."""
        nfc = unicodedata.normalize("NFC", normalise(quote))
        if nfc != normalise(quote) or unicodedata.normalize("NFC", self.norm) != self.norm:
            if nfc in unicodedata.normalize("NFC", self.norm):
                return " (it differs from the seed only in Unicode normalisation, NFC against NFD: copy it from the seed)"
        invisible = _INVISIBLE.findall(quote) + [c for c in _INVISIBLE.findall(self.norm)]
        if invisible and _INVISIBLE.sub("", normalise(quote)) in _INVISIBLE.sub("", self.norm):
            chars = ", ".join(sorted({f"U+{ord(c):04X}" for c in invisible}))
            return f" (it differs from the seed only by invisible characters: {chars})"
        return ""


def contains(outer: str, inner: str) -> bool:
    """Whether ``inner`` is part of ``outer`` under the matching normalisation."""
    return normalise(inner) in normalise(outer)
