"""A small, strict parser for the subset of EDTF that casd uses.

Accepted (Library of Congress EDTF / ISO 8601-2):

* level 0: ``2015``, ``2015-07``, ``2015-07-16`` and intervals ``2014-10/2014-12``;
* level 1: a qualifier after a date, ``?`` (uncertain, e.g. inferred), ``~``
  (approximate, the text itself is vague) or ``%`` (both); unspecified trailing
  digits ``201X``, ``2015-XX``, ``2015-07-XX``; open (``..``) and unknown (empty)
  interval ends;
* level 2, one form: an unspecified year with a known month or day, ``XXXX-08-22``.

:func:`parse` returns the strict earliest and latest possible days (never the
"fuzzy" widening that ``~`` invites; ``None`` where an end is open or unknown, or
the year unspecified) and the precision. It raises :class:`EDTFError` with a
reason otherwise.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .vocab import DatePrecision as P

_DATE = re.compile(
    r"(?P<year>\d{4}|\d{3}X|\d{2}XX|XXXX)"
    r"(?:-(?P<month>\d{2}|XX)(?:-(?P<day>\d{2}|XX))?)?"
    r"(?P<qual>[?~%])?"
)


class EDTFError(ValueError):
    """Not a date of the supported EDTF subset."""


@dataclass(frozen=True)
class EDTF:
    """A parsed EDTF value."""

    text: str
    start: date | None
    end: date | None
    precision: P
    uncertain: bool
    approximate: bool


def _known(part: str | None) -> bool:
    return part is not None and part != "XX"


def _check_parts(text: str, year: str, month: str | None, day: str | None) -> None:
    """Raise EDTFError for impossible combinations of year, month and day."""
    if _known(day) and month == "XX":
        raise EDTFError(f"{text!r}: a known day needs a known month")
    if "X" in year and year != "XXXX" and (month or day):
        raise EDTFError(f"{text!r}: a partly unspecified year cannot carry a month or day")
    if month is not None and _known(month) and not 1 <= int(month) <= 12:
        raise EDTFError(f"{text!r}: month {month} is not 01-12")
    if day is not None and month is not None and _known(day):
        longest = 29 if year == "XXXX" and month == "02" else calendar.monthrange(2000 if "X" in year else int(year), int(month))[1]
        if not 1 <= int(day) <= longest:
            raise EDTFError(f"{text!r}: day {day} does not exist in that month")
    if year == "0000":
        raise EDTFError(f"{text!r}: year 0000 is outside Python's calendar")


def _single(text: str) -> EDTF:
    m = _DATE.fullmatch(text)
    if not m:
        meant = edtf_form(text)
        hint = f"; did you mean {meant}?" if meant else ""
        raise EDTFError(f"{text!r} is not an EDTF date (YYYY, YYYY-MM, YYYY-MM-DD, optional ? ~ %){hint}")
    year, month, day, qual = m["year"], m["month"], m["day"], m["qual"] or ""
    _check_parts(text, year, month, day)
    flags = (qual in ("?", "%"), qual in ("~", "%"))
    if year == "XXXX":
        if not _known(month):
            raise EDTFError(f"{text!r}: a fully unspecified date says nothing; leave the field out")
        return EDTF(text, None, None, P.day_unknown_year if _known(day) else P.month_unknown_year, *flags)
    if "X" in year:
        width = 10 ** year.count("X")
        lo = int(year.replace("X", "0"))
        return EDTF(text, date(max(lo, 1), 1, 1), date(lo + width - 1, 12, 31), P.decade if width == 10 else P.century, *flags)
    y = int(year)
    if month is None or not _known(month):  # 2015 or 2015-XX
        return EDTF(text, date(y, 1, 1), date(y, 12, 31), P.year, *flags)
    mo = int(month)
    if day is None or not _known(day):  # 2015-07 or 2015-07-XX
        return EDTF(text, date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]), P.month, *flags)
    d = date(y, mo, int(day))
    return EDTF(text, d, d, P.day, *flags)


def parse(text: str) -> EDTF:
    """Parse an EDTF string of the supported subset (the result is immutable, and shared)."""
    if not isinstance(text, str):
        raise EDTFError(f"{text!r} is not an EDTF string")
    return _parse(str(text))


@lru_cache(maxsize=1 << 16)  # a dataset has few distinct dates, and the rules across records parse them on every run
def _parse(text: str) -> EDTF:
    if text != text.strip() or not text:
        raise EDTFError(f"{text!r} is not an EDTF string")
    if "/" not in text or edtf_form(text) is not None and re.fullmatch(r"[\d./]+", text) and text.count("/") == 2:
        return _single(text)
    left, _, right = text.partition("/")
    if "/" in right:
        raise EDTFError(f"{text!r}: an interval has exactly one '/'")
    ends: list[EDTF | None] = []
    for part in (left, right):
        if part in ("", ".."):
            ends.append(None)
            continue
        single = _single(part)
        if single.start is None:
            raise EDTFError(f"{text!r}: an interval end needs a known year")
        ends.append(single)
    if ends[0] is None and ends[1] is None:
        raise EDTFError(f"{text!r}: an interval needs at least one known end")
    start = ends[0].start if ends[0] else None
    end = ends[1].end if ends[1] else None
    if start and end and start > end:
        raise EDTFError(f"{text!r}: the interval ends before it starts")
    uncertain = any(e.uncertain for e in ends if e)
    approximate = any(e.approximate for e in ends if e)
    return EDTF(text, start, end, P.interval, uncertain, approximate)


_MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"], start=1)}


def edtf_form(text: str) -> str | None:
    """The EDTF form a curator probably meant (``16/07/2015`` -> ``2015-07-16``), if any."""
    t = text.strip()
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", t)
    if m:
        a, b, y = int(m[1]), int(m[2]), m[3]
        if a > 12 >= b:
            return f"{y}-{b:02d}-{a:02d}"
        if b > 12 >= a:
            return f"{y}-{a:02d}-{b:02d}"
        if a <= 12 and b <= 12:
            return f"{y}-{b:02d}-{a:02d} (day/month) or {y}-{a:02d}-{b:02d} (month/day)"
    m = re.fullmatch(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})", t)
    if m:
        return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    m = re.fullmatch(r"(\d{4})-(\d)(?:-(\d{1,2}))?", t)
    if m:
        return f"{m[1]}-{int(m[2]):02d}" + (f"-{int(m[3]):02d}" if m[3] else "")
    m = re.fullmatch(r"(?:(\d{1,2})\s+)?([A-Za-z]+)\.?(?:\s+(\d{1,2}))?,?\s+(\d{4})", t)
    if m and m[2].lower()[:3] in {k[:3] for k in _MONTHS}:
        month = next(v for k, v in _MONTHS.items() if k.startswith(m[2].lower()[:3]))
        day = m[1] or m[3]
        return f"{m[4]}-{month:02d}" + (f"-{int(day):02d}" if day else "")
    if re.fullmatch(r"\d{4}\s*[-–]\s*\d{4}", t):
        first, last = re.split(r"\s*[-–]\s*", t)
        return f"{first}/{last}"
    return None


def check(text: str) -> str:
    """Pydantic validator: the text unchanged if it parses, else a ValueError."""
    parse(text)
    return text
