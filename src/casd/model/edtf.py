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
        raise EDTFError(f"{text!r} is not an EDTF date (YYYY, YYYY-MM, YYYY-MM-DD, optional ? ~ %)")
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
    """Parse an EDTF string of the supported subset."""
    if not isinstance(text, str) or text != text.strip() or not text:
        raise EDTFError(f"{text!r} is not an EDTF string")
    if "/" not in text:
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


def check(text: str) -> str:
    """Pydantic validator: the text unchanged if it parses, else a ValueError."""
    parse(text)
    return text
