"""How much of each seed the records capture, and what they miss.

Per seed: the records citing it, its sentences, the share covered by at least one
evidence span, and the uncited sentences. Then, over every sentence (cited or not),
what no record captures yet:

* ``quotation``: text in quotation marks that is no statement's quote;
* ``number``: a number that is no figure's printed text;
* ``date``: a date expression that no event, statement, base or source cites;
* ``name``: a capitalised name that matches no name or alias of an actor, place or base.

``dataset/coverage/<source id>.yaml`` (one file per seed) is the reviewed list that
keeps this honest: ``boilerplate`` (navigation, comments, credits: quote + reason,
excluded from the sentence count) and ``ignore`` (an item deliberately left out:
kind, text, reason). Nothing is excluded by guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from ..model.records import Actor, Figure, MilitaryBase, Model, Place, Source, Statement
from ..model.types import Text
from ..paths import COVERAGE as FOLDER
from ..read.sentences import sentences
from .anchors import evidence_of
from .evidence import AnchorError, SeedText, normalise
from .issues import Issue, issue
from .load import RecordFile, read_lists
from .validate import Validated

Kind = Literal["quotation", "number", "date", "name"]


class Boilerplate(Model):
    """A passage of a seed that states no fact (navigation, comments, credits, blurbs)."""

    quote: Text
    """The passage, verbatim; every sentence it overlaps is left out of the count."""
    occurrence: Annotated[int, Field(ge=1)] | None = None
    """Which occurrence, if the passage repeats (default: all)."""
    reason: Text
    """Why it states no fact."""


class Ignore(Model):
    """An item the flags list deliberately leaves uncaptured."""

    kind: Kind
    """Which list the item is on."""
    text: Text
    """The item as the list prints it."""
    reason: Text
    """Why no record captures it."""


@dataclass
class Flag:
    kind: str
    text: str
    start: int
    end: int


@dataclass
class SeedCoverage:
    source: str
    file: str
    records: int
    sentences: int
    excluded: int
    covered: int
    uncited: list[str] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def share(self) -> float:
        counted = self.sentences - self.excluded
        return self.covered / counted if counted else 1.0


_QUOTATION = re.compile(r"[\"“]([^\"“”\n]{2,}?)[\"”]")
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
_DATE = re.compile(
    rf"\b{_MONTH}(?:\s+\d{{1,2}})?(?:,?\s+\d{{4}})?"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b(?:\s+\d{1,2}\s+" + _MONTH + r"\s+\d{4})?"
    r"|\b\d{1,2}\s+" + _MONTH + r"\s+\d{4}"
    r"|\b(?:this|last|next|earlier this|later this|this past)\s+(?:week|month|year|spring|summer|autumn|fall|winter)\b"
    r"|\bin recent (?:months|years|weeks)\b|\brecently\b"
    r"|\b(?:1[89]|20)\d{2}(?:\s*[-–]\s*(?:1[89]|20)\d{2})?\b"
)
_WORDS = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|several|few|half)"
_NUMBER = re.compile(rf"\$?\d+(?:,\d{{3}})*(?:\.\d+)?(?:\s?(?:kg|km|%))?|\b{_WORDS}(?:[\s-]+(?:and\s+a\s+)?{_WORDS})*\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][\w’'.-]*[\w’']?(?:\s+(?:of|the|for|and|de|al|-)?\s*[A-Z][\w’'.-]*[\w’']?)*")
_STOP = {
    "A", "An", "The", "This", "That", "These", "Those", "It", "Its", "In", "On", "At", "As", "By", "For", "From",
    "To", "Of", "And", "But", "Or", "If", "He", "She", "We", "They", "I", "His", "Her", "Our", "Their", "However",
    "Meanwhile", "Instead", "Finally", "Furthermore", "Additionally", "Interestingly", "Eventually", "Throughout",
    "Following", "Given", "Unlike", "While", "With", "Among", "Adding", "Most", "Some", "All", "Many", "Nobody",
    "There", "Here", "What", "Often", "Until", "Over", "Prior", "Recruitment", "Speaking", "Indicating", "Fears",
    "Citizens", "Antiterrorism", "Due", "Now", "Regional", "Recently", "Significantly", "Conspiracy", "Analysts",
    "Experts", "Official", "Riots", "Map", "Members", "Authorities", "Kyrgyz", "Russian", "Uzbek", "Kazakh", "Tajik",
    "Afghan", "American", "European", "Western", "Islamist", "Islamic", "Muslim", "Muslims", "Uzbeks", "Tajiks",
    "Central", "Asian", "Soviet", "Category", "Published", "Written", "Courtesy", "Breaking", "News", "Latest", "Posts",
}


def _overlaps(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s < a[1] and a[0] < e for s, e in spans)


def _inside(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s <= a[0] and a[1] <= e for s, e in spans)


def read_config(project: Path, source: str) -> tuple[list[Boilerplate], list[Ignore], list[Issue], RecordFile | None]:
    """The reviewed lists of one seed, from ``dataset/coverage/<source>.yaml`` (absent: empty)."""
    lists, found, here = read_lists(project, FOLDER / f"{source}.yaml", {"boilerplate": Boilerplate, "ignore": Ignore})
    return lists["boilerplate"], lists["ignore"], found, here


Span = tuple[int, int]


@dataclass
class _Cited:
    """What the records cite, per seed: all spans, spans by table, and the citing records."""

    spans: dict[str, list[Span]] = field(default_factory=dict)
    by_table: dict[str, dict[str, list[Span]]] = field(default_factory=dict)
    citing: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


def _cited(report: Validated) -> _Cited:
    out = _Cited()
    for item, rec in report.dataset.typed():
        for loc, ev in evidence_of(rec):
            anchor = report.anchors.get(item.table, item.id, loc)
            if anchor is None:
                continue
            out.spans.setdefault(ev.source, []).append(anchor)
            out.by_table.setdefault(item.table, {}).setdefault(ev.source, []).append(anchor)
            out.citing.setdefault(ev.source, set()).add((item.table, item.id))
    return out


def _misnamed_files(project: Path, known: set[str]) -> list[Issue]:
    folder = Path(project) / FOLDER
    return [
        issue("coverage-file-name", (FOLDER / path.name).as_posix())
        for path in (sorted(folder.glob("*")) if folder.is_dir() else [])
        if path.suffix != ".yaml" or path.stem not in known
    ]


def _excluded(seed: SeedText, sid: str, boiler: list[Boilerplate]) -> tuple[list[Span], list[Issue]]:
    """The spans of a seed's boilerplate passages (every occurrence unless one is named)."""
    spans: list[Span] = []
    found: list[Issue] = []
    for b in boiler:
        try:
            if b.occurrence:
                a = seed.anchor(b.quote, occurrence=b.occurrence)
                spans.append((a.start, a.end))
                continue
            needle = normalise(b.quote)
            hits = seed.occurrences(needle)
            if not hits:
                raise AnchorError("quote-not-found", hint="")
            spans += [(a.start, a.end) for a in (seed.span(h, len(needle)) for h in hits)]
        except AnchorError as e:
            found.append(issue(e.code, (FOLDER / f"{sid}.yaml").as_posix(), source=sid, quote=b.quote[:60], **e.params))
    return spans, found


def _names(report: Validated) -> set[str]:
    data = report.dataset
    names: set[str] = set()
    named: list[Actor | Place | MilitaryBase] = [*data.records(Actor), *data.records(Place), *data.records(MilitaryBase)]
    for named_record in named:
        names.add(normalise(named_record.name))
        names.update(normalise(a) for a in named_record.aliases)
    return names


def measure(project: Path, report: Validated) -> tuple[list[SeedCoverage], list[Issue]]:
    """Coverage of every seed (requires a valid dataset)."""
    data = report.dataset
    found = _misnamed_files(project, {s.id for s in data.records(Source)})
    seeds = report.anchors.seeds
    cited = _cited(report)
    figure_spans = _figure_spans(report)
    statement_quotes: dict[str, list[str]] = {}
    for st in data.records(Statement):
        for loc, ev in evidence_of(st):
            if report.anchors.get("statements", st.id, loc) is not None:
                statement_quotes.setdefault(ev.source, []).append(normalise(st.quote).strip(" ,.;:"))
    names = _names(report)
    result = []
    for src in sorted(data.records(Source), key=lambda s: s.file):
        sid = src.id
        if sid not in seeds:
            continue
        seed = seeds[sid]
        text = seed.text
        boiler, ignores, problems, config = read_config(project, sid)
        excluded_spans, missing = _excluded(seed, sid, boiler)
        found += problems + missing
        sents = sentences(text)
        cov = SeedCoverage(sid, src.file, len(cited.citing.get(sid, ())), len(sents), 0, 0)
        for s in sents:
            if _overlaps(s, excluded_spans):
                cov.excluded += 1
            elif _overlaps(s, cited.spans.get(sid, [])):
                cov.covered += 1
            else:
                cov.uncited.append(text[s[0] : s[1]])
        counted = [s for s in sents if not _overlaps(s, excluded_spans)]
        ignored = {(sid, str(i.kind), normalise(i.text)) for i in ignores}
        used: set[tuple[str, str, str]] = set()
        cov.flags = _flags(text, sid, counted, statement_quotes.get(sid, []), figure_spans.get(sid, []), cited.by_table, names, ignored, used)
        for i, entry in enumerate(ignores):
            if config is not None and (sid, entry.kind, normalise(entry.text)) not in used:
                found.append(config.at(("ignore", i, "text"), "coverage-ignore-stale", kind=entry.kind, text=entry.text))
        result.append(cov)
    return result, found


def _figure_spans(report: Validated) -> dict[str, list[tuple[int, int]]]:
    """Where each figure's printed text stands, located inside its own evidence."""
    out: dict[str, list[tuple[int, int]]] = {}
    for fig in report.dataset.records(Figure):
        for loc, ev in evidence_of(fig):
            anchor = report.anchors.get("figures", fig.id, loc)
            if anchor is None:
                continue
            seed = report.anchors.seeds[ev.source]
            inner = normalise(fig.text)
            window = seed.norm.find(inner, max(0, seed.norm_position(anchor[0]) - 1))
            if window != -1:
                a = seed.span(window, len(inner))
                out.setdefault(ev.source, []).append((a.start, a.end))
    return out


def _flags(  # noqa: C901 - one pass over the sentences for the four kinds of flag
    text: str,
    sid: str,
    counted: list[tuple[int, int]],
    quotes: list[str],
    figure_spans: list[tuple[int, int]],
    by_table: dict[str, dict[str, list[tuple[int, int]]]],
    names: set[str],
    ignored: set[tuple[str, str, str]],
    used: set[tuple[str, str, str]],
) -> list[Flag]:
    out: list[Flag] = []
    date_spans = [a for t in ("events", "statements", "bases", "sources", "actors") for a in by_table.get(t, {}).get(sid, [])]

    def keep(kind: str, m_start: int, m_end: int) -> None:
        t = text[m_start:m_end]
        key = (sid, kind, normalise(t))
        if key in ignored:
            used.add(key)
        else:
            out.append(Flag(kind, t, m_start, m_end))

    for s0, s1 in counted:
        chunk = text[s0:s1]
        for m in _QUOTATION.finditer(chunk):
            inner = normalise(m.group(1)).strip(" ,.;:…")
            if not any(inner in q or (len(q) > 3 and q in inner) for q in quotes):
                keep("quotation", s0 + m.start(1), s0 + m.end(1))
        dates = [(s0 + m.start(), s0 + m.end()) for m in _DATE.finditer(chunk)]
        for d in dates:
            if not _inside(d, date_spans):
                keep("date", *d)
        for m in _NUMBER.finditer(chunk):
            span = (s0 + m.start(), s0 + m.end())
            if _overlaps(span, dates) or not m.group().strip():
                continue
            if not _overlaps(span, figure_spans):
                keep("number", *span)
        heading = not chunk.rstrip().endswith((".", "?", "!", ":", '"', "”", ")")) and sum(w[:1].isupper() for w in chunk.split()) >= 0.6 * len(chunk.split())
        for m in [] if heading else _NAME.finditer(chunk):
            words = m.group().rstrip(".").split()
            if m.start() == len(chunk) - len(chunk.lstrip()) and len(words) == 1 and not words[0].isupper():
                continue  # a single capitalised word opening a sentence is not taken for a name
            while words and (words[0] in _STOP or words[0].islower()):
                words = words[1:]
            if not words:
                continue
            name = re.sub(r"[’']s$", "", normalise(" ".join(words))).strip(".’'")
            if len(name) < 2 or name in _STOP or _NUMBER.fullmatch(name) or re.fullmatch(_MONTH.replace("\\.", "") + r"|\d+", name):
                continue
            if not any(name == n or name in n or (len(n) > 3 and n in name) for n in names):
                start = s0 + m.start() + m.group().find(words[0])
                keep("name", start, start + len(" ".join(words)))
    return out


def as_text(result: list[SeedCoverage], show: bool = True) -> str:
    lines = []
    for c in result:
        lines.append(f"{c.file} ({c.source}): {c.records} records cite it; {c.covered}/{c.sentences - c.excluded} sentences covered ({c.share:.0%}), {c.excluded} boilerplate")
        if show:
            lines += [f"  uncited: {s}" for s in c.uncited]
            lines += [f"  {f.kind}: {f.text!r} at {f.start}" for f in c.flags]
    return "\n".join(lines) + "\n"
