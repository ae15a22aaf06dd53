"""A seed text cut into segments at every evidence boundary and every sentence boundary.

Each segment knows which evidence spans cover it (overlapping spans are handled by cutting the text
at every span's start and end) and whether it lies in a sentence that no evidence cites. Offsets are
Unicode code points, as in the evidence table; the segments, joined, are the text exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..read.sentences import sentences


@dataclass(frozen=True)
class Span:
    """One evidence row on this source: ``key`` names it (``q-<table>-<id>-<ordinal>``)."""

    key: str
    start: int
    end: int


@dataclass
class Segment:
    start: int
    end: int
    text: str
    keys: list[str]
    uncited: bool
    anchors: list[str] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return min(len(self.keys), 3)


def segment(text: str, spans: list[Span]) -> list[Segment]:
    """The text cut at every span boundary and sentence boundary, each piece with its covering spans."""
    units = sentences(text)
    cuts = {0, len(text)}
    for s in spans:
        if not 0 <= s.start <= s.end <= len(text):
            raise ValueError(f"span {s.key} ({s.start}:{s.end}) lies outside the text ({len(text)} characters)")
        cuts.update((s.start, s.end))
    cited_units = []
    for us, ue in units:
        cuts.update((us, ue))
        cited_units.append(any(s.start < ue and s.end > us for s in spans))
    order = sorted(spans, key=lambda s: (s.start, -s.end, s.key))
    starts: dict[int, list[str]] = {}
    for s in order:
        starts.setdefault(s.start, []).append(s.key)
    bounds = sorted(cuts)
    out: list[Segment] = []
    u = 0
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a == b:
            continue
        while u < len(units) and units[u][1] <= a:
            u += 1
        in_unit = u < len(units) and units[u][0] <= a and b <= units[u][1]
        keys = [s.key for s in order if s.start <= a and b <= s.end]
        out.append(Segment(a, b, text[a:b], keys, in_unit and not cited_units[u] and not keys, starts.pop(a, [])))
    for pos, keys in sorted(starts.items()):  # empty spans (none in practice): anchor them where they are
        target = next((seg for seg in out if seg.start >= pos), None)
        if target is not None:
            target.anchors += keys
    return _merge(out)


def _merge(segments: list[Segment]) -> list[Segment]:
    """Join neighbours that look the same (same spans, same marking, no anchor between them)."""
    out: list[Segment] = []
    for seg in segments:
        prev = out[-1] if out else None
        if prev is not None and prev.keys == seg.keys and prev.uncited == seg.uncited and not seg.anchors:
            out[-1] = Segment(prev.start, seg.end, prev.text + seg.text, prev.keys, prev.uncited, prev.anchors)
        else:
            out.append(seg)
    return out


def coverage(segments: list[Segment]) -> tuple[int, int]:
    """(cited characters, all characters), white space left out of both."""

    def visible(text: str) -> int:
        return sum(1 for ch in text if not ch.isspace())

    return sum(visible(s.text) for s in segments if s.keys), sum(visible(s.text) for s in segments)
