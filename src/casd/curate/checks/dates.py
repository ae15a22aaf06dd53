"""Dates: uncertain ones say why, periods run forward, parts fall within their whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...model import edtf
from ...model.vocab import DatePrecision
from ..issues import Issue
from ..load import Loc
from . import Context, facts, rule, walk

_YEARLESS = {DatePrecision.day_unknown_year, DatePrecision.month_unknown_year}


_NOTES = ("date_note", "note", "notes")


def _note(record: Any, owner_loc: Loc) -> tuple[Loc, Any]:
    """Where the reasoning for a date goes, and what it holds: the nearest ``date_note``, ``note``
    or ``notes`` field, from the object holding the date up to the record."""
    owners: list[tuple[Loc, Any]] = [((), record)]
    obj = record
    for i, step in enumerate(owner_loc):
        obj = obj[step] if isinstance(step, int) else getattr(obj, step)
        owners.append((owner_loc[: i + 1], obj))
    for loc, owner in reversed(owners):
        for name in _NOTES:
            if name in getattr(type(owner), "model_fields", {}):
                return loc + (name,), getattr(owner, name)
    return ("notes",), record.notes


def _rests_on_inference(record: Any, field: str) -> bool:
    return any(not use.fields or field in use.fields for use in record.inferences)


@rule("date-note-missing", local=True)
def uncertain_dates_say_why(ctx: Context) -> Iterator[Issue]:
    """An uncertain (``?`` or ``%``) or year-less (``XXXX``) date has its reasoning in a note, or
    cites the inference (table inferences) it rests on."""
    for table, path in ctx.layout.date_fields:
        for item in ctx.dataset.tables[table].values():
            if item.record is None:
                continue
            for loc, value in walk(item.record, path):
                parsed = edtf.parse(value)
                if not (parsed.uncertain or parsed.precision in _YEARLESS):
                    continue
                note_loc, note = _note(item.record, loc[:-1])
                if not note and not _rests_on_inference(item.record, str(loc[0])):
                    shown = ".".join(str(p) for p in loc)
                    yield item.at(loc, "date-note-missing", field=shown, value=value, note=".".join(str(p) for p in note_loc))


@rule("interval-reversed", local=True)
def periods_run_forward(ctx: Context) -> Iterator[Issue]:
    """A period's ``until`` is not before its ``since`` (memberships, operators)."""
    for table, path in ctx.layout.date_fields:
        if path[-1] != "since":
            continue
        for item in ctx.dataset.tables[table].values():
            if item.record is None:
                continue
            for loc, since in walk(item.record, path):
                owner: Any = item.record
                for step in loc[:-1]:
                    owner = owner[step] if isinstance(step, int) else getattr(owner, step)
                until = getattr(owner, "until", None)
                if until and _disjoint_order(since, until):
                    yield item.at(loc[:-1] + ("until",), "interval-reversed", since=since, until=until)


def _disjoint_order(since: str, until: str) -> bool:
    s, u = edtf.parse(since), edtf.parse(until)
    return bool(s.start and u.end and s.start > u.end)


def _disjoint(a: str, b: str) -> bool:
    """Whether two EDTF values cannot share a single day (unknown bounds never conflict)."""
    x, y = edtf.parse(a), edtf.parse(b)
    return bool((x.start and y.end and x.start > y.end) or (y.start and x.end and y.start > x.end))


@rule("date-outside-context", reads={"statements": ("date", "setting_id"), "events": ("date", "part_of")}, near=True)
def dates_agree_with_context(ctx: Context) -> Iterator[Issue]:
    """A statement falls within its setting's dates; a part of an event within the whole."""
    events = ctx.dataset.tables["events"]

    def date_of(event_id: str) -> str | None:
        item = events.get(event_id)
        rec = facts(item) if item is not None else None
        return rec.date if rec is not None else None

    for item in ctx.dataset.tables["statements"].values():
        rec = facts(item)
        if rec is not None and rec.date and rec.setting_id and (other := date_of(rec.setting_id)) and _disjoint(rec.date, other):
            yield item.at(("date",), "date-outside-context", value=rec.date, other=rec.setting_id, other_date=other, relation="its setting")
    for item in events.values():
        rec = facts(item)
        if rec is None or not rec.date:
            continue
        for whole in rec.part_of:
            if (other := date_of(whole)) and _disjoint(rec.date, other):
                yield item.at(("date",), "date-outside-context", value=rec.date, other=whole, other_date=other, relation="which it is part of")
