"""Evidence resolution, a stage of its own: seeds -> texts, evidence quotes -> character offsets.

:func:`load_seeds` reads every source's seed file (checking its sha256 and that it is UTF-8
text); :func:`resolve` anchors every evidence quote of every record in its seed with
:class:`~casd.curate.evidence.SeedText`. The result, :class:`Anchors`, is immutable: the
checks, the tables and coverage all read it, none recomputes it.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..fs import MAX_SEED_BYTES, FileRefused, read_regular
from ..model.records import Evidence, Record, Source
from ..paths import SEEDS
from ..read.integrity import sha256
from .evidence import AnchorError, SeedText, normalise
from .issues import Issue
from .load import Dataset, Loc, RecordFile, table_and_id

if TYPE_CHECKING:
    from .cache import Cache
from .suggest import passage

#: (table, record id, location of the evidence item in the record)
AnchorKey = tuple[str, str, Loc]
#: one record's anchors, flat: (location, start, end, location, start, end, ...) (a record has a
#: few; a million records hold them at once)
Spans = tuple[Any, ...]


def evidence_of(record: Record) -> Iterator[tuple[Loc, Evidence]]:
    """Every evidence item of a record: its own, then each claim's, with their locations."""
    for i, ev in enumerate(record.evidence):
        yield ("evidence", i), ev
    for c, claim in enumerate(record.claims):
        for i, ev in enumerate(claim.evidence):
            yield ("claims", c, "evidence", i), ev


@dataclass(frozen=True)
class Anchors:
    """Seed texts by source id, and the offsets of every evidence quote that anchored (kept per
    record, as the validation cache keeps them: merged only if :attr:`spans` is asked for)."""

    seeds: Mapping[str, SeedText]
    records: Mapping[tuple[str, str], Spans]
    """(table, record id) -> the offsets of that record's quotes"""

    def get(self, table: str, rid: str, loc: Loc) -> tuple[int, int] | None:
        mine = self.records.get((table, rid), ())
        for i in range(0, len(mine), 3):
            if mine[i] == loc:
                return mine[i + 1], mine[i + 2]
        return None

    @cached_property
    def spans(self) -> Mapping[AnchorKey, tuple[int, int]]:
        """Every anchored quote's offsets, by (table, record id, location of the evidence item)."""
        return MappingProxyType({(t, rid, mine[i]): (mine[i + 1], mine[i + 2]) for (t, rid), mine in self.records.items() for i in range(0, len(mine), 3)})

    def text(self, source: str, start: int, end: int) -> str:
        return self.seeds[source].text[start:end]


def load_seeds(data: Dataset) -> tuple[dict[str, SeedText], list[Issue]]:
    """Every source's seed text (a source whose file is missing, changed or not UTF-8 is reported)."""
    found: list[Issue] = []
    seeds: dict[str, SeedText] = {}
    folder = (data.root / SEEDS).resolve()
    inside: dict[Path, bool] = {}  # each distinct parent folder resolved once (they are all seeds/)
    for item in data.tables["sources"].values():
        rec = item.record
        if not isinstance(rec, Source):
            continue
        path = data.root / rec.file
        if path.parent not in inside:
            inside[path.parent] = path.parent.resolve() == folder
        if not inside[path.parent] or path.name in (".", ".."):
            found.append(item.at(("file",), "source-unreadable", file=rec.file, reason="seeds live directly in seeds/"))
            continue
        try:
            raw = read_regular(path, MAX_SEED_BYTES, follow_symlinks=False)
        except FileNotFoundError:
            found.append(item.at(("file",), "source-file-missing", file=rec.file))
            continue
        except FileRefused as e:
            found.append(item.at(("file",), "source-unreadable", file=rec.file, reason=str(e).split(": ", 1)[-1]))
            continue
        except OSError as e:
            found.append(item.at(("file",), "source-unreadable", file=rec.file, reason=e.strerror or str(e)))
            continue
        actual = sha256(raw)
        if actual != rec.sha256:
            found.append(item.at(("sha256",), "source-hash-mismatch", file=rec.file, actual=actual, expected=rec.sha256))
        try:
            seeds[rec.id] = SeedText(raw.decode("utf-8"), actual)
        except UnicodeDecodeError as e:
            found.append(item.at(("file",), "source-unreadable", file=rec.file, reason=f"{e.reason} at byte {e.start}"))
    return seeds, found


class Library:
    """Every seed's normalised text in one string of UTF-8 bytes, to learn which seeds hold a quote
    with one search (a quote not found in its own seed is looked for in all the others). Bytes, not
    text: half the memory where a seed holds a character outside Latin-1 (each worker that meets a
    quote not found builds its own: 99 MB, not 197 MB, for the 13,735 seeds of a million records),
    and a faster search (22 ms against 27-41 ms there). UTF-8 makes a match of the needle's bytes a
    match of its characters."""

    def __init__(self, seeds: Mapping[str, SeedText]):
        self.seeds = seeds
        self.ids = sorted(seeds)
        self.starts: list[int] = []
        self.text = b""  # joined on first use: most runs never need it

    def _join(self) -> None:
        parts = [self.seeds[sid].norm.encode("utf-8") for sid in self.ids]
        at = 0
        for part in parts:
            self.starts.append(at)
            at += len(part) + 1
        self.text = b"\0".join(parts)  # no normalised quote holds NUL

    def holding(self, needle: str) -> list[str]:
        """The ids of the seeds whose normalised text contains ``needle``, sorted."""
        if not needle or "\0" in needle:
            return [sid for sid in self.ids if self.seeds[sid].occurrences(needle)]
        if not self.starts:
            self._join()
        wanted = needle.encode("utf-8")
        found: list[str] = []
        at = self.text.find(wanted)
        while at != -1:
            i = bisect.bisect_right(self.starts, at) - 1
            found.append(self.ids[i])
            if i + 1 == len(self.ids):
                break
            at = self.text.find(wanted, self.starts[i + 1])
        return found

    def elsewhere(self, source: str, quote: str) -> str:
        """Where a quote not found in its seed might come from: another seed, or the closest passage."""
        others = [sid for sid in self.holding(normalise(quote)) if sid != source]
        if others:
            return f"; it is found verbatim in {', '.join(repr(o) for o in others)}: is `source` wrong?"
        return passage(self.seeds[source], quote)


def resolve(data: Dataset, seeds: Mapping[str, SeedText], cache: Cache | None = None) -> tuple[Anchors, list[Issue]]:
    """Anchor every evidence quote in its seed. Quotes of unknown sources are left to the reference check.

    With a cache, a record whose file and cited seeds are unchanged reuses its anchors (without
    reading its typed record: the cache keeps which sources it cites)."""
    found: list[Issue] = []
    records: dict[tuple[str, str], Spans] = {}
    every, all_seeds = seed_state(seeds)
    library = Library(seeds)
    entries = cache.entries if cache is not None else {}
    needs: dict[tuple[str, ...], tuple[str | None, ...] | str] = {}  # what anchors in each set of cited sources depend on
    items: Iterable[RecordFile] = data.all()
    if cache is not None and cache.patching:
        records, items = _to_patch(data, seeds, cache, found)
    for item in items:
        if item.stored is None:  # not typed (inlined: this loop runs on every run, over every record)
            continue
        entry = entries.get(item.path)
        if entry is not None and entry.item is item and entry.anchors is not None and entry.cites is not None:
            failed = bool(entry.anchor_issues)
            needed = needs.get(entry.cites) if not failed else None
            if needed is None:
                needed = depends_on(entry.cites, failed, every, all_seeds)
                if not failed:
                    needs[entry.cites] = needed
            if entry.seeds == needed:
                if entry.anchors:
                    records[item.table, item.id] = entry.anchors
                found += entry.anchor_issues
                continue
        mine = anchor_one(item, library, every, all_seeds)
        if mine["anchors"]:
            records[item.table, item.id] = mine["anchors"]
        found += mine["anchor_issues"]
        if entry is not None and entry.item is item:
            for name, value in mine.items():
                setattr(entry, name, value)
            entry.rule_issues = None  # the local rules read the anchors: check the record again
            cache.touch(item.path)  # type: ignore[union-attr]  # entry is only set with a cache
    return Anchors(MappingProxyType(dict(seeds)), MappingProxyType(records)), found


def _to_patch(data: Dataset, seeds: Mapping[str, SeedText], cache: Cache, found: list[Issue]) -> tuple[dict[tuple[str, str], Spans], Iterable[RecordFile]]:
    """For a run that patches the last one: the last run's anchors and issues of every file but
    those it looked at, and the records of those to anchor; with other seeds than the last run's,
    no anchors and every record (and the later stages do not patch either)."""
    assert cache.patch is not None
    last, todo = cache.patch, cache.todo
    if seeds is not last.seeds:
        cache.patching = False
        return {}, data.all()
    old = last.records  # a proxy's copy() is its dict's copy; dict() of it would take key by key
    records = old.copy() if isinstance(old, MappingProxyType) else dict(old)
    for shown in todo:
        records.pop(table_and_id(shown), None)
    found += cache.untouched(last.anchored)
    return records, [item for item in data.by_path(todo) if item.stored is not None]


def seed_state(seeds: Mapping[str, SeedText]) -> tuple[dict[str, str], str]:
    """The sha256 of every seed by source id, and a digest of them all: what a record whose quote
    failed to anchor depends on, since its hint names the other seeds."""
    every = {sid: seed.sha256 for sid, seed in seeds.items()}
    return every, "all:" + hashlib.sha256(repr(sorted(every.items())).encode()).hexdigest()


def depends_on(cites: tuple[str, ...], failed: bool, every: Mapping[str, str], all_seeds: str) -> tuple[str | None, ...] | str:
    """What a record's anchors depend on (kept as :attr:`casd.curate.cache.Entry.seeds`, compared
    on the next run): the sha256 of each seed it cites (None for an unknown source), or every seed
    when a quote failed to anchor (its hint names the other seeds)."""
    return all_seeds if failed else tuple(map(every.get, cites))


#: one tuple per distinct location of an evidence item, shared by every record's anchors
_LOCS: dict[Loc, Loc] = {}


def anchor_one(item: RecordFile, library: Library, every: Mapping[str, str], all_seeds: str) -> dict[str, Any]:
    """Anchor one typed record's evidence: the fields of its validation cache entry that say so
    (:class:`casd.curate.cache.Entry`: its anchors, their issues, the seeds they were anchored in
    and the sources it cites). ``every``, ``all_seeds``: :func:`seed_state`."""
    rec = item.record
    assert rec is not None  # typed
    mine: dict[AnchorKey, tuple[int, int]] = {}
    problems: list[Issue] = []
    _anchor_record(item, rec, library, mine, problems)
    cites = tuple(sorted({ev.source for _, ev in evidence_of(rec)}))
    seeds = depends_on(cites, bool(problems), every, all_seeds)
    flat = tuple(x for (_, _, loc), (start, end) in mine.items() for x in (_LOCS.setdefault(loc, loc), start, end))
    return {"anchors": flat, "anchor_issues": tuple(problems), "seeds": seeds, "cites": cites}


def _anchor_record(item: RecordFile, rec: Record, library: Library, spans: dict[AnchorKey, tuple[int, int]], found: list[Issue]) -> None:
    for loc, ev in evidence_of(rec):
        seed = library.seeds.get(ev.source)
        if seed is None:  # unknown source (a dangling reference) or its file failed: reported there
            continue
        try:
            a = seed.anchor(ev.quote, ev.prefix, ev.suffix, ev.occurrence)
        except AnchorError as e:
            short = ev.quote if len(ev.quote) <= 80 else ev.quote[:77] + "..."
            if e.code == "quote-not-found":
                e.params["hint"] = str(e.params.get("hint", "")) + library.elsewhere(ev.source, ev.quote)
            found.append(item.at(loc + ("quote",), e.code, source=ev.source, quote=short, **e.params))
            continue
        spans[(item.table, item.id, loc)] = (a.start, a.end)
