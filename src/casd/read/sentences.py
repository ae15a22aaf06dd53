"""Sentences of a seed text, as character spans: one rule for `casd coverage` and the report site,
so both count and mark the same sentences."""

from __future__ import annotations

import re

__all__ = ["sentences"]

_SENTENCE_END = re.compile(r"[.!?][\"”’)\]]*(?=\s+[\"“(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:\b(?:Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|St|No|vs)\.|\b(?:[A-Z]\.){2,})$")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: each non-empty line, split after ., ! or ? before a capital."""
    spans = []
    pos = 0
    for line in text.split("\n"):
        start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        cut = start
        for m in _SENTENCE_END.finditer(line):
            if _ABBREVIATION.search(line, 0, m.end()):
                continue  # "Nov. 19", "U.S. Air Force": not a sentence end
            spans.append((cut, start + m.end()))
            cut = start + m.end()
        spans.append((cut, start + len(line.rstrip())))
    return [(a + (len(text[a:b]) - len(text[a:b].lstrip())), b) for a, b in spans if text[a:b].strip()]
