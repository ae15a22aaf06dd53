"""Rules across the fields of one record and across records.

:func:`validate` is the whole validation: read every record (:mod:`casd.records`),
then check ids, references, sources and their hashes, evidence anchoring, claims,
dates and figures. It returns every issue at once plus the resolved evidence
anchors, which the build turns into offsets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import edtf
from .errors import Issue, issue
from .evidence import AnchorError, SeedText, contains
from .models import EDTF_FIELDS, REFERENCES, TABLES, Evidence, Figure, Record, Source, Statement, Tombstone
from .paths import RELEASES, read_index
from .records import Dataset, Loaded, read_dataset, read_lists


@dataclass
class Report:
    """What validation found: the dataset, its issues and the evidence anchors ((table, id, loc) -> (start, end))."""

    dataset: Dataset
    issues: list[Issue] = field(default_factory=list)
    anchors: dict[tuple[str, str, tuple], tuple[int, int]] = field(default_factory=dict)
    seeds: dict[str, str] = field(default_factory=dict)  # source id -> seed text


def walk(obj: object, spec: str, loc: tuple = ()) -> Iterator[tuple[tuple, object]]:
    """Yield ``(loc, value)`` for a field path such as ``participants[].actor_id``."""
    head, _, rest = spec.partition(".")
    many = head.endswith("[]")
    name = head[:-2] if many else head
    value = getattr(obj, name, None)
    if value is None:
        return
    items = list(enumerate(value)) if many else [(None, value)]
    for index, item in items:
        here = loc + ((name, index) if many else (name,))
        if rest:
            yield from walk(item, rest, here)
        else:
            yield here, item


def evidence_of(record: Record) -> Iterator[tuple[tuple, Evidence]]:
    """Every evidence item of a record: its own, then each claim's, with their locations."""
    for i, ev in enumerate(record.evidence):
        yield ("evidence", i), ev
    for c, claim in enumerate(record.claims):
        for i, ev in enumerate(claim.evidence):
            yield ("claims", c, "evidence", i), ev


def _check_references(data: Dataset) -> list[Issue]:
    found = []
    for table, refs in REFERENCES.items():
        for item in data.tables[table].values():
            if item.record is None:
                continue
            for spec, target in refs:
                for loc, value in walk(item.record, spec):
                    if value not in data.tables[target]:
                        found.append(item.at(loc, "dangling-reference", table=target, id=value))
    # polymorphic reference: a figure's subject
    for item in data.tables["figures"].values():
        rec = item.record
        if isinstance(rec, Figure) and rec.subject_id not in data.tables[str(rec.subject_table)]:
            found.append(item.at(("subject_id",), "dangling-reference", table=str(rec.subject_table), id=rec.subject_id))
    return found


def _load_seeds(data: Dataset, report: Report) -> list[Issue]:
    found = []
    for item in data.tables["sources"].values():
        rec = item.record
        if not isinstance(rec, Source):
            continue
        path = data.root / rec.file
        try:
            raw = path.read_bytes()
        except OSError:
            found.append(item.at(("file",), "source-file-missing", file=rec.file))
            continue
        actual = hashlib.sha256(raw).hexdigest()
        if actual != rec.sha256:
            found.append(item.at(("sha256",), "source-hash-mismatch", file=rec.file, actual=actual, expected=rec.sha256))
        report.seeds[rec.id] = raw.decode("utf-8")
    return found


def _check_evidence(data: Dataset, report: Report) -> list[Issue]:
    found = []
    texts = {sid: SeedText(text) for sid, text in report.seeds.items()}
    for item in data.all():
        rec = item.record
        if rec is None:
            continue
        fields = type(rec).model_fields
        for loc, ev in evidence_of(rec):
            for f, name in enumerate(ev.fields):
                if name not in fields:
                    found.append(item.at(loc + ("fields", f), "invalid-value", reason=f"{name!r} is not a field of {item.table}"))
            if ev.source not in data.tables["sources"]:
                found.append(item.at(loc + ("source",), "dangling-reference", table="sources", id=ev.source))
                continue
            seed = texts.get(ev.source)
            if seed is None:  # the source record or its file failed; reported there
                continue
            try:
                a = seed.anchor(ev.quote, ev.prefix, ev.suffix, ev.occurrence)
            except AnchorError as e:
                short = ev.quote if len(ev.quote) <= 80 else ev.quote[:77] + "..."
                found.append(item.at(loc + ("quote",), e.code, source=ev.source, quote=short, **e.params))
                continue
            report.anchors[(item.table, item.id, loc)] = (a.start, a.end)
    return found


def _check_record_rules(item: Loaded) -> list[Issue]:
    rec = item.record
    found: list[Issue] = []
    fields = type(rec).model_fields
    # claims: real fields, one preferred per field, preferred value fills the field
    preferred: dict[str, int] = {}
    for c, claim in enumerate(rec.claims):
        if claim.field not in fields or claim.field in ("id", "claims", "evidence"):
            found.append(item.at(("claims", c, "field"), "invalid-value", reason=f"{claim.field!r} is not a field of {item.table}"))
            continue
        if claim.rank == "preferred":
            if claim.field in preferred:
                found.append(item.at(("claims", c, "rank"), "rule-violation", reason=f"two preferred claims for {claim.field!r} (also claim {preferred[claim.field] + 1})"))
            preferred[claim.field] = c
            current = getattr(rec, claim.field)
            if current is None or str(current) != claim.value:
                found.append(item.at(("claims", c, "value"), "rule-violation", reason=f"the preferred claim {claim.value!r} must fill {claim.field!r} (which is {current!r})"))
    # dates: an uncertain or year-less date says why
    for name in EDTF_FIELDS:
        value = getattr(rec, name, None)
        if value and ("?" in value or value.startswith("XXXX")) and not (getattr(rec, "date_note", None) or rec.notes):
            found.append(item.at((name,), "rule-violation", reason=f"{name} {value!r} is uncertain or has no year: give the reasoning in date_note"))
    # text that must stand in the evidence
    if isinstance(rec, Statement) and not any(contains(ev.quote, rec.quote) for _, ev in evidence_of(rec)):
        found.append(item.at(("quote",), "statement-quote-unsupported"))
    if isinstance(rec, Figure):
        if not any(contains(ev.quote, rec.text) for _, ev in evidence_of(rec)):
            found.append(item.at(("text",), "rule-violation", reason="the figure's text must appear in one of its evidence quotes"))
        if rec.qualifier == "range" and (rec.low is None or rec.high is None):
            found.append(item.at(("qualifier",), "rule-violation", reason="a range needs low and high"))
        if rec.low is not None and rec.high is not None and rec.low > rec.high:
            found.append(item.at(("low",), "rule-violation", reason=f"low {rec.low} is above high {rec.high}"))
        for bound, ok in (("low", lambda b: b <= rec.value), ("high", lambda b: b >= rec.value)):
            b = getattr(rec, bound)
            if b is not None and rec.value is not None and not ok(b):
                found.append(item.at((bound,), "rule-violation", reason=f"{bound} {b} is on the wrong side of value {rec.value}"))
    # memberships and operators: since before until
    for spec in ("memberships[]", "operators[]"):
        for loc, m in walk(rec, spec):
            if m.since and m.until:
                s, u = edtf.parse(m.since), edtf.parse(m.until)
                if s.start and u.end and s.start > u.end:
                    found.append(item.at(loc + ("until",), "rule-violation", reason="ends before it starts"))
    return found


def _check_figure_links(data: Dataset) -> list[Issue]:
    found = []
    figures = data.tables["figures"]
    for item in figures.values():
        rec = item.record
        if not isinstance(rec, Figure):
            continue
        for i, other_id in enumerate(rec.alternatives):
            other = figures.get(other_id)
            if other is None or other.record is None:
                continue  # dangling: reported with the references
            o = other.record
            if other_id == rec.id:
                found.append(item.at(("alternatives", i), "rule-violation", reason="a figure is not its own alternative"))
            elif (o.measure, o.subject_table, o.subject_id) != (rec.measure, rec.subject_table, rec.subject_id):
                found.append(item.at(("alternatives", i), "rule-violation", reason=f"alternative {other_id!r} is about another subject or measure"))
            elif rec.id not in o.alternatives:
                found.append(item.at(("alternatives", i), "rule-violation", reason=f"{other_id!r} does not list {rec.id!r} back"))
            elif rec.rank == o.rank == "preferred":
                found.append(item.at(("rank",), "rule-violation", reason=f"{rec.id!r} and {other_id!r} are both preferred"))
    return found


def _disjoint(a: str, b: str) -> bool:
    """Whether two EDTF values cannot share a single day (unknown bounds never conflict)."""
    x, y = edtf.parse(a), edtf.parse(b)
    return bool((x.start and y.end and x.start > y.end) or (y.start and x.end and y.start > x.end))


def _check_date_consistency(data: Dataset) -> list[Issue]:
    """A statement falls within its setting's dates; a part of an event within the whole."""
    found = []
    events = data.tables["events"]

    def date_of(event_id: str) -> str | None:
        item = events.get(event_id)
        return item.record.date if item is not None and item.record is not None else None

    for item in data.tables["statements"].values():
        rec = item.record
        if rec is not None and rec.date and rec.setting_id and (other := date_of(rec.setting_id)) and _disjoint(rec.date, other):
            found.append(item.at(("date",), "rule-violation", reason=f"date {rec.date!r} lies outside its setting {rec.setting_id!r} ({other!r})"))
    for item in events.values():
        rec = item.record
        if rec is None or not rec.date:
            continue
        for _, relation in walk(rec, "related[]"):
            if relation.relation == "part-of" and (other := date_of(relation.event_id)) and _disjoint(rec.date, other):
                found.append(item.at(("date",), "rule-violation", reason=f"date {rec.date!r} lies outside {relation.event_id!r} ({other!r}), which it is part of"))
    return found


def _check_self_references(data: Dataset) -> list[Issue]:
    found = []
    for item in data.tables["places"].values():
        if item.record is not None and item.record.parent_id == item.id:
            found.append(item.at(("parent_id",), "rule-violation", reason="a place is not its own parent"))
    for item in data.tables["events"].values():
        if item.record is None:
            continue
        for loc, value in walk(item.record, "related[].event_id"):
            if value == item.id:
                found.append(item.at(loc, "rule-violation", reason="an event is not related to itself"))
    return found


TOMBSTONES = Path("dataset/tombstones.yaml")


def _published_ids(project: Path) -> list[tuple[str, dict[str, set[str]]]]:
    """(version, table -> ids) for every published release, oldest first."""
    import pyarrow.parquet as pq

    out = []
    for entry in read_index(project):
        folder = Path(project) / RELEASES / entry["version"]
        out.append((entry["version"], {t: set(pq.read_table(folder / f"{t}.parquet", columns=["id"]).column("id").to_pylist()) for t in TABLES}))
    return out


def _check_ids_over_time(data: Dataset) -> list[Issue]:
    lists, found, _ = read_lists(data.root, TOMBSTONES, {"retired": Tombstone})
    retired = {(str(t.table), t.id): t for t in lists["retired"]}
    for (table, rid), t in sorted(retired.items()):
        if rid in data.tables[table]:
            found.append(data.tables[table][rid].at(("id",), "tombstoned-id", id=rid, reason=t.reason))
    history = _published_ids(data.root)
    if history:
        version, latest = history[-1]
        for table, ids in latest.items():
            for rid in sorted(ids - set(data.tables[table]) - {i for (tb, i) in retired if tb == table}):
                found.append(issue("missing-tombstone", TOMBSTONES.as_posix(), table=table, id=rid, version=version))
        for table in TABLES:
            for rid, item in data.tables[table].items():
                if any(rid in ids[table] for _, ids in history):
                    continue
                for version, ids in history:
                    moved = [t for t in TABLES if t != table and rid in ids[t] and rid not in data.tables[t]]
                    if moved:
                        found.append(item.at(("id",), "id-table-change", id=rid, old=moved[0], version=version))
                        break
    return found


def validate(project: Path) -> Report:
    """Validate the dataset of a project folder: every issue at once."""
    data, found = read_dataset(project)
    report = Report(data)
    found += _load_seeds(data, report)
    found += _check_references(data)
    found += _check_evidence(data, report)
    found += _check_figure_links(data)
    found += _check_self_references(data)
    found += _check_date_consistency(data)
    found += _check_ids_over_time(data)
    for item in data.all():
        if item.record is not None:
            found += _check_record_rules(item)
    report.issues = sorted(set(found))
    return report


def only(issues: list[Issue], paths: list[str], project: Path) -> list[Issue]:
    """Issues in the given files or folders (paths as typed by the user)."""
    wanted = []
    for p in paths:
        full = Path(p).resolve()
        try:
            wanted.append(full.relative_to(Path(project).resolve()).as_posix())
        except ValueError:
            wanted.append(Path(p).as_posix())
    return [i for i in issues if any(i.path == w or i.path.startswith(w.rstrip("/") + "/") for w in wanted)]

