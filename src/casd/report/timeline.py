"""Geometry of the time axes: the events timeline and the bases' operators, as numbers for the SVG.

The axis gives each year a width that grows with the square of the number of marks in it (every
year at least a minimum), so that the busy years of 2014 and 2015 are readable beside 1993; within a year time is
linear, and every year boundary is drawn. A date's precision is visible: a day is a point, a month
or a year a span, an interval a bar from its start to its end, an open or unknown bound an arrow to
the edge of the axis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .data import When

MONTHS = "JFMAMJJASOND"


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    major: bool


@dataclass(frozen=True)
class Axis:
    """A piecewise-linear time axis: ``x(d)`` for any date between ``first`` and ``last`` year."""

    x0: float
    width: float
    first: int
    last: int
    offsets: dict[int, float]
    widths: dict[int, float]

    def x(self, d: date) -> float:
        if d.year < self.first:
            return self.x0
        if d.year > self.last:
            return self.x0 + self.width
        days = 366 if _leap(d.year) else 365
        return self.x0 + self.offsets[d.year] + self.widths[d.year] * (d.timetuple().tm_yday - 1) / days

    def x_end(self, d: date) -> float:
        """Right edge of the day ``d`` (bounds are inclusive days)."""
        return self.x(d + timedelta(days=1)) if d < date.max else self.x0 + self.width

    def ticks(self) -> list[Tick]:
        out: list[Tick] = []
        last_label = -1e9
        for y in range(self.first, self.last + 1):
            x = self.x0 + self.offsets[y]
            show = x - last_label >= 34 and (self.widths[y] >= 30 or y % 5 == 0 or y in (self.first, self.last))
            out.append(Tick(x, str(y) if show else "", True))
            if show:
                last_label = x
            if self.widths[y] >= 120:
                for m in range(2, 13):
                    mx = self.x(date(y, m, 1))
                    out.append(Tick(mx, MONTHS[m - 1] if self.widths[y] >= 160 and mx - x >= 30 else "", False))
        out.append(Tick(self.x0 + self.width, "", True))
        return out


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def years_of(w: When) -> list[int]:
    return sorted({d.year for d in (w.start, w.end) if d is not None})


def make_axis(dates: Iterable[When], x0: float, width: float, minimum: float = 14.0, power: int = 2) -> Axis | None:
    """An axis over every year a placed date touches; ``None`` when no date can be placed.
    ``power``: how much busier years widen (0: every year alike)."""
    weight: dict[int, int] = {}
    for w in dates:
        for y in years_of(w):
            weight[y] = weight.get(y, 0) + 1
    if not weight:
        return None
    first, last = min(weight), max(weight)
    years = range(first, last + 1)
    n = len(years)
    base = min(minimum, width * 0.4 / n)
    share = {y: weight.get(y, 0) ** power for y in years}  # squared by default: the busiest years get most of the room
    total = sum(share.values())
    flex = width - base * n
    widths = {y: base + (flex * share[y] / total if total else flex / n) for y in years}
    offsets: dict[int, float] = {}
    acc = 0.0
    for y in years:
        offsets[y] = acc
        acc += widths[y]
    return Axis(x0, width, first, last, offsets, widths)


@dataclass(frozen=True)
class Mark:
    """How one date is drawn: a point (``cx``) or a bar (``x``..``x2``), with open sides."""

    shape: str  # "point" | "bar"
    x: float
    x2: float
    open_start: bool
    open_end: bool
    style: str  # CSS classes: precision, uncertain, approximate

    @property
    def cx(self) -> float:
        return (self.x + self.x2) / 2

    @property
    def w(self) -> float:
        return self.x2 - self.x


def mark(axis: Axis, w: When) -> Mark | None:
    if not w.placed:
        return None
    classes = [f"p-{w.precision or 'unknown'}"]
    classes += ["uncertain"] if w.uncertain else []
    classes += ["approximate"] if w.approximate else []
    style = " ".join(classes)
    if w.start is not None and w.end is not None and w.start == w.end:
        x = axis.x(w.start)
        return Mark("point", x, axis.x_end(w.start), False, False, style)
    x = axis.x(w.start) if w.start is not None else axis.x0
    x2 = axis.x_end(w.end) if w.end is not None else axis.x0 + axis.width
    if x2 - x < 3:  # a short span stays visible
        mid = (x + x2) / 2
        x, x2 = mid - 1.5, mid + 1.5
    return Mark("bar", x, x2, w.start is None, w.end is None, style)
