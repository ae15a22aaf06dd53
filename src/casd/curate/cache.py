"""The validation cache: per-file results kept between runs, so that `casd validate` after one edit
re-reads only what changed, and the rules across records run again only when what they read changed.

What is cached, per record file (:class:`Entry`, about 3.5 KB): its parsed and typed result
(:func:`casd.curate.load.read_record`: the record and its issues), its evidence anchors (offsets
and anchoring issues, with the sha256 of every seed they were anchored in), what the local rules
found in it (the rules that read only the record and its evidence, ``@rule(..., local=True)``),
and what the rules across records read of it: its references and its facts
(:func:`casd.curate.checks.facts`, kept as their values until a rule reads them). Beside the
entries, what the rules across records that read nothing but those found (:attr:`Cache.across`:
:func:`casd.curate.checks.run` decides when it still holds). The typed record itself is kept as
bytes of its own (pickled and compressed: :func:`casd.curate.load.pack`) and unpickled only when
something reads it, so a run after an edit unpickles only the edited records (``validate(records=False)``, as
``casd validate`` runs), and a build unpickles them all as the shards are read.

How it is invalidated:

* the whole cache, when its key changes: a hash of casd's own source files and of the versions of
  Python, pydantic, pydantic-core and PyYAML (so editing a rule, the model or a vocabulary without
  changing casd's version still invalidates it);
* one file's entry, when the file changed: a stat prefilter (size, mtime_ns, ctime_ns, inode)
  decides whether to re-read; a file whose mtime is within 2 s of the cache's own writing (git's
  "racily clean" rule) is re-hashed anyway, and the content's sha256 decides;
* one file's anchors and local rule results, when any seed they cite changed (its sha256);
* the issues of the rules across records (:attr:`Cache.across`), when a file was added or removed,
  or a changed file's facts or references changed, or one of those issues lies in a changed file
  (its line may have moved). They are kept in their own file with the time each shard was written
  when they were found, and trusted only while every shard is still the one written then: a run
  that wrote a shard in between (from another editor, say) leaves them unused.

The entries are spread over :data:`SHARDS` files by a hash of their path, and a run rewrites only
the shards whose entries changed: after one edit, one shard (about 1/32 of the cache) is written,
not the whole cache. Entries of files that are gone are dropped.

A cache held in memory by ``casd serve`` (:func:`hold`) also keeps what its last complete run
found, file by file (:class:`Last`), for a run that a watcher tells which few files were touched:
that run patches it rather than going over every record (:mod:`casd.curate.resident`).

A one-shot run that wrote the shards also writes the ledger (:mod:`casd.curate.ledger`): each
file's status and issues as that run found them, from which the next run answers if only a few
files changed, each without a change the rules across records read (it compares them with their
entries here).

A corrupt (each shard carries a CRC-32 of its content), foreign or stale shard is ignored and
rebuilt, never trusted. Each shard is written atomically (temporary file and rename), so
concurrent runs from editors and hooks need no lock. It lives in ``.casd-cache/`` (git-ignored);
``CASD_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import shutil
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import codekey
from ..codekey import PACKAGE
from ..fs import RACY_NS, STATUS, framed, status, unframed, write_atomic
from ..paths import CACHE_DIR
from .issues import Issue
from .load import Dataset, Listing, RecordFile
from .yamlio import fingerprint

if TYPE_CHECKING:
    from .graph import Held

FOLDER = "validate-v4"
#: what a shard file starts with: this tag, then the CRC-32 of the pickle that follows (:func:`casd.fs.framed`)
MAGIC = b"casd-shard-1\n"
#: how many files the entries are spread over
SHARDS = 32
#: the file that keeps :attr:`Cache.across`, beside the shards
ACROSS = "across-issues.bin"
#: past this many changed files, a run keeps none of their old entries: the rules across records run again
REPLACED_MAX = 1000

#: a file's size, mtime_ns, ctime_ns and inode, packed (:data:`casd.fs.STATUS`)
Stat = bytes


def key(package: Path = PACKAGE) -> str:
    """What every cached result depends on besides its own file: casd's code and its parsers'
    versions (:mod:`casd.codekey`)."""
    return codekey.key(package)


def stat_of(path: Path | str, info: os.stat_result | None = None) -> Stat:
    """What the prefilter compares (``info``: the file's status if it was just taken)."""
    return status(os.stat(path) if info is None else info)


def mtime_of(stat: Stat) -> int:
    """The mtime_ns of a packed :data:`Stat`."""
    return int(STATUS.unpack(stat)[1])


def digest(raw: bytes) -> bytes:
    """The sha256 of a file's bytes, as the cache keeps it (the lean document's digest too)."""
    return fingerprint(raw)


@dataclass(slots=True)
class Entry:
    """What the cache keeps of one record file (kept small: a million of them are held at once)."""

    stat: Stat
    sha256: bytes
    """the sha256 digest of the file's bytes"""
    item: RecordFile
    issues: tuple[Issue, ...]
    anchors: tuple[Any, ...] | None = None
    """the record's anchors (:data:`casd.curate.anchors.Spans`; None: not anchored yet)"""
    anchor_issues: tuple[Issue, ...] = ()
    seeds: tuple[str | None, ...] | str = ()
    """what the anchors depend on: the sha256 of the seed of each source in :attr:`cites` (None for
    an unknown source), or, when a quote did not anchor (its hint names other seeds), a digest of
    every seed (:func:`casd.curate.anchors.seed_state`)"""
    cites: tuple[str, ...] | None = None
    """the ids of the sources the record's evidence cites (known or not), sorted"""
    rule_issues: tuple[Issue, ...] | None = None
    """What the local rules (:mod:`casd.curate.checks`) found in this record, valid as long as its
    anchors are (None: not checked yet)."""


@dataclass
class Last:
    """What the last complete run of a held cache found, stage by stage, for a run that patches it
    (:attr:`Cache.patch`): every file but the few a watcher saw touched keeps its results from here,
    so that such a run costs what those files cost, not a pass over every record (``casd serve``)."""

    tables: dict[str, dict[str, RecordFile]]
    """the dataset's tables (:attr:`casd.curate.load.Dataset.tables`; a run copies them before it patches them)"""
    read: dict[str, tuple[Issue, ...]]
    """the reading and typing issues of each file that has an entry and such issues"""
    anchored: dict[str, tuple[Issue, ...]]
    """the anchoring issues of each file that has an entry and such issues"""
    checked: dict[str, tuple[Issue, ...]]
    """what the local rules found in each file that has an entry and such issues"""
    records: Mapping[tuple[str, str], Any]
    """the anchors of each record (:attr:`casd.curate.anchors.Anchors.records`)"""
    seeds: Any
    """the seeds they were anchored in (this very object: with other seeds, the anchors are not patched)"""
    entryless: set[str]
    """the record files without an entry (unreadable, or a symbolic link): every run reads them"""
    graph: Held | None = None
    """the graph of :attr:`tables` (which records refer to each), if a run made it: a run that
    patches this one finds the issues of the rules across records around the records it changed
    (:func:`casd.curate.checks.run`)"""


def shard_of(shown: str) -> int:
    """The shard an entry is kept in (stable across runs and machines)."""
    return zlib.crc32(shown.encode("utf-8")) % SHARDS


@dataclass
class Cache:
    """The per-file results of the last run, and what this run read again (for the report)."""

    path: Path | None
    """the folder of the shards (None: the cache is off)"""
    entries: dict[str, Entry] = field(default_factory=dict)
    written_ns: dict[int, int] = field(default_factory=dict)
    """shard -> when it was written (for the racily-clean rule)"""
    reused: int = 0
    reread: int = 0
    dirty: set[int] = field(default_factory=set)
    """the shards to write again"""
    seen: set[str] = field(default_factory=set)
    """the files this run looked up (entries of the others are dropped when it saves)"""
    held: bool = False
    """kept in memory between runs by ``casd serve`` (:mod:`casd.curate.resident`), which writes it
    (:meth:`write`) once it has answered: :meth:`save` leaves it to that"""
    fresh: set[str] = field(default_factory=set)
    """files whose entries are known to be valid without a look at the file (a watcher of a held
    cache vouches that nothing touched them since they were last checked)"""
    suspect: set[str] = field(default_factory=set)
    """files a watcher saw touched: their content decides, even if their status looks the same"""
    seeds: tuple[tuple[RecordFile, ...], Any] | None = None
    """a held cache's seeds (what :func:`casd.curate.anchors.load_seeds` gave) and the source files
    they were read for, while no file in ``seeds/`` changed"""
    listed: dict[str, Listing] = field(default_factory=dict)
    """a held cache's listing of each record folder, while no name in it changed
    (:func:`casd.curate.load.record_files`)"""
    across: tuple[Issue, ...] | None = None
    """What the rules across records that read only ids, facts and references found when the
    entries were last written, or None (unknown): :func:`casd.curate.checks.run` reuses it while
    nothing they read changed, and sets it."""
    _across_written: tuple[Issue, ...] | None = field(default=None, repr=False)
    """what the file of :attr:`across` holds (written or read by this process)"""
    replaced: dict[str, Entry] | None = field(default_factory=dict)
    """this run's changed files: the entry each had before (None: more than :data:`REPLACED_MAX`)"""
    added: bool = False
    """whether this run found a file that had no entry"""
    unkept: bool = False
    """whether this run read a record file that the cache does not keep (a symbolic link)"""
    entryless: set[str] = field(default_factory=set)
    """the record files this run read that have no entry (unreadable, or a symbolic link)"""
    last: Last | None = None
    """a held cache's record of what its last complete run found (:class:`Last`)"""
    patch: Last | None = None
    """Set for a run that patches :attr:`last` (a watcher says which files were touched, and the
    folders it saw change were listed again: :attr:`appeared`, :attr:`went`): the run looks only at
    those files and the ones without an entry, and :attr:`seen` holds only those (the others are
    as they were)."""
    appeared: set[str] = field(default_factory=set)
    """the record files that appeared since :attr:`patch` (a run that patches it reads them)"""
    went: set[str] = field(default_factory=set)
    """the record files that went since :attr:`patch` (a run that patches it drops them)"""
    todo: set[str] = field(default_factory=set)
    """the files a run that patches :attr:`patch` looked at or dropped"""
    patching: bool = False
    """whether this run's later stages patch :attr:`patch` too, for :attr:`todo` only (the
    seeds are the same; else they go over every record)"""
    graph: Held | None = None
    """this run's graph of the records, if it has one (kept in :attr:`last`)"""
    across_by: str = ""
    """how this run found the issues of the rules across records that the cache keeps: ``"kept"``
    (nothing they read changed), ``"near"`` (around the records that changed) or ``"every"`` (they
    ran on every record)"""
    _members: dict[int, set[str]] | None = field(default=None, repr=False)
    """the files of each shard's entries (made when first needed, kept up to date since)"""

    def begin(self) -> None:
        """Forget what the last run changed (for a cache held between runs)."""
        self.seen = set()
        self.reused = self.reread = 0
        self.replaced = {}
        self.added = self.unkept = False
        self.entryless = set()
        self.appeared, self.went, self.todo = set(), set(), set()
        self.patching = False
        self.graph = None
        self.across_by = ""

    def touch(self, shown: str) -> None:
        """Mark an entry as changed (its shard is written again)."""
        self.dirty.add(shard_of(shown))

    def vouched(self, shown: str) -> Entry | None:
        """The entry of a file known to be unchanged without looking at it (:attr:`fresh`), else None."""
        if shown not in self.fresh:
            return None
        self.seen.add(shown)
        self.reused += 1
        return self.entries[shown]

    def lookup(self, shown: str, path: Path | str, info: os.stat_result | None = None, raw: bytes | None = None) -> tuple[Entry | None, Stat, bytes | None]:
        """The entry for a file if it is still valid (stat, or else content), with the file's stat and
        the bytes if they had to be read (``info``: its status, if the caller just took it)."""
        st = stat_of(path, info)
        self.seen.add(shown)
        entry = self.entries.get(shown)
        if entry is None:
            return None, st, raw
        racy = shown in self.suspect or mtime_of(st) >= self.written_ns.get(shard_of(shown), 0) - RACY_NS
        if entry.stat == st and not racy:
            self.reused += 1
            return entry, st, raw
        try:
            data = raw if raw is not None else Path(path).read_bytes()
        except OSError:  # gone or unreadable since its status was taken: reading it again says why
            data = None
        if data is not None and digest(data) == entry.sha256:
            if entry.stat != st:  # the same content, touched: remember the new stat
                entry.stat = st
                self.touch(shown)
            self.reused += 1
            return entry, st, data
        self._drop(shown)  # stale: the file is read again, and stored if it still can be
        if self.replaced is not None:
            self.replaced[shown] = entry
            if len(self.replaced) > REPLACED_MAX:
                self.replaced = None
        self.touch(shown)
        return None, st, data

    def store(self, shown: str, entry: Entry) -> None:
        """Keep an entry (its item is the very object this run uses)."""
        self.seen.add(shown)
        if self.replaced is not None and shown not in self.replaced:
            self.added = True
        self.entries[shown] = entry
        if self._members is not None:
            self._members[shard_of(shown)].add(shown)
        self.touch(shown)
        self.reread += 1

    def drop(self, shown: str) -> None:
        """Forget a file's entry, if it has one."""
        if shown in self.entries:
            self._drop(shown)

    def _drop(self, shown: str) -> None:
        del self.entries[shown]
        if self._members is not None:
            self._members[shard_of(shown)].discard(shown)
        self.touch(shown)

    def entry_for(self, item: RecordFile) -> Entry | None:
        """The entry of the record file this run uses (cached or just parsed)."""
        entry = self.entries.get(item.path)
        if entry is None or entry.item is not item:
            return None
        return entry

    def untouched(self, by_file: dict[str, tuple[Issue, ...]]) -> list[Issue]:
        """For a run that patches :attr:`patch`: what one of its stages found (``by_file``: the
        issues of each file) in the files this run did not look at."""
        todo = self.todo
        return [i for path, issues in by_file.items() if path not in todo for i in issues]

    def remember(self, data: Dataset, records: Mapping[tuple[str, str], Any], seeds: Any) -> None:
        """At the end of a complete run of a held cache: keep what it found as :attr:`last` (from
        :attr:`patch` and the files this run looked at, if it patched it)."""
        entries, todo, patch = self.entries, self.todo, self.patch
        entryless = self.entryless if patch is None else (patch.entryless - todo) | self.entryless
        looked: Iterable[Entry]
        if patch is not None and self.patching:
            read, anchored, checked = ({p: v for p, v in old.items() if p not in todo} for old in (patch.read, patch.anchored, patch.checked))
            looked = [entries[p] for p in todo if p in entries]
        else:
            read, anchored, checked, looked = {}, {}, {}, entries.values()
        for entry in looked:
            item = entry.item
            if data.tables[item.table].get(item.id) is not item:
                continue
            if entry.issues:
                read[item.path] = entry.issues
            if entry.anchor_issues:
                anchored[item.path] = entry.anchor_issues
            if entry.rule_issues:
                checked[item.path] = entry.rule_issues
        self.last = Last(data.tables, read, anchored, checked, records, seeds, entryless, self.graph)

    def save(self) -> None:
        """At the end of a run: :meth:`prune` and :meth:`write`, unless the cache is :attr:`held`
        (its holder prunes it after each run and writes it when idle)."""
        if not self.held:
            self.prune()
            self.write()

    def gone(self) -> bool:
        """Whether a file that had an entry was not found by this run (for a run that patches
        :attr:`last`: whether a file went since)."""
        if self.patch is not None:
            return bool(self.went)
        return not self.seen.issuperset(self.entries)

    def prune(self) -> None:
        """At the end of a run that went over every file: drop the entries of the files it did not find."""
        if self.seen and self.patch is None:
            for gone in self.entries.keys() - self.seen:
                self._drop(gone)

    def write(self) -> None:
        """Write the shards that changed, then :attr:`across` with the time each shard was written."""
        if self.path is None:
            return
        if not self.dirty:
            if self.across != self._across_written:
                self._write_across()
            return
        if self._members is None:
            self._members = {n: set() for n in range(SHARDS)}
            for shown in self.entries:
                self._members[shard_of(shown)].add(shown)
        shards = {n: {shown: self.entries[shown] for shown in sorted(self._members[n])} for n in self.dirty}
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            (self.path.parent / "validate-v1.pickle").unlink(missing_ok=True)  # the single-file cache of casd 2.0
            shutil.rmtree(self.path.parent / "validate-v2", ignore_errors=True)  # the shards before records were kept as bytes
            shutil.rmtree(self.path.parent / "validate-v3", ignore_errors=True)  # the shards before they had a checksum
            for n, entries in sorted(shards.items()):
                now = time.time_ns()
                payload = _dumps({"key": key(), "written_ns": now, "entries": entries})
                write_atomic(self.path / f"{n:02d}.pickle", _framed(payload))
                self.written_ns[n] = now  # for a cache held in memory: the racily-clean rule
        except OSError:
            self._forget_across()  # it would not match the shards
            return  # a cache that cannot be written costs time, never correctness
        self.dirty.clear()
        self._write_across()

    def _write_across(self) -> None:
        """Write :attr:`across` with the time every shard was written (the state it holds for)."""
        assert self.path is not None
        payload = pickle.dumps({"key": key(), "shards": dict(self.written_ns), "issues": self.across}, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            write_atomic(self.path / ACROSS, _framed(payload))
        except OSError:
            self._forget_across()
            return
        self._across_written = self.across

    def _forget_across(self) -> None:
        """Remove the file of :attr:`across`, if it can be. If not, it still names the time of each
        shard it was found for: a shard written since does not match it, so it is not trusted."""
        assert self.path is not None
        try:
            (self.path / ACROSS).unlink(missing_ok=True)
        except OSError:
            pass


#: caches held in memory between runs, by project folder (:func:`hold`)
_HELD: dict[str, Cache] = {}


def _held_key(project: Path) -> str:
    return str(Path(project).resolve())


def is_held(project: Path) -> bool:
    """Whether this process holds the project's cache in memory (:func:`hold`)."""
    return bool(_HELD) and _held_key(project) in _HELD


def hold(project: Path) -> Cache:
    """Keep the project's cache in memory: :func:`open_cache` gives this very object from now on
    (``casd serve``; :func:`release` ends it)."""
    cache = _HELD.get(_held_key(project))
    if cache is None:
        cache = open_cache(project)
        cache.held = True
        _HELD[_held_key(project)] = cache
    return cache


def release(project: Path) -> None:
    """Stop holding the project's cache (its holder wrote it after its last complete run; a run cut
    short is not written, as a one-shot run cut short writes nothing)."""
    cache = _HELD.pop(_held_key(project), None)
    if cache is not None:
        cache.held = False


def _dumps(shard: dict[str, Any]) -> bytes:
    """A shard's pickle, with each record's facts as their values (:func:`casd.curate.checks.as_values`)."""
    from ..model.records import TABLES
    from .checks import as_values, facts_class

    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table | {facts_class(table): as_values for table in TABLES}
    pickler.dump(shard)
    return out.getvalue()


def _framed(payload: bytes) -> bytes:
    """A pickle as a cache file holds it: :data:`MAGIC`, then its CRC-32 (read back by :func:`_payload`)."""
    return framed(MAGIC, payload)


def _payload(raw: bytes) -> Any:
    """A shard file's content, if its checksum holds (else a damaged shard: ValueError). A byte
    changed on disk inside a record's bytes would otherwise be found only when the record is read,
    or inside a fact or an issue, never."""
    return pickle.loads(unframed(MAGIC, raw))  # noqa: S301 - a file this package wrote, checked by unframed


def _read_shard(folder: Path, n: int) -> dict[str, Any] | None:
    """Shard ``n`` of the cache in ``folder`` (``key``, ``written_ns`` and ``entries``), if it is
    whole and written by this very code; else None."""
    try:
        payload = _payload((folder / f"{n:02d}.pickle").read_bytes())
    except Exception:  # noqa: BLE001 - any damage to the cache only means it is rebuilt
        return None
    if not isinstance(payload, dict) or payload.get("key") != key() or not isinstance(payload.get("entries"), dict):
        return None
    return payload


def open_cache(project: Path, records: bool = False) -> Cache:
    """The project's cache; a shard that is missing, corrupt, foreign or stale is empty.

    ``records``: unpickle each typed record as its shard is read (else only when first read). A
    cache :func:`hold` keeps is given as it is (its records are unpickled when first read)."""
    if os.environ.get("CASD_NO_CACHE"):
        return Cache(None)
    held = _HELD.get(_held_key(project)) if is_held(project) else None
    if held is not None:
        return held
    cache = Cache(Path(project) / CACHE_DIR / FOLDER)
    for n in range(SHARDS):
        payload = _read_shard(cache.path, n)  # type: ignore[arg-type]  # set just above
        if payload is None:
            continue
        try:
            entries = {k: v for k, v in payload["entries"].items() if isinstance(v, Entry) and shard_of(k) == n}
            if records:
                for entry in entries.values():
                    entry.item.record  # noqa: B018 - unpickled now, while this shard's bytes can still be reused
            cache.entries.update(entries)
            cache.written_ns[n] = int(payload.get("written_ns", 0))
        except Exception:  # noqa: BLE001 - any damage to the cache only means it is rebuilt
            continue
    cache.across = cache._across_written = _across(cache)
    return cache


def _across(cache: Cache) -> tuple[Issue, ...] | None:
    """What the rules across records found, if it was found for the very shards just read."""
    try:
        payload = _payload((cache.path / ACROSS).read_bytes())  # type: ignore[operator]  # a cache with a folder
        if isinstance(payload, dict) and payload.get("key") == key() and payload.get("shards") == cache.written_ns:
            issues = payload.get("issues")
            if isinstance(issues, tuple) and all(isinstance(i, Issue) for i in issues):
                return issues
    except Exception:  # noqa: BLE001 - missing, damaged or foreign: the rules run again
        pass
    return None
