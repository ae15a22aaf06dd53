"""What each page shows, computed from the dataset: plain values for the templates (no HTML here
except through :class:`Linker`, which escapes everything it is given)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from . import annotate, timeline
from .data import Dataset, Row, Table, label, record_label, when

#: Date fields of each table, drawn as dates wherever they appear.
DATE_PREFIXES = ("date", "published", "republished", "established", "closed", "since", "until", "as_of")
#: Colours of event statuses (Okabe-Ito, readable for colour-blind readers).
STATUS_COLOURS = {"occurred": "#0072b2", "ongoing": "#009e73", "planned": "#b86e00", "foiled": "#d55e00", "alleged": "#cc79a7", "proposed": "#3a8fc2"}
#: Colours of actor kinds (the vocabulary's; a kind it does not know takes the next spare colour).
ACTOR_COLOURS = {
    "person": "#0072b2", "state": "#009e73", "government": "#b86e00", "government-body": "#d55e00", "armed-group": "#c2185b", "alliance": "#56b4e9",
    "media-outlet": "#6a3d9a", "research-organisation": "#8c564b", "political-movement": "#e69f00", "group": "#7f7f7f", "intergovernmental-body": "#1b7837",
}  # fmt: skip
SPARE_COLOURS = ["#17becf", "#bcbd22", "#393b79", "#843c39"]
#: Tables shown elsewhere than as generic references.
SPECIAL = {"evidence", "claims", "conflicts", "inference_uses", "tombstones"}


def evidence_key(ev: Row) -> str:
    return f"q-{ev['record_table']}-{ev['record_id']}-{ev['ordinal']}"


def record_href(table: str, rid: str) -> str:
    return f"records/{table}/{rid}.html"


def source_href(sid: str) -> str:
    return f"sources/{sid}.html"


class Linker:
    """Links from one page (``root`` leads back to the site's root): every text escaped."""

    def __init__(self, ds: Dataset, root: str):
        self.ds = ds
        self.root = root

    def href(self, path: str) -> str:
        return self.root + path

    def record(self, table: str | None, rid: str | None, text: str | None = None) -> Markup:
        if rid is None:
            return Markup('<span class="none">—</span>')
        if table is None or self.ds.record(table, rid) is None:
            return Markup('<span class="missing" title="not a record of this release">{}</span>').format(rid)
        return Markup('<a href="{}">{}</a>').format(self.href(record_href(table, rid)), text if text is not None else record_label(self.ds, table, rid))

    def source(self, sid: str, anchor: str = "", text: str | None = None) -> Markup:
        return Markup('<a href="{}">{}</a>').format(self.href(source_href(sid)) + (f"#{anchor}" if anchor else ""), text or record_label(self.ds, "sources", sid))

    def value(self, table: Table, row: Row, column: str) -> Markup:
        """One cell: foreign keys and polymorphic pairs as links, vocabulary values with their meaning."""
        v = row.get(column)
        if v is None:
            return Markup('<span class="none">—</span>')
        target = table.foreign_keys.get(column) or (row.get(table.polymorphic()[column]) if column in table.polymorphic() else None)
        if target is not None and target in self.ds.records:
            return self.record(str(target), str(v))
        f = table.field(column)
        if f is not None and f.categories and str(v) in f.categories:
            return Markup('<span class="term" title="{}">{}</span>').format(f.categories[str(v)], v)
        return plain(v)


def plain(v: Any) -> Markup:
    if v is None:
        return Markup('<span class="none">—</span>')
    if isinstance(v, bool):
        return Markup("yes" if v else "no")
    if isinstance(v, float):
        return escape(number(v))
    if isinstance(v, list):
        return Markup(", ").join(escape(x) for x in v) if v else Markup('<span class="none">(none)</span>')
    if isinstance(v, date):
        return escape(v.isoformat())
    return escape(v)


def number(v: float | int | None) -> str:
    if v is None:
        return ""
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.3f}".rstrip("0").rstrip(".")


# --- evidence in context -----------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    key: str
    source_id: str
    before: str
    quote: str
    after: str
    start: int
    end: int
    fields: list[str]
    note: str | None
    claim: int | None


def in_context(ds: Dataset, ev: Row, window: int = 180) -> Quote:
    """The quote with up to ``window`` characters of its source on either side, cut at a word."""
    text = ds.texts[ev["source_id"]]
    a, b = ev["char_start"], ev["char_end"]
    lo, hi = max(0, a - window), min(len(text), b + window)
    if lo > 0:
        cut = text.find(" ", lo, a)
        lo = cut + 1 if cut != -1 else lo
    if hi < len(text):
        cut = text.rfind(" ", b, hi)
        hi = cut if cut != -1 else hi
    before = ("…" if lo > 0 else "") + text[lo:a]
    after = text[b:hi] + ("…" if hi < len(text) else "")
    return Quote(evidence_key(ev), ev["source_id"], before, text[a:b], after, a, b, list(ev.get("fields") or []), ev.get("note"), ev.get("claim_ordinal"))


# --- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigBar:
    """A figure on a scale shared with the figures it is compared with (0..``width`` pixels)."""

    lo: float | None
    hi: float | None
    val: float | None
    open_right: bool
    open_left: bool


def figure_bars(figs: list[Row], width: float = 220.0) -> dict[str, FigBar]:
    top = max((abs(f[c]) for f in figs for c in ("value", "low", "high") if f.get(c) is not None), default=0.0)
    if not top:
        top = 1.0
    scale = (width - 16) / (top * 1.08)
    out = {}
    for f in figs:
        val, low, high = f.get("value"), f.get("low"), f.get("high")
        q = f.get("qualifier")
        lo = low if low is not None else (0.0 if q == "up-to" else None)
        hi = high
        open_right = q in ("at-least", "over") and high is None
        if open_right and lo is None:
            lo = val
        if q == "up-to" and hi is None:
            hi = val
        out[f["id"]] = FigBar(
            8 + lo * scale if lo is not None else None,
            8 + hi * scale if hi is not None else None,
            8 + val * scale if val is not None else None,
            open_right,
            q == "up-to",
        )
    return out


def alternatives(ds: Dataset) -> dict[str, list[str]]:
    """figure -> the figures it is linked with as disagreeing alternatives (both directions)."""
    out: dict[str, set[str]] = defaultdict(set)
    for a in ds.rows("figure_alternatives"):
        out[a["figure_id"]].add(a["alternative_id"])
        out[a["alternative_id"]].add(a["figure_id"])
    return {k: sorted(v) for k, v in sorted(out.items())}


@dataclass
class FigureGroup:
    subject_table: str
    subject_id: str
    measure: str
    figures: list[Row]
    bars: dict[str, FigBar]
    conflicting: bool


def figure_groups(ds: Dataset, figs: list[Row] | None = None) -> list[FigureGroup]:
    """Figures by subject and measure, each group on one scale; a group is conflicting when any of
    its figures is linked to another as an alternative."""
    alts = alternatives(ds)
    groups: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for f in ds.rows("figures") if figs is None else figs:
        groups[(f["subject_table"], f["subject_id"], f["measure"])].append(f)
    out = []
    for (st, sid, measure), rows in sorted(groups.items()):
        rows.sort(key=lambda f: ({"preferred": 0, "normal": 1, "deprecated": 2}.get(f.get("rank") or "", 3), f["id"]))
        out.append(FigureGroup(st, sid, measure, rows, figure_bars(rows), any(f["id"] in alts for f in rows)))
    return out


# --- the timeline --------------------------------------------------------------------------------

LABEL_W = 300.0
PLOT_X0 = 312.0
PLOT_W = 660.0
ROW_H = 20.0
TOP = 30.0


@dataclass
class TimelineRow:
    id: str
    title: str
    short: str
    kind: str
    status: str
    colour: str
    actors: str
    aggregate: bool
    part: bool
    mark: timeline.Mark
    date: str
    y: float


@dataclass
class Timeline:
    rows: list[TimelineRow]
    undated: list[dict[str, Any]]
    ticks: list[timeline.Tick]
    width: float
    height: float
    has_aggregate: bool
    kinds: list[tuple[str, int, str]]
    actors: list[tuple[str, str]]
    statuses: list[tuple[str, str]]
    first: int
    last: int
    label_w: float = LABEL_W
    x0: float = PLOT_X0
    plot_w: float = PLOT_W
    row_h: float = ROW_H
    top: float = TOP


_NARROW = set("ijlI.,:;'|!()[] ’‘")
_WIDE = set("mwMW@%")


def text_width(text: str, size: float = 12.0, bold: bool = False) -> float:
    """A rough width of ``text`` in a sans-serif font (enough to keep labels inside their column)."""
    em = sum(0.28 if ch in _NARROW else 0.86 if ch in _WIDE else 0.66 if ch.isupper() or ch.isdigit() else 0.53 for ch in text)
    return em * size * (1.07 if bold else 1.0) * 1.15  # on the wide side (DejaVu Sans), so that a label never overflows


def fit(text: str, width: float, size: float = 12.0, bold: bool = False) -> str:
    """``text``, shortened with an ellipsis until it fits ``width`` pixels."""
    text = " ".join(text.split())
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def event_actors(ds: Dataset) -> dict[str, list[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for p in ds.rows("event_participants"):
        out[p["event_id"]].add(p["actor_id"])
    return {k: sorted(v) for k, v in out.items()}


def build_timeline(ds: Dataset) -> Timeline:
    events = ds.rows("events")
    has_aggregate = ds.table("events").has("aggregate")
    parts = {r["event_id"] for r in ds.rows("event_relations") if r["relation"] == "part-of"}
    actors_of = event_actors(ds)
    placed = [e for e in events if when(e).placed]
    axis = timeline.make_axis([when(e) for e in placed], PLOT_X0, PLOT_W)
    rows: list[TimelineRow] = []
    if axis is not None:

        def order(e: Row) -> tuple[Any, ...]:
            w = when(e)
            first = w.start or w.end
            return (first, not (has_aggregate and bool(e.get("aggregate"))), e["id"])

        for i, e in enumerate(sorted(placed, key=order)):
            m = timeline.mark(axis, when(e))
            assert m is not None
            status = str(e.get("status") or "")
            rows.append(
                TimelineRow(
                    e["id"], str(e["title"]), fit(str(e["title"]), LABEL_W - 6, bold=has_aggregate and bool(e.get("aggregate"))), str(e["kind"]), status, STATUS_COLOURS.get(status, "#555555"),
                    " ".join(actors_of.get(e["id"], [])), has_aggregate and bool(e.get("aggregate")), e["id"] in parts, m, when(e).describe(), TOP + i * ROW_H,
                )
            )  # fmt: skip
    undated = [
        {"id": e["id"], "title": e["title"], "kind": e["kind"], "status": e.get("status"), "date": when(e).describe(), "actors": " ".join(actors_of.get(e["id"], [])),
         "aggregate": has_aggregate and bool(e.get("aggregate"))}
        for e in sorted((e for e in events if not when(e).placed), key=lambda e: (str(e["title"]).casefold(), e["id"]))
    ]  # fmt: skip
    kind_field = ds.table("events").field("kind")
    counts: dict[str, int] = defaultdict(int)
    for e in events:
        counts[str(e["kind"])] += 1
    kinds = [(k, n, kind_field.categories.get(k, "") if kind_field else "") for k, n in sorted(counts.items())]
    in_events = sorted({a for v in actors_of.values() for a in v if a in ds.records.get("actors", {})}, key=lambda a: (record_label(ds, "actors", a).casefold(), a))
    statuses = sorted({(str(e.get("status")), STATUS_COLOURS.get(str(e.get("status")), "#555555")) for e in events})
    height = TOP + max(len(rows), 1) * ROW_H + 26
    return Timeline(
        rows, undated, axis.ticks() if axis else [], PLOT_X0 + PLOT_W + 18, height, has_aggregate, kinds,
        [(a, record_label(ds, "actors", a)) for a in in_events], statuses, axis.first if axis else 0, axis.last if axis else 0,
    )  # fmt: skip


# --- bases ----------------------------------------------------------------------------------------


@dataclass
class BaseLane:
    base: Row
    life: timeline.Mark | None
    operators: list[tuple[Row, timeline.Mark | None, float]]
    y: float


@dataclass
class BasesChart:
    lanes: list[BaseLane]
    ticks: list[timeline.Tick]
    width: float
    height: float
    x0: float = 200.0
    plot_w: float = 600.0


def build_bases(ds: Dataset) -> BasesChart:
    bases = ds.rows("bases")
    ops = defaultdict(list)
    for o in ds.rows("base_operators"):
        ops[o["base_id"]].append(o)
    dates = [when(b, p) for b in bases for p in ("established", "closed")]
    dates += [when(o, p) for o in ds.rows("base_operators") for p in ("since", "until")]
    axis = timeline.make_axis(dates, 200.0, 600.0, power=0)
    lanes = []
    y = 34.0
    for b in bases:
        life = None
        if axis is not None:
            life = _span(axis, when(b, "established"), when(b, "closed"), open_end=b.get("status") == "active")
        rows = []
        for o in ops.get(b["id"], []):
            y += 24
            m = _span(axis, when(o, "since"), when(o, "until"), open_end=True) if axis is not None else None
            rows.append((o, m, y))
        lanes.append(BaseLane(b, life, rows, y - 24 * len(rows)))
        y += 40
    return BasesChart(lanes, axis.ticks() if axis else [], 820.0, y + 4)


def _span(axis: timeline.Axis, since: Any, until: Any, open_end: bool) -> timeline.Mark | None:
    """A period from a start date to an end date (either may be missing: an arrow to the edge)."""
    if not since.placed and not until.placed:
        return None
    x = axis.x(since.start) if since.start is not None else (axis.x(since.end) if since.end is not None else axis.x0)
    if until.end is not None:
        x2 = axis.x_end(until.end)
    elif until.start is not None:
        x2 = axis.x_end(until.start)
    else:
        x2 = axis.x0 + axis.width
    style = " ".join(c for c, on in (("uncertain", since.uncertain or until.uncertain), ("approximate", since.approximate or until.approximate)) if on)
    return timeline.Mark("bar", x, max(x2, x + 3), not since.placed, not until.placed and open_end, style)


# --- actors ------------------------------------------------------------------------------------------


@dataclass
class ActorInfo:
    row: Row
    memberships: list[Row]
    members: list[Row]
    events: list[tuple[str, str]]
    statements: list[tuple[str, str]]
    figures: list[tuple[str, str]]


def actor_infos(ds: Dataset) -> list[tuple[str, str, list[ActorInfo]]]:
    """Actors by kind (the vocabulary's order), each with its roles and what involves it."""
    mem, members = defaultdict(list), defaultdict(list)
    for m in ds.rows("memberships"):
        mem[m["actor_id"]].append(m)
        members[m["organisation_id"]].append(m)
    evs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for p in ds.rows("event_participants"):
        evs[p["actor_id"]].append((p["event_id"], str(p["role"])))
        if p.get("attributed_by_id"):
            evs[p["attributed_by_id"]].append((p["event_id"], f"attributes {p['role']}"))
    sts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for s in ds.rows("statements"):
        sts[s["speaker_id"]].append((s["id"], "speaker"))
        if s.get("reported_by_id"):
            sts[s["reported_by_id"]].append((s["id"], "reported by"))
    figs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for f in ds.rows("figures"):
        if f.get("claimed_by_id"):
            figs[f["claimed_by_id"]].append((f["id"], "claimed by"))
        if f["subject_table"] == "actors":
            figs[f["subject_id"]].append((f["id"], "about"))
    kind_field = ds.table("actors").field("kind")
    order = list(kind_field.categories) if kind_field else []
    by_kind: dict[str, list[ActorInfo]] = defaultdict(list)
    for a in ds.rows("actors"):
        i = a["id"]
        by_kind[str(a["kind"])].append(ActorInfo(a, mem.get(i, []), members.get(i, []), sorted(set(evs.get(i, []))), sorted(set(sts.get(i, []))), sorted(set(figs.get(i, [])))))
    out = []
    for kind in sorted(by_kind, key=lambda k: (order.index(k) if k in order else len(order), k)):
        actors = sorted(by_kind[kind], key=lambda x: (str(x.row["name"]).casefold(), x.row["id"]))
        out.append((kind, kind_field.categories.get(kind, "") if kind_field else "", actors))
    return out


def kind_colours(kinds: list[str]) -> dict[str, str]:
    unknown = sorted(set(kinds) - set(ACTOR_COLOURS))
    return {**ACTOR_COLOURS, **{k: SPARE_COLOURS[i % len(SPARE_COLOURS)] for i, k in enumerate(unknown)}}


# --- record pages ------------------------------------------------------------------------------------


@dataclass
class RefGroup:
    """Rows of one table that point at the record through one column."""

    title: str
    table: Table
    columns: list[str]
    rows: list[Row]
    parent: str | None  # the column naming each row's own record, linked first


@dataclass
class RecordPage:
    table: Table
    row: Row
    title: str
    children: list[RefGroup]
    references: list[RefGroup]
    claims: list[tuple[Row, list[Quote]]]
    conflicts: list[tuple[str, list[Row]]]
    figures: list[FigureGroup]
    alternatives: list[Row]
    inferences: list[Row]
    dependents: list[Row]
    evidence: list[Quote]
    extra: dict[str, Any] = field(default_factory=dict)


DERIVED = ("_start", "_end", "_precision", "_uncertain", "_approximate")


def shown_columns(t: Table, leave_out: tuple[str | None, ...] = ()) -> list[str]:
    """A table's columns for a compact listing: a date's derived columns go with the date itself."""
    cols = t.columns
    derived = {c for c in cols for suffix in DERIVED if c.endswith(suffix) and c[: -len(suffix)] in cols}
    return [c for c in cols if c not in derived and c not in leave_out]


def parent_column(t: Table) -> str | None:
    """The column naming the record a link-table row belongs to (its first key, a foreign key)."""
    if t.is_entity or not t.primary_key:
        return None
    first = t.primary_key[0]
    return first if first in t.foreign_keys else None


class Indexes:
    """Rows by the record they belong to or point at, built once for every record page."""

    def __init__(self, ds: Dataset):
        self.ds = ds
        self.children: dict[tuple[str, str], dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
        self.refs: dict[tuple[str, str], dict[tuple[str, str], list[Row]]] = defaultdict(lambda: defaultdict(list))
        self.polymorphic: dict[str, dict[tuple[str, str], list[Row]]] = defaultdict(lambda: defaultdict(list))
        for t in ds.tables.values():
            if t.name in SPECIAL:
                for row in t.rows:
                    if t.has("record_table") and t.has("record_id"):
                        self.polymorphic[t.name][(row["record_table"], row["record_id"])].append(row)
                continue
            parent = parent_column(t)
            for row in t.rows:
                if parent is not None and row.get(parent) is not None:
                    self.children[(t.foreign_keys[parent], row[parent])][t.name].append(row)
                for col, target in sorted(t.foreign_keys.items()):
                    if col != parent and row.get(col) is not None:
                        self.refs[(target, row[col])][(t.name, col)].append(row)
        self.alts = alternatives(ds)

    def page(self, table: Table, row: Row) -> RecordPage:
        ds, rid = self.ds, row["id"]
        key = (table.name, rid)
        children = []
        for name, rows in sorted(self.children.get(key, {}).items()):
            t = ds.table(name)
            parent = parent_column(t)
            cols = shown_columns(t, (parent, "ordinal"))
            children.append(RefGroup(name.replace("_", " "), t, cols, rows, None))
        references = []
        for (name, col), rows in sorted(self.refs.get(key, {}).items()):
            t = ds.table(name)
            parent = parent_column(t)
            cols = [] if t.is_entity else shown_columns(t, (col, parent, "ordinal"))
            title = f"{name.replace('_', ' ')} whose {col.removesuffix('_id').replace('_', ' ')} is this record"
            references.append(RefGroup(title, t, cols, rows, "id" if t.is_entity else parent))
        evidence = [in_context(ds, ev) for ev in self.polymorphic["evidence"].get(key, [])]
        claims = [(c, [q for q in evidence if q.claim == c["ordinal"]]) for c in self.polymorphic["claims"].get(key, [])]
        conflicts: dict[str, list[Row]] = defaultdict(list)
        for c in self.polymorphic["conflicts"].get(key, []):
            conflicts[c["conflict_id"]].append(c)
        about = [f for f in ds.rows("figures") if f["subject_table"] == table.name and f["subject_id"] == rid]
        alts = [ds.records["figures"][a] for a in self.alts.get(rid, [])] if table.name == "figures" else []
        inferences = self.polymorphic["inference_uses"].get(key, [])
        dependents = [u for u in ds.rows("inference_uses") if table.name == "inferences" and u["inference_id"] == rid]
        page = RecordPage(
            table, row, label(ds, table.name, row), children, references, claims, sorted(conflicts.items()), figure_groups(ds, about),
            alts, inferences, dependents, [q for q in evidence if q.claim is None],
        )  # fmt: skip
        if alts:
            side = [row, *alts]
            page.extra["alt_group"] = FigureGroup(row["subject_table"], row["subject_id"], row["measure"], side, figure_bars(side), True)
        return page


# --- source pages ------------------------------------------------------------------------------------


@dataclass
class SourcePage:
    row: Row
    segments: list[annotate.Segment]
    spans: list[tuple[Row, str]]
    cited: int
    total: int
    uncited: int
    data: dict[str, list[Any]]


def source_page(ds: Dataset, source: Row) -> SourcePage:
    sid = source["id"]
    rows = sorted((ev for ev in ds.rows("evidence") if ev["source_id"] == sid), key=lambda ev: (ev["char_start"], -ev["char_end"], evidence_key(ev)))
    spans = [annotate.Span(evidence_key(ev), ev["char_start"], ev["char_end"]) for ev in rows]
    segments = annotate.segment(ds.texts[sid], spans)
    cited, total = annotate.coverage(segments)
    data = {}
    for ev in rows:
        table, rid = ev["record_table"], ev["record_id"]
        data[evidence_key(ev)] = [table, rid, record_label(ds, table, rid), record_href(table, rid), ", ".join(ev.get("fields") or [])]
    labelled = [(ev, record_label(ds, ev["record_table"], ev["record_id"])) for ev in rows]
    return SourcePage(source, segments, labelled, cited, total, sum(1 for s in segments if s.uncited), data)


# --- overview ----------------------------------------------------------------------------------------


def period(ds: Dataset) -> tuple[date | None, date | None, int]:
    """Earliest and latest day any event can fall on, and how many events have no day on the axis."""
    starts = [w.start for w in (when(e) for e in ds.rows("events")) if w.start is not None]
    ends = [w.end for w in (when(e) for e in ds.rows("events")) if w.end is not None]
    undated = sum(1 for e in ds.rows("events") if not when(e).placed)
    return (min(starts) if starts else None, max(ends) if ends else None, undated)


def citation(ds: Dataset) -> str:
    d = ds.descriptor
    who = "; ".join(str(c.get("title")) for c in d.get("contributors", []) if c.get("title")) or "casd contributors"
    licences = ", ".join(str(x.get("name") or x.get("title")) for x in d.get("licenses", []))
    what = "working build (unreleased)" if ds.working else f"version {ds.version}"
    return f"{who}. {d.get('title') or d.get('name')} ({d.get('name')}), {what}. Data Package. Licence: {licences}."


def log_scale(n: int, top: int, width: float = 180.0) -> float:
    return width * math.log1p(n) / math.log1p(top) if top else 0.0
