"""Record files -> typed records, each remembering where its values stand.

:func:`read_record` is the pure per-file step (``bytes -> RecordFile, issues``): it parses
with :mod:`casd.curate.yamlio` and types with the table's model from
:mod:`casd.model.records`, mapping Pydantic's errors back to the line and column of the
offending key or value. :func:`read_dataset` maps it over ``dataset/<table>/*.yaml`` (the
seam where a cache or a process pool fits). Rules across fields and records are
:mod:`casd.curate.checks`' business.
"""

from __future__ import annotations

import bisect
import ctypes
import multiprocessing
import os
import pickle
import re
import select
import signal
import stat
import sys
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import CasdError
from ..fs import MAX_RECORD_BYTES, FileRefused, read_regular
from ..model.records import TABLES, Record
from ..model.types import SLUG
from ..paths import COVERAGE, DATASET, PACKAGE_META, TOMBSTONES, record_file
from . import yamlio
from .issues import Issue, issue

if TYPE_CHECKING:
    from .cache import Cache
from .suggest import did_you_mean, model_at

_SLUG = re.compile(SLUG)
#: folders under dataset/ that hold no records
RESERVED = {COVERAGE.name}
#: files directly under dataset/ that casd reads
SIDE_FILES = {PACKAGE_META.name, TOMBSTONES.name}
M = TypeVar("M", bound=Record)
Loc = yamlio.Loc


@dataclass(slots=True)
class RecordFile:
    """One record file: where it is, its positions, and the typed record (None if it failed).

    Pickled (into the validation cache, or back from a worker process), the typed record travels
    as bytes of its own and is unpickled only when first read: a run after an edit reads the
    records of the changed files and, of the others, only their :attr:`facts`."""

    table: str
    id: str
    path: str
    doc: yamlio.Document
    stored: Record | bytes | None = None
    """the typed record, or its bytes (:func:`pack`) until it is first read (use :attr:`record`)"""
    refs: tuple[str, ...] | None = None
    """``(table, id, table, id, ...)`` of the references the record makes, once a rule asked
    (:mod:`casd.curate.checks.references`; kept in the validation cache with the record)."""
    facts: Any = None
    """what the rules across records read of the typed record (:func:`casd.curate.checks.facts`;
    kept in the validation cache with the record, as a tuple of their values until first read)."""

    @property
    def record(self) -> Record | None:
        if type(self.stored) is bytes:
            self.stored = unpack(self.stored)
            if self.facts is not None and type(self.facts) is not tuple:
                self.share_facts()
        return self.stored  # type: ignore[return-value]  # bytes were replaced just above

    @record.setter
    def record(self, value: Record | None) -> None:
        self.stored = value

    def share_facts(self) -> None:
        """Let the facts take the typed record's values, rather than hold a copy of them (once the
        record is unpickled and the facts are made)."""
        rec = self.stored
        if rec is None or isinstance(rec, bytes):
            return
        fields = type(rec).model_fields
        for name in self.facts.__slots__:
            if name in fields:
                setattr(self.facts, name, getattr(rec, name))

    def peek(self) -> Record | None:
        """The typed record, read without being kept: unpickled anew if it is held as bytes (for a
        caller that reads each record once, such as a build)."""
        stored = self.stored
        if type(stored) is bytes:
            return unpack(stored)
        return stored  # type: ignore[return-value]  # a record or None

    @property
    def typed(self) -> bool:
        """Whether the file typed cleanly (without unpickling its record)."""
        return self.stored is not None

    def __reduce__(self) -> tuple[Any, ...]:
        stored = self.stored
        if stored is not None and type(stored) is not bytes:
            stored = pack(stored)  # type: ignore[arg-type]  # a record
        return (RecordFile, (self.table, self.id, self.path, self.doc, stored, self.refs, self.facts))

    def at(self, loc: Loc, code: str, /, **params: object) -> Issue:
        """An issue located at the value of a path inside this record (its dotted path is the issue's field)."""
        return self._at(loc, code, False, params)

    def at_key(self, loc: Loc, code: str, /, **params: object) -> Issue:
        """An issue located at the key that introduces a path (an unknown field)."""
        return self._at(loc, code, True, params)

    def _at(self, loc: Loc, code: str, key: bool, params: dict[str, object]) -> Issue:
        line, col = self.doc.where(loc, key=key)
        params.setdefault("field", ".".join(str(p) for p in loc))
        return issue(code, self.path, line, col, **params)


def pack(record: Record) -> bytes:
    """A typed record as the bytes a :class:`RecordFile` holds until it is read: pickled, then
    compressed (zlib, level 1). A million records are held so through a validation and in the
    validation cache: compressed, they take 54% of the memory and of the disk (about 0.5 GiB less).
    The compression costs about 30 µs a record where it is packed (the pickling itself about 20 µs),
    and 8 µs where one is read (benchmarks/FINDINGS.md, sixth session of 3 December)."""
    return zlib.compress(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL), 1)


def unpack(stored: bytes) -> Record:
    """The record of :func:`pack`'s bytes."""
    record: Record = pickle.loads(zlib.decompress(stored))  # noqa: S301 - bytes this package pickled (cache or worker)
    return record


def table_and_id(shown: str) -> tuple[str, str]:
    """The table and id a record file's path names (``dataset/<table>/<id>.yaml``)."""
    table, _, name = shown.removeprefix(f"{DATASET.as_posix()}/").partition("/")
    return table, name.removesuffix(".yaml")


@dataclass
class Dataset:
    """Every record file under a dataset folder, by table and id (each table in id order: files are
    read in that order, so iteration needs no sorting)."""

    root: Path
    tables: dict[str, dict[str, RecordFile]] = field(default_factory=lambda: {t: {} for t in TABLES})

    def records(self, model: type[M]) -> list[M]:
        """Typed records of a kind, sorted by id."""
        return [item.record for item in self.tables[model.table].values() if isinstance(item.record, model)]

    def of(self, table: str) -> list[Record]:
        """Typed records of a table by name, sorted by id."""
        return [item.record for item in self.tables[table].values() if item.record is not None]

    def all(self) -> Iterator[RecordFile]:
        for table in TABLES:
            yield from self.tables[table].values()

    def by_path(self, paths: Iterable[str]) -> list[RecordFile]:
        """The record files at these paths (``dataset/<table>/<id>.yaml``) that the dataset holds, in path order."""
        found = []
        for shown in sorted(paths):
            table, rid = table_and_id(shown)
            item = self.tables.get(table, {}).get(rid)
            if item is not None:
                found.append(item)
        return found

    def typed(self) -> Iterator[tuple[RecordFile, Record]]:
        """Every record that typed cleanly, with its file."""
        for item in self.all():
            if item.record is not None:
                yield item, item.record

    def __len__(self) -> int:
        return sum(len(t) for t in self.tables.values())


def pydantic_issues(item: RecordFile, err: ValidationError, prefix: Loc = (), model: type[BaseModel] | None = None) -> list[Issue]:
    """Map Pydantic's errors to located issues (``prefix``: where the validated value sits in the file),
    each with a suggestion where one helps (the closest field or vocabulary value)."""
    model = model or TABLES.get(item.table)
    found = []
    for e in err.errors(include_url=False):
        loc = prefix + tuple(e["loc"])
        name = ".".join(str(p) for p in loc)
        if e["type"] == "missing":
            found.append(item.at(loc[:-1], "missing-field", field=name))
        elif e["type"] == "extra_forbidden":
            here = model_at(model, tuple(e["loc"])[:-1]) if model else None
            hint = did_you_mean(str(loc[-1]), here.model_fields) if here else ""
            found.append(item.at_key(loc, "unknown-field", field=name, hint=hint))
        elif e["type"] == "enum" and isinstance(e.get("input"), str):
            allowed = [v.strip(" '") for v in str(e.get("ctx", {}).get("expected", "")).replace(" or ", ",").split(",") if v.strip(" '")]
            hint = did_you_mean(e["input"], allowed) or f" (one of {len(allowed)} values: see `casd codebook`)"
            found.append(item.at(loc, "invalid-value", field=name, reason=f"{e['input']!r} is not an allowed value{hint}"))
        else:
            found.append(item.at(loc, "invalid-value", field=name, reason=e["msg"]))
    return found


def read_record(table: str, stem: str, shown: str, raw: bytes) -> tuple[RecordFile, list[Issue]]:
    """Parse and type one record file's bytes (pure: no I/O, no global state): by the fast strict
    path where it vouches for the file, else by the exact reader (:mod:`casd.curate.yamlio`)."""
    fast = yamlio.parse_fast(raw, shown)
    doc, problems = (fast, []) if fast is not None else yamlio.parse_bytes(raw, shown)
    item = RecordFile(table, stem, shown, doc)
    if problems:
        return item, problems
    try:
        item.record = TABLES[table].model_validate(doc.data)
    except ValidationError as err:
        return item, pydantic_issues(item, err)
    if item.record.id != stem:
        return item, [item.at(("id",), "id-mismatch", id=item.record.id, stem=stem)]
    return item, []


def read_side_file(project: Path, rel: Path, model: type[BaseModel]) -> tuple[BaseModel | None, list[Issue], RecordFile | None]:
    """Read a single-mapping side file (``dataset/package.yaml``) typed by ``model``."""
    path = Path(project) / rel
    doc, found = yamlio.read(path, rel.as_posix())
    if found:
        return None, found, None
    here = RecordFile(rel.parent.name, rel.stem, rel.as_posix(), doc)
    try:
        return model.model_validate(doc.data), [], here
    except ValidationError as err:
        return None, pydantic_issues(here, err, model=model), here


def read_lists(project: Path, rel: Path, lists: dict[str, type[BaseModel]]) -> tuple[dict[str, list[Any]], list[Issue], RecordFile | None]:
    """Read a side file holding named lists of small records (tombstones, coverage lists).

    Each entry is validated on its own, so one bad entry hides no other. A missing
    file is empty.
    """
    out: dict[str, list[Any]] = {name: [] for name in lists}
    path = Path(project) / rel
    if not path.exists():
        return out, [], None
    doc, found = yamlio.read(path, rel.as_posix())
    if found:
        return out, found, None
    here = RecordFile(rel.parent.name, rel.stem, rel.as_posix(), doc)
    assert isinstance(doc.data, dict)
    found += [here.at_key((k,), "unknown-field", field=k) for k in sorted(set(doc.data) - set(lists))]
    for name, model in lists.items():
        entries = doc.data.get(name, [])
        if not isinstance(entries, list):
            found.append(here.at((name,), "invalid-value", reason="expected a list"))
            continue
        for i, raw in enumerate(entries):
            try:
                out[name].append(model.model_validate(raw))
            except ValidationError as err:
                found += pydantic_issues(here, err, prefix=(name, i), model=model)
    return out, found, here


class Listing(NamedTuple):
    """A table folder's listing (:func:`folder_files`), as a held cache keeps it while no name in the
    folder changes, with the folder's names once they were compared."""

    files: list[tuple[str, str, str]]
    misplaced: list[Issue]
    names: frozenset[str] | None = None


def record_files(project: Path, listed: dict[str, Listing] | None = None) -> tuple[list[tuple[str, str, str]], list[Issue]]:
    """``(table, id, path)`` of every record file, in table and id order, and misplaced files.

    The paths are plain strings (``project/dataset/<table>/<id>.yaml``): at a million files, a
    ``Path`` object per file costs more than the listing itself. ``listed``: each table folder's
    listing, kept while no name in the folder changes (taken from it, and added to it)."""
    base = Path(project) / DATASET
    files: list[tuple[str, str, str]] = []
    found: list[Issue] = []
    if not base.is_dir():
        return files, found
    for folder in sorted(base.iterdir()):
        shown = (DATASET / folder.name).as_posix()
        if folder.name.startswith("."):
            found.append(issue("hidden-file", shown, name=folder.name))
            continue
        if not folder.is_dir():
            if folder.name not in SIDE_FILES:
                found.append(issue("stray-file", shown, name=folder.name))
            continue
        if folder.name in RESERVED:
            continue
        if folder.name not in TABLES:
            found.append(issue("unknown-table", shown, table=folder.name, expected=", ".join(TABLES), hint=did_you_mean(folder.name, TABLES)))
            continue
        here = listed.get(shown) if listed is not None else None
        if here is None:
            here = Listing(*folder_files(folder.name, str(folder), shown))
            if listed is not None:
                listed[shown] = here
        files += here.files
        found += here.misplaced
    return files, found


def relist(project: Path, listed: dict[str, Listing], folders: Iterable[str], told: Mapping[str, list[tuple[str, bool]]] | None = None) -> tuple[set[str], set[str]] | None:
    """List these table folders (``dataset/<table>``) again into ``listed`` (what
    :func:`record_files` keeps of each): the record files that appeared in them and those that
    went (an editor that saves a file by renaming a new one over it leaves both empty), or None
    if one cannot be listed (a run lists it, and says why).

    Where only record files appeared or went, the old listing is patched with them, not made anew
    (a folder of the events of a million records holds 240,000 names). ``told``: for a folder, each
    name that came (True) or went (False) since its listing was made, in the order they did (what
    a :class:`~casd.curate.watch.Watcher` saw): the folder is then not listed at all."""
    appeared: set[str] = set()
    went: set[str] = set()
    known = True
    for shown in folders:
        old = listed.pop(shown, None)
        where = os.path.join(Path(project), shown)
        table = shown.rsplit("/", 1)[-1]
        then = (old.names if old.names is not None else _names(old, shown)) if old is not None else None
        names: list[str] | None = None
        if then is not None and told is not None and shown in told:
            last = dict(told[shown])  # (the last word on each name is how it stands)
            now = then.difference(n for n, came in last.items() if not came).union(n for n, came in last.items() if came)
        else:
            try:
                names = os.listdir(where)
            except OSError:
                known = False
                continue
            now = frozenset(names)
        if old is None or then is None:
            listed[shown] = Listing(*folder_files(table, where, shown, names), now)
            known = False
            continue
        if now == then:  # (a save by renaming: no name changed)
            listed[shown] = old._replace(names=then)
            continue
        new, gone = now - then, then - now
        if old.misplaced or not all(_record_name(name) for name in new):  # a misplaced name, or there was one: listed anew
            listing = Listing(*folder_files(table, where, shown, sorted(now)), now)
            before, after = ({f"{shown}/{stem}.yaml" for _, stem, _ in files} for files in (old.files, listing.files))
            appeared |= after - before
            went |= before - after
        else:
            files = list(old.files)
            for name in gone:
                del files[bisect.bisect_left(files, name[:-5], key=_stem)]
            for name in new:
                bisect.insort(files, (table, name[:-5], os.path.join(where, name)), key=_stem)
            listing = Listing(files, [], now)
            appeared |= {f"{shown}/{name}" for name in new}
            went |= {f"{shown}/{name}" for name in gone}
        listed[shown] = listing
    return (appeared, went) if known else None


def _stem(entry: tuple[str, str, str]) -> str:
    return entry[1]


def _record_name(name: str) -> bool:
    """Whether a name in a table folder is a record file's (else :func:`folder_files` reports it)."""
    return not name.startswith(".") and name.endswith(".yaml") and _SLUG.match(name[:-5]) is not None


def _names(listing: Listing, shown: str) -> frozenset[str]:
    """The names in a table folder that its listing (:func:`folder_files`) was made of."""
    return frozenset({f"{stem}.yaml" for _, stem, _ in listing.files} | {i.path.removeprefix(f"{shown}/") for i in listing.misplaced})


def folder_files(table: str, where: str, shown: str, names: list[str] | None = None) -> tuple[list[tuple[str, str, str]], list[Issue]]:
    """The record files of one table folder, in id order, and its misplaced files (``names``: the
    folder's names, if just listed)."""
    files: list[tuple[str, str, str]] = []
    found: list[Issue] = []
    for name in sorted(os.listdir(where) if names is None else names, key=lambda n: n.removesuffix(".yaml")):  # id order
        if name.startswith("."):
            found.append(issue("hidden-file", f"{shown}/{name}", name=name))
            continue
        if not _record_name(name):
            found.append(issue("bad-file-name", f"{shown}/{name}", name=name))
            continue
        files.append((table, name[:-5], os.path.join(where, name)))
    return files, found


def read_dataset(
    project: Path,
    cache: Cache | None = None,
    progress: Callable[[int, int], None] | None = None,
    then: Callable[[Dataset], Work] | None = None,
) -> tuple[Dataset, list[Issue]]:
    """Read and type every record under ``project/dataset``. Issues are collected, never raised.

    Files are parsed as they are read, a batch at a time, so their bytes are never all held at
    once; a record that typed cleanly keeps neither its raw data nor its positions (they are
    re-read from its file for the few records a rule finds fault with). With a
    :class:`~casd.curate.cache.Cache`, a file whose entry is still valid is not parsed again.

    With ``then``, the sources are read first, and ``then`` (given the dataset read so far) says
    what :class:`Work` to do on each of the other files where it is parsed, besides parsing it.
    """
    project = Path(project)
    data = Dataset(project)
    files, found = record_files(project, cache.listed if cache is not None and cache.held else None)
    if cache is not None and cache.patch is not None:
        files, data = _to_patch(project, cache)
        found += cache.untouched(cache.patch.read)
    if then is None:
        _read(files, data, cache, found, PARSE, progress, 0, len(files))
        return _in_order(data, files, cache), found
    first = [f for f in files if f[0] == FIRST]
    _read(first, data, cache, found, PARSE, progress, 0, len(files))
    _read([f for f in files if f[0] != FIRST], data, cache, found, then(data), progress, len(first), len(files))
    return _in_order(data, files, cache), found


def _in_order(data: Dataset, files: list[tuple[str, str, str]], cache: Cache | None) -> Dataset:
    """The dataset with each table in id order again, after a run that patched the last one read
    a file into a table that lacked it (a file that appeared, or was unreadable then)."""
    if cache is not None and cache.patch is not None:
        for table in {table for table, stem, _ in files if stem not in cache.patch.tables[table] and stem in data.tables[table]}:
            data.tables[table] = dict(sorted(data.tables[table].items()))
    return data


def _to_patch(project: Path, cache: Cache) -> tuple[list[tuple[str, str, str]], Dataset]:
    """For a run that patches the last one (:attr:`Cache.patch <casd.curate.cache.Cache.patch>`):
    the files to read (those a watcher saw touched or appear, and those without an entry), and
    the dataset of the last run for them to be read into (its tables copied, the files that went
    taken out, with their entries). Noted as the cache's ``todo``."""
    assert cache.patch is not None
    last = cache.patch
    cache.patching = True  # until a later stage finds it cannot
    data = Dataset(project, {table: dict(items) for table, items in last.tables.items()})
    files = []
    for shown in sorted(cache.suspect | last.entryless | cache.appeared | cache.went):
        table, stem = table_and_id(shown)
        if shown in cache.went:
            data.tables[table].pop(stem, None)
            cache.drop(shown)
            cache.todo.add(shown)
        elif table in data.tables and (stem in data.tables[table] or shown in last.entryless or shown in cache.appeared):
            files.append((table, stem, os.path.join(Path(project) / DATASET / table, f"{stem}.yaml")))
            cache.todo.add(shown)
    return files, data


#: the table read first when the other files are checked where they are parsed (their evidence is
#: anchored in the seeds its records name)
FIRST = "sources"

#: what a :class:`Work` gives for one file: the parsed file (None if it could not be read), its
#: issues, and the fields of its validation cache entry (none for a file the cache does not keep)
Done = tuple[RecordFile | None, list[Issue], dict[str, Any]]


@dataclass(frozen=True)
class Work:
    """What is done to each record file, in a worker process or in this one.

    ``chunk`` maps a batch of ``(table, id, shown path, path)`` to what it found (:data:`Done`), in
    order; it reads each file with :func:`read_file`. ``setup(*args)`` runs first in every process
    that runs ``chunk`` (both must be module-level functions, for a worker process to find them).
    ``eager``: the typed records that come back from a worker process, as bytes, are unpickled at
    once (else when first read; and a record typed in this process is packed as a worker's is, so
    that a run in one process holds what a run with workers holds). ``share(*args)`` runs in this
    process just before worker processes are forked, so that what it makes is shared by them all
    (copy on write) rather than made in each."""

    chunk: Callable[[list[tuple[str, str, str, str]]], list[Done]]
    setup: Callable[..., None] | None = None
    args: tuple[Any, ...] = ()
    eager: bool = True
    share: Callable[..., None] | None = None


def read_file(table: str, stem: str, shown: str, path: str) -> tuple[RecordFile | None, list[Issue], dict[str, Any], bytes]:
    """Read, parse and type one record file: the file (None if it cannot be read), its issues, what
    the validation cache keeps of a regular file (``stat`` and ``sha256``; nothing for a symbolic
    link) and the bytes read."""
    from .cache import digest, stat_of

    info = _regular(path)
    try:
        raw = read_regular(path, MAX_RECORD_BYTES)
    except FileRefused as e:
        return None, [issue("file-unreadable", shown, reason=str(e).split(": ", 1)[-1])], {}, b""
    except OSError as e:
        return None, [issue("file-unreadable", shown, reason=e.strerror or str(e))], {}, b""
    item, problems = read_record(table, stem, shown, raw)
    kept = {} if info is None else {"stat": stat_of(path, info), "sha256": digest(raw)}
    return item, problems, kept, raw


def lean(item: RecordFile, path: str, raw: bytes, digest: bytes | None = None) -> RecordFile:
    """A parsed file made lean: its issues are located already, and a typed record's positions are
    re-read from its file if a rule faults it, so no position is kept (``digest``: the sha256 of
    ``raw``, if taken already: the cache entry and the document then share it)."""
    item.doc = item.doc.without_positions(path, raw, digest)
    return item


def parse_chunk(chunk: list[tuple[str, str, str, str]]) -> list[Done]:
    """:func:`read_file` on each file of a batch."""
    out: list[Done] = []
    for args in chunk:
        item, problems, kept, raw = read_file(*args)
        out.append((item if item is None else lean(item, args[3], raw, kept.get("sha256")), problems, kept))
    return out


#: parsing and typing, nothing more
PARSE = Work(parse_chunk)


def _read(files: list[tuple[str, str, str]], data: Dataset, cache: Cache | None, found: list[Issue], work: Work, progress: Callable[[int, int], None] | None, done: int, total: int) -> None:
    """Each file's cached entry if it is still valid, else the work done on it (files are read
    where they are parsed, in the worker processes when there are any)."""
    batch: list[tuple[str, str, str, str]] = []

    shared: dict[Any, Any] = {}  # one object for each distinct tuple of cited sources or seed digests

    def keep(results: Iterator[tuple[Done, tuple[str, str, str, str]]]) -> None:
        for done, (table, stem, *_) in results:
            _receive(data, cache, found, done, table, stem, work.eager, shared)

    folder = DATASET.as_posix()
    entries = cache.entries if cache is not None else {}
    fresh = cache.fresh if cache is not None else set()
    with Parser(len(files), work) as parser:
        for n, (table, stem, path) in enumerate(files, start=done + 1):
            if progress is not None and n % 500 == 0:
                progress(n, total)
            shown = f"{folder}/{table}/{stem}.yaml"
            if shown in entries:
                assert cache is not None
                entry = cache.vouched(shown) if shown in fresh else None
                if entry is None and (info := _regular(path)) is not None:
                    entry, _, _ = cache.lookup(shown, path, info)
                if entry is not None:
                    data.tables[table][entry.item.id] = entry.item  # its own id, not the listing's copy of it
                    found += entry.issues
                    continue
            data.tables[table][stem] = _PENDING  # holds the file's place in id order until it is parsed
            batch.append((table, stem, shown, path))
            if len(batch) >= BATCH:
                keep(parser.submit(batch))
                batch = []
        keep(parser.submit(batch))
        keep(parser.drain())


def _receive(data: Dataset, cache: Cache | None, found: list[Issue], done: Done, table: str, stem: str, eager: bool, shared: dict[Any, Any]) -> None:
    """Keep what the work found for one file: its record in the dataset, its entry in the cache.

    ``shared``: the run's one copy of each tuple of cited sources and of seed digests. Records cite
    the same few sources, but each batch from a worker brings its own copies (a million entries
    held about 0.3 GB of them)."""
    from .cache import Entry

    item, problems, extra = done
    found.extend(problems)
    if item is None:  # unreadable
        del data.tables[table][stem]
        if cache is not None:
            cache.entryless.add(record_file(table, stem))
        return
    if eager:
        item.record  # noqa: B018 - unpickled now (if it came as bytes), while their memory can be reused
    elif item.stored is not None and not isinstance(item.stored, bytes):
        item.stored = pack(item.stored)  # typed in this process: held packed, as a worker's is (as objects, 1M records took 5.5 GB; packed, 3.2 GB)
    item.id = stem  # one string for the id, the key and the facts' id, not three (0.17 GB at 1M records)
    if item.facts is not None and item.facts.id == stem:
        item.facts.id = stem
    data.tables[table][stem] = item
    if item.refs:  # ids other records name too: one string each (they came in separate batches)
        item.refs = tuple(map(sys.intern, item.refs))
    if cache is not None and "stat" not in extra:
        cache.unkept = True  # (a symbolic link): the rules across records cannot know what it was last time
        cache.entryless.add(item.path)
    elif cache is not None:
        for name in ("cites", "seeds"):
            if extra.get(name):
                extra[name] = shared.setdefault(extra[name], extra[name])
        cache.store(item.path, Entry(item=item, issues=tuple(problems), **extra))


#: Files parsed in one batch (by a worker process, when there are any).
BATCH = 500


def _regular(path: str) -> os.stat_result | None:
    """The status of a regular file, not a symbolic link (only such files are cached); None otherwise."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


#: Below this many files to parse, one process is faster than a pool.
PARALLEL_FROM = 2000
#: what stands in a table for a file read but not parsed yet
_PENDING = RecordFile("", "", "", yamlio.Document(""))

B = TypeVar("B")


def workers() -> int:
    """How many processes parse: ``CASD_WORKERS``, or else the CPUs this process may use (at most 4:
    beyond that, taking the records back in this process is the bottleneck)."""
    value = os.environ.get("CASD_WORKERS", "").strip()
    if not value:
        try:
            return min(4, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return min(4, os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise CasdError(f"CASD_WORKERS={value!r}: expected a whole number of processes, 1 or more")
    return int(value)


#: prctl(2)'s option that names the signal a process gets when its parent ends (Linux)
PR_SET_PDEATHSIG = 1


def end_with_parent(parent: int) -> None:
    """Have Linux kill this process when its parent (process ``parent``) ends, so that a killed
    ``casd`` leaves none of its worker or child processes running (blocked on a queue no one will
    write to, they would otherwise wait for ever). If the parent ended before the signal was asked
    for, this process ends at once. SIGKILL, since a stopped process gets no other signal.
    Elsewhere than Linux, nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    try:
        asked = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return
    if asked and os.getppid() != parent:
        os._exit(1)


def end_with(pid: int) -> None:
    """End this process when process ``pid`` (not its parent) ends: a thread waits on a pidfd.
    For the workers of a fork server, whose parent (the server) waits for them in turn. Where
    pidfds are missing (not Linux, or before 5.3), nothing is done."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)  # it has ended already
    except (AttributeError, OSError):
        return

    def wait() -> None:
        select.select([fd], [], [])
        os._exit(1)

    threading.Thread(target=wait, name="casd: end with its caller", daemon=True).start()


def _start_worker(caller: int, setup: Callable[..., None] | None, args: tuple[Any, ...]) -> None:
    """A worker process's first step: it ends with the process that started the pool (its parent,
    or, for a fork server's worker, its parent's caller), then the work's ``setup``."""
    if os.getppid() == caller:
        end_with_parent(caller)
    else:
        end_with(caller)
    if setup is not None:
        setup(*args)


class Parser:
    """A :class:`Work` (by default :func:`read_record`) over batches of files, results in submission order.

    With 2 or more :func:`workers`, at least :data:`PARALLEL_FROM` files and a full batch of
    :data:`BATCH` files to parse (so not after one edit), batches are parsed in worker processes
    while this process goes on reading the next files, and each batch's results are taken back in
    order (measured at 100k files on 2 cores: 1.07 to 1.45 times faster than one process, by the
    hour; benchmarks/RESULTS.md). Otherwise each batch is parsed here when submitted. Workers are
    forked, or started from a fork server when another thread runs (a progress bar), since forking
    a process with threads is unsafe."""

    def __init__(self, files: int, work: Work = PARSE):
        self.work = work
        self.workers = workers()
        self.parallel = self.workers >= 2 and files >= PARALLEL_FROM
        self.pool: ProcessPoolExecutor | None = None  # started with the first full batch
        self.set_up_here = False
        self.pending: deque[tuple[Future[list[Done]], list[Any]]] = deque()

    def _start(self) -> ProcessPoolExecutor:
        method = "fork" if threading.active_count() == 1 else "forkserver"
        context = multiprocessing.get_context(method if sys.platform.startswith("linux") else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload([__name__])
        elif context.get_start_method() == "fork" and self.work.share is not None:
            self.work.share(*self.work.args)
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(), self.work.setup, self.work.args))

    def __enter__(self) -> Parser:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, batch: list[B]) -> Iterator[tuple[Done, B]]:
        """Work on a batch (each item starts with the four arguments of :func:`read_file`); yields
        the results that are ready, of this batch or earlier ones, in order."""
        if not batch:
            return
        args = [b[:4] for b in batch]  # type: ignore[index]  # see the docstring
        if self.pool is None and self.parallel and len(batch) >= BATCH:
            self.pool = self._start()
        if self.pool is None:  # a few files (after an edit, say) are parsed faster here
            if self.work.setup is not None and not self.set_up_here:
                self.work.setup(*self.work.args)
                self.set_up_here = True
            yield from zip(self.work.chunk(args), batch, strict=True)
            return
        self.pending.append((self.pool.submit(self.work.chunk, args), batch))
        while len(self.pending) > 2 * self.workers or (self.pending and self.pending[0][0].done()):
            yield from self._take()

    def drain(self) -> Iterator[tuple[Done, Any]]:
        """The results of every batch still pending, in order."""
        while self.pending:
            yield from self._take()

    def _take(self) -> Iterator[tuple[Done, Any]]:
        future, batch = self.pending.popleft()
        yield from zip(future.result(), batch, strict=True)
