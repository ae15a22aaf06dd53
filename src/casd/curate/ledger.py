"""The ledger: what the last whole validation found, file by file, beside each file's status, so that
a one-shot ``casd validate`` after a few edits answers without going over every record.

A one-shot run that wrote its cache (:mod:`casd.curate.cache`) also writes the ledger
(:func:`write`, ``.casd-cache/ledger-v1.bin``, framed with a CRC-32 like the shards). It holds:

* the key of casd's code (:func:`casd.codekey.key`) and when the ledger was written;
* the state of every input that is not a record file (:func:`inputs`): ``dataset/package.yaml``,
  ``dataset/tombstones.yaml``, the names and kinds of ``dataset/``'s entries, a digest of each table
  folder's names (and the folder's own status, so that it is listed again only once that changed),
  ``seeds/``'s names and its files' status, and every folder and file under ``build/releases/``;
* the status (size, mtime_ns, ctime_ns, inode) of every record file, and those changed within 2 s
  before the ledger was written (git's "racily clean" rule: their status is not trusted);
* the issues of each record file (reading and typing, anchoring, the local rules) and the run's
  other issues (the listing, the seeds, the rules across records, the published ids);
* the graph of the records (:mod:`casd.curate.graph`, its parts in ``.casd-cache/graph-v1/``): what
  the rules across records read of each typed record (its facts and references), and which records
  refer to each;
* each source's seed file and sha256, to anchor an edited record in the seeds it cites.

The next run (:func:`answer`) takes the status of every record file, in two child processes
while it looks at the other inputs and imports what checking a changed file needs (the kernel's
``lstat`` is most of its time: about 0.3 s of CPU at 100k records), and answers from the ledger if:

* the code and every other input are as the ledger has them, but the names in table folders;
* at most :data:`MAX_CHANGED` record files were edited, added or removed (an edited file's status
  differs, or is not trusted; a table folder whose status changed is listed again), none of them a
  source, and no name in their folders is misplaced (a hidden file, a bad name);
* every rule across records declares what it reads (:attr:`casd.curate.checks.Rule.near`,
  :attr:`~casd.curate.checks.Rule.ids`, or the references rule).

Each edited or added file is then read, typed, anchored and checked by the local rules on its own
(:func:`casd.curate.alone.check_alone`, as the validation's workers check it), and the ledger's
issues are patched:

* a file's own issues are replaced;
* where a file's typing or facts changed, or it was added or removed, each ``near`` rule runs again
  on the changed records and their neighbours (:func:`casd.curate.graph.near`), and its issues in
  those records are replaced;
* where a table's ids changed (a file added or removed), each rule that reads ids runs again;
* whether references dangle is found again (:func:`casd.curate.checks.references.dangling`) in
  each changed file, in the files that referred to a record now gone, and, when a
  table's ids changed, in every file that had a dangling reference (its hint may change).

That is what the whole validation gives (``tests/test_ledger.py`` compares them, edit after edit,
with a run without any cache, and the patched ledger with the one a whole run writes). Otherwise
(more files, a neighbourhood of more than :data:`casd.curate.graph.NEAR_LIMIT` records, any other
input) :func:`answer` gives None, and the whole validation runs (with its cache) and writes the
ledger anew.

Where the ledger cannot tell (a file changed within 2 s of its status being taken; a table
folder changed within 2 s of its listing), it does not trust the status: such a file is checked
again, such a folder listed again, on every run until they are older.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import codekey
from ..fs import MAX_SEED_BYTES, RACY_NS, STATUS, FileRefused, framed, read_regular, status, unframed, write_atomic
from ..paths import CACHE_DIR, DATASET, PACKAGE_META, RELEASES, SEEDS, TOMBSTONES, record_file
from .issues import Issue

if TYPE_CHECKING:
    from .cache import Cache
    from .evidence import SeedText
    from .graph import Change, Key, Node, Parts
    from .load import Dataset, RecordFile

#: the ledger's file, in the cache's folder
NAME = "ledger-v1.bin"
#: what the ledger's file starts with (then the CRC-32 of the pickle that follows: :func:`casd.fs.framed`)
MAGIC = b"casd-ledger-1\n"
#: the folder of the ledger's graph, in the cache's folder
GRAPH = "graph-v1"
#: past this many changed record files, the whole validation runs (it reads them in parallel)
MAX_CHANGED = 16


@dataclass(frozen=True)
class Ledger:
    """What :func:`write` keeps (see the module's documentation)."""

    key: str
    written_ns: int
    inputs: dict[str, Any]
    """the state of every input that is not a record file (:attr:`Inputs.state`)"""
    folders_status: dict[str, bytes | None]
    """each table folder's status when its names were last seen (:attr:`Inputs.folders`)"""
    folders: tuple[tuple[str, str], ...]
    """each table (``dataset/<table>``) and the ids of its record files, in the run's order, joined by
    NUL (one string: a million ids are read and written as fast as a few)"""
    stats: bytes
    """the status of every record file (:data:`casd.fs.STATUS`), in the order of :attr:`folders`"""
    racy: frozenset[int]
    """the positions in :attr:`stats` of the record files whose status is not trusted (changed
    within :data:`~casd.fs.RACY_NS` of its taking)"""
    files: dict[str, tuple[Issue, ...]]
    """the issues of each record file that has any"""
    other: tuple[Issue, ...]
    """every other issue"""
    graph: Parts
    """where the graph of the records is kept (what the rules across records read of every typed
    record, and who refers to whom: :class:`casd.curate.graph.Graph`), in :func:`graph_folder`"""
    seeds: dict[str, tuple[str, str]]
    """each source's seed file (relative to the project) and its sha256, for the seeds that loaded"""
    seed_state: tuple[dict[str, str], str]
    """:func:`casd.curate.anchors.seed_state` of those seeds"""

    @property
    def count(self) -> int:
        """How many record files the dataset has."""
        return len(self.stats) // STATUS.size


@dataclass(frozen=True)
class Answer:
    """What :func:`answer` found: every issue, sorted, and how many record files were checked."""

    issues: list[Issue]
    count: int


def path_of(project: Path) -> Path:
    """Where the project's ledger is kept."""
    return Path(project) / CACHE_DIR / NAME


def graph_folder(project: Path) -> Path:
    """Where the parts of the ledger's graph are kept."""
    return Path(project) / CACHE_DIR / GRAPH


def _stat(path: Path, follow: bool = True) -> bytes | None:
    try:
        return status(os.stat(path, follow_symlinks=follow))
    except OSError:
        return None


def _names(folder: Path) -> tuple[str, ...] | None:
    try:
        return tuple(sorted(os.listdir(folder)))
    except OSError:
        return None


def _split(joined: str) -> list[str]:
    """Names joined by NUL (which no file name holds), apart."""
    return joined.split("\0") if joined else []


@dataclass
class Inputs:
    """The state of every input of a validation that is not a record file (:func:`inputs`)."""

    state: dict[str, Any]
    """what is compared: the side files' status, ``dataset/``'s names and kinds, a digest of each
    table folder's names, the seeds' names and status (not followed: a linked seed is refused),
    every folder's names and every file's status under ``build/releases/``. Equal states: the
    same inputs, as far as status tells."""
    folders: dict[str, bytes | None]
    """each table folder's own status when it was listed (None if it had changed too recently to
    be trusted): while it is the same, no name in the folder changed, and it is not listed again"""
    names: dict[str, tuple[str, ...]]
    """the names of each table folder listed this time"""


def inputs(project: Path, known: Inputs | None = None) -> Inputs:
    """The state of every input that is not a record file (``known``: an earlier state, whose table
    folders are not listed again while their status is the one it has: a million names take 1.5 s)."""
    project = Path(project)
    out: dict[str, Any] = {rel.as_posix(): _stat(project / rel) for rel in (PACKAGE_META, TOMBSTONES)}
    base = project / DATASET
    top = _names(base) or ()
    out["dataset/"] = tuple((name, os.path.isdir(base / name)) for name in top)
    folders: dict[str, bytes | None] = {}
    listed: dict[str, tuple[str, ...]] = {}
    for name in top:
        if not os.path.isdir(base / name):
            continue
        key = f"dataset/{name}/"
        st = folders[key] = _stat(base / name)  # taken before the names: a name added after it changes it
        if st is not None and known is not None and known.folders.get(key) == st:
            out[key] = known.state[key]
            continue
        names = _names(base / name)
        out[key] = None if names is None else hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()
        if names is not None:
            listed[key] = names
        if st is not None and _recent(st, time.time_ns()):
            folders[key] = None
    seeds = _names(project / SEEDS)
    out["seeds/"] = seeds
    for name in seeds or ():
        out[f"seeds/{name}"] = _stat(project / SEEDS / name, follow=False)
    for folder, dirs, files in os.walk(project / RELEASES, followlinks=True):
        dirs.sort()
        rel = Path(folder).relative_to(project).as_posix()
        out[f"{rel}/"] = tuple(sorted(dirs + files))
        for name in files:
            out[f"{rel}/{name}"] = _stat(Path(folder) / name)
    return Inputs(out, folders, listed)


def write(project: Path, before: Inputs, data: Dataset, cache: Cache, seeds: Mapping[str, SeedText], issues: list[Issue]) -> None:
    """At the end of a whole one-shot validation that wrote its cache: write the ledger of what it
    found (``before``: :func:`inputs` as it began; ``seeds``: the seeds it anchored in). If the
    ledger cannot tell that run's state (an input changed while it ran, or too close to it; a file
    without a cache entry: an unreadable file or a symbolic link; a shard not written), the old
    ledger is removed instead: the next run is a whole one, and writes it."""
    from .anchors import seed_state
    from .graph import Graph, prune

    target = path_of(project)
    last = read(project)  # (its graph serves again if no record file changed)
    try:
        target.unlink(missing_ok=True)  # until the new one is written: never a ledger of an older state
    except OSError:
        return
    now = time.time_ns()
    if cache.path is None or cache.dirty or cache.entryless or inputs(project, before).state != before.state or _racy_inputs(before.state, now):
        return
    records = _records(data, cache, now)
    if records is None:
        return
    folders, stats, racy, files = records
    own = {i for found in files.values() for i in found}
    sources = {sid: (str(item.record.file), seeds[sid].sha256) for sid, item in data.tables["sources"].items() if sid in seeds and item.record is not None}  # type: ignore[attr-defined]  # a Source
    other = tuple(i for i in issues if i not in own)
    if last is not None and (last.folders, last.stats) == (folders, stats) and not last.racy and not racy and _present(project, last.graph):
        parts = last.graph  # every record file as the last ledger had it: the same graph (a seed or a side file changed, say)
    else:
        try:
            parts = Graph.of(graph_folder(project), _nodes(data), {table: len(items) for table, items in data.tables.items()}).save()
        except OSError:
            return
    ledger = Ledger(codekey.key(), now, before.state, before.folders, folders, stats, racy, files, other, parts, sources, seed_state(seeds))
    _save(target, ledger)
    prune(graph_folder(project), [parts])


def _present(project: Path, parts: Parts) -> bool:
    """Whether every part of a graph is there (a damaged one is removed when read: :meth:`casd.curate.graph.Graph.get`)."""
    folder = graph_folder(project)
    return all(name and (folder / name).is_file() for names in parts.values() for name in names)


def _records(data: Dataset, cache: Cache, now: int) -> tuple[tuple[tuple[str, str], ...], bytes, frozenset[int], dict[str, tuple[Issue, ...]]] | None:
    """The ledger's :attr:`~Ledger.folders`, :attr:`~Ledger.stats`, :attr:`~Ledger.racy` and
    :attr:`~Ledger.files`, from the run's tables (in the order of its listing: each table folder's
    record files, by id) and the cache's entries (None if a record file has none)."""
    folders: list[tuple[str, str]] = []
    stats: list[bytes] = []
    files: dict[str, tuple[Issue, ...]] = {}
    entries = cache.entries
    for table, items in data.tables.items():
        for stem in items:
            shown = record_file(table, stem)
            entry = entries.get(shown)
            if entry is None:
                return None
            stats.append(entry.stat)
            mine = entry.issues + entry.anchor_issues + (entry.rule_issues or ())
            if mine:
                files[shown] = mine
        folders.append((table, "\0".join(items)))
    blob = b"".join(stats)
    racy = frozenset(n for n, (_, mtime, ctime, _) in enumerate(STATUS.iter_unpack(blob)) if max(mtime, ctime) >= now - RACY_NS)
    return tuple(folders), blob, racy, files


def _nodes(data: Dataset) -> Iterator[tuple[str, str, Node]]:
    """The node of each typed record of the run (:class:`casd.curate.graph.Graph`)."""
    from ..model.relational import layout
    from .checks import read_across

    here = layout()
    for table, items in data.tables.items():
        for stem, item in items.items():
            node = read_across(item, here)
            if node is not None:
                yield table, stem, node


def _recent(packed: bytes, now: int) -> bool:
    """Whether a packed status is too recent at ``now`` to be trusted (its mtime or its ctime
    within :data:`~casd.fs.RACY_NS`)."""
    _, mtime, ctime, _ = STATUS.unpack(packed)
    return bool(max(mtime, ctime) >= now - RACY_NS)


def _racy_inputs(state: dict[str, Any], now: int) -> bool:
    """Whether a side file, seed or release file changed too close to ``now`` for its status to be trusted."""
    return any(isinstance(v, bytes) and _recent(v, now) for v in state.values())


def _save(target: Path, ledger: Ledger) -> None:
    try:
        target.parent.mkdir(exist_ok=True)
        write_atomic(target, framed(MAGIC, pickle.dumps(ledger, protocol=pickle.HIGHEST_PROTOCOL)))
    except OSError:
        pass  # no ledger costs time, never correctness


def read(project: Path, written: bytes | None = None) -> Ledger | None:
    """The project's ledger (or the ledger file's bytes ``written``), if there is one, undamaged and
    written by this very code."""
    try:
        ledger = pickle.loads(unframed(MAGIC, path_of(project).read_bytes() if written is None else written))  # noqa: S301 - a file this package wrote, its checksum checked
    except Exception:  # noqa: BLE001 - a missing or damaged ledger only means the whole validation runs
        return None
    if not isinstance(ledger, Ledger) or ledger.key != codekey.key():
        return None
    return ledger


def _held(project: Path) -> bool:
    """Whether this process holds the project's cache in memory (``casd serve``: it answers better)."""
    cache = sys.modules.get(f"{__package__}.cache")  # imported in any process that holds a cache (not here: 0.2 s)
    return cache is not None and bool(cache.is_held(project))


def answer(project: Path) -> Answer | None:
    """Every issue of the project's dataset, from the ledger and the few record files changed since
    it was written, or None if the whole validation must run (see the module's documentation)."""
    project = Path(project)
    if os.environ.get("CASD_NO_CACHE") or _held(project):
        return None
    ledger = read(project)
    if ledger is None:
        return None
    taking = _Taking(project, ledger)
    try:
        now = inputs(project, Inputs(ledger.inputs, ledger.folders_status, {}))
        if any(not _folder(key, ledger) for key in _differ(now.state, ledger.inputs)):
            return None
        from ..model.relational import layout
        from . import alone, cache  # noqa: F401 - what checking a changed file needs: imported, and its layout made, while the statuses are taken

        layout()
        listed = _relisted(ledger, now)
        stats = taking.result()
    finally:
        taking.end()
    changes = None if stats is None or listed is None else _changes(ledger, stats, listed)
    if changes is None:
        return None
    if now.folders != ledger.folders_status or now.state != ledger.inputs:  # a folder listed again (a save by renaming, say): not the next time
        ledger = replace(ledger, folders_status=now.folders, inputs=now.state)
        if not changes.any:
            _save(path_of(project), ledger)
    if not changes.any:
        return Answer(sorted({*ledger.other, *(i for found in ledger.files.values() for i in found)}), ledger.count)
    try:
        return _recheck(project, ledger, changes)  # (which saves the ledger, folders' statuses and all)
    except _Fallback:
        return None


def _differ(now: dict[str, Any], then: dict[str, Any]) -> list[str]:
    """The inputs whose state differs."""
    return [key for key in now.keys() | then.keys() if now.get(key) != then.get(key)]


def _table_of(key: str) -> str:
    """The table of an input that is a table folder (``dataset/<table>/``)."""
    return key.removeprefix(f"{DATASET.as_posix()}/").removesuffix("/")


def _folder(key: str, ledger: Ledger) -> bool:
    """Whether an input is one of the ledger's table folders (whose names may change: files added or removed)."""
    table = _table_of(key)
    return key == f"{DATASET.as_posix()}/{table}/" and any(t == table for t, _ in ledger.folders)


#: what a folder's listing reports of its names (a folder that has or had one is not patched)
_MISPLACED = frozenset({"hidden-file", "bad-file-name"})


def _relisted(ledger: Ledger, now: Inputs) -> dict[str, list[str]] | None:
    """The record files now of each table folder whose names changed, by id (None: a name in it
    is misplaced, or was, or the folder could not be listed)."""
    from .load import folder_files

    out: dict[str, list[str]] = {}
    joined = dict(ledger.folders)
    for key in _differ(now.state, ledger.inputs):
        if key not in now.names or any(i.code in _MISPLACED and i.path.startswith(key) for i in ledger.other):
            return None
        table = _table_of(key)
        then = _split(joined[table])
        names = set(now.names[key])
        known = {f"{stem}.yaml" for stem in then}  # (each a record file's name: no issue was found in the folder)
        files, misplaced = folder_files(table, "", key.removesuffix("/"), sorted(names - known))
        if misplaced:
            return None
        gone = {name.removesuffix(".yaml") for name in known - names}
        out[table] = sorted([stem for stem in then if stem not in gone] + [stem for _, stem, _ in files])  # (id order, as the listing's)
    return out


class _Fallback(Exception):
    """The ledger cannot answer: the whole validation runs."""


#: the child processes that take the statuses (:class:`_Taking`): with this one's imports, two CPUs' work
CHILDREN = 2

_Part = list[tuple[str, list[str]]]


def _parts(ledger: Ledger, n: int) -> list[_Part]:
    """The ledger's record files as ``(table, ids)`` in ``n`` parts of about the same size, in order."""
    parts: list[_Part] = [[] for _ in range(n)]
    per = -(-ledger.count // n) or 1
    at = 0
    for table, joined in ledger.folders:
        stems = _split(joined)
        while stems:
            part = parts[min(at // per, n - 1)]
            room = per - at % per if at // per < n - 1 else len(stems)
            part.append((table, stems[:room]))
            at += len(stems[:room])
            stems = stems[room:]
    return parts


#: the status taken of a record file that is gone
GONE = bytes(STATUS.size)


def _take(project: Path, part: _Part) -> bytes | None:
    """The status of every record file of a part, in its order (:data:`GONE` for a file that is
    gone; None: a folder is gone, or a status cannot be taken)."""
    now: list[bytes] = []
    for table, stems in part:
        try:
            fd = os.open(project / DATASET / table, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return None
        try:
            take = now.append
            for stem in stems:
                try:
                    take(status(os.stat(f"{stem}.yaml", dir_fd=fd, follow_symlinks=False)))
                except FileNotFoundError:
                    take(GONE)
        except OSError:
            return None
        finally:
            os.close(fd)
    return b"".join(now)


def _may_fork() -> bool:
    """Whether the statuses are taken in child processes: where the system forks, and this process
    runs no other thread (a thread holding a lock as it forks could deadlock the child)."""
    return hasattr(os, "fork") and threading.active_count() == 1


class _Taking:
    """:func:`_take` in :data:`CHILDREN` child processes, each a part, where this one can fork,
    while this one goes on: the kernel's ``lstat`` of every file and the imports on two CPUs (at
    100k records each takes about 0.25 s). Each child writes its statuses to a pipe, or nothing if
    a file is gone."""

    def __init__(self, project: Path, ledger: Ledger):
        self.project, self.ledger = project, ledger
        self.children: list[tuple[int, int]] = []  # (pid, the pipe's end to read)
        if not _may_fork():
            return
        for part in _parts(ledger, CHILDREN):
            r, w = os.pipe()
            try:
                pid = os.fork()
            except OSError:
                os.close(r)
                os.close(w)
                self.end()
                return
            if pid == 0:  # the child: nothing but the statuses, then out without Python's exit handlers
                try:
                    os.close(r)
                    stats = _take(project, part)
                    with os.fdopen(w, "wb") as out:
                        out.write(b"" if stats is None else b"+" + stats)
                finally:
                    os._exit(0)
            os.close(w)
            self.children.append((pid, r))

    def result(self) -> bytes | None:
        """The statuses (None: a file is gone, or a child was cut short)."""
        if self.children:
            got = []
            for _, fd in self.children:
                with os.fdopen(fd, "rb") as pipe:
                    got.append(pipe.read())
            self.children = [(pid, -1) for pid, _ in self.children]
            self.end()
            stats: bytes | None = b"".join(part[1:] for part in got) if all(part[:1] == b"+" for part in got) else None
        else:
            stats = _take(self.project, _parts(self.ledger, 1)[0])
        return stats if stats is not None and len(stats) == len(self.ledger.stats) else None

    def end(self) -> None:
        """End the children (at once, if their statuses were not read) and reap them."""
        for pid, fd in self.children:
            if fd >= 0:
                os.close(fd)
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.children = []


def _changed(ledger: Ledger, stats: bytes) -> list[tuple[int, str, str]] | None:
    """``(position, table, id)`` of each record file whose status (``stats``) differs from the
    ledger's or is not trusted (None: more than :data:`MAX_CHANGED`)."""
    size = STATUS.size
    changed = set(ledger.racy)
    if stats == ledger.stats and not changed:
        return []
    if stats != ledger.stats:
        view, old = memoryview(stats), memoryview(ledger.stats)
        step = 1024 * size  # compared a block at a time, then file by file in the blocks that differ
        for block in range(0, len(stats), step):
            if view[block : block + step] != old[block : block + step]:
                changed.update(i for i in range(block // size, min(block + step, len(stats)) // size) if view[i * size : (i + 1) * size] != old[i * size : (i + 1) * size])
    if len(changed) > MAX_CHANGED:
        return None
    out: list[tuple[int, str, str]] = []
    first = 0
    for table, joined in ledger.folders:
        stems = _split(joined)
        out += [(i, table, stems[i - first]) for i in sorted(changed) if first <= i < first + len(stems)]
        first += len(stems)
    return out


@dataclass(frozen=True)
class _Changes:
    """The record files changed since the ledger was written."""

    edited: list[tuple[int, str, str]]
    """``(position in the ledger, table, id)`` of each file whose status differs or is not trusted"""
    added: list[tuple[str, str]]
    """``(table, id)`` of each file added"""
    removed: list[tuple[int, str, str]]
    """``(position in the ledger, table, id)`` of each file removed"""
    stems: dict[str, list[str]]
    """each table folder whose names changed: its record files' ids now, in order"""

    @property
    def any(self) -> bool:
        return bool(self.edited or self.added or self.removed)


def _changes(ledger: Ledger, stats: bytes, listed: dict[str, list[str]]) -> _Changes | None:
    """What changed, from the statuses taken and the folders listed again (None: more than
    :data:`MAX_CHANGED` files, or a listing and a status that disagree: a file changing as they
    were taken)."""
    changed = _changed(ledger, stats)
    if changed is None:
        return None
    size = STATUS.size
    now = {table: set(stems) for table, stems in listed.items()}
    edited: list[tuple[int, str, str]] = []
    removed: list[tuple[int, str, str]] = []
    for position, table, stem in changed:
        gone = stats[position * size : (position + 1) * size] == GONE
        if table in now and stem not in now[table]:
            if not gone:
                return None
            removed.append((position, table, stem))
        elif gone:
            return None
        else:
            edited.append((position, table, stem))
    added: list[tuple[str, str]] = []
    for table, joined in ledger.folders:
        if table in now:
            then = set(_split(joined))
            if then - now[table] != {stem for _, t, stem in removed if t == table}:
                return None
            added += [(table, stem) for stem in listed[table] if stem not in then]
    if len(edited) + len(added) + len(removed) > MAX_CHANGED:
        return None
    return _Changes(edited, added, removed, listed)


class _Seeds(Mapping[str, "SeedText"]):
    """Each source's seed, read when a record first cites it (checked against the sha256 the ledger
    has: a seed changed behind a status that looks the same is not used)."""

    def __init__(self, project: Path, files: dict[str, tuple[str, str]]):
        self.project, self.files = project, files
        self.loaded: dict[str, SeedText] = {}

    def __getitem__(self, sid: str) -> SeedText:
        seed = self.loaded.get(sid)
        if seed is None:
            from .evidence import SeedText

            rel, digest = self.files[sid]
            try:
                raw = read_regular(self.project / rel, MAX_SEED_BYTES, follow_symlinks=False)
            except (OSError, FileRefused) as e:
                raise _Fallback from e
            if hashlib.sha256(raw).hexdigest() != digest:
                raise _Fallback
            seed = self.loaded[sid] = SeedText(raw.decode("utf-8"), digest)
        return seed

    def __contains__(self, sid: object) -> bool:  # (without reading the seed)
        return sid in self.files

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


#: past this many unchanged record files whose references must be checked again (those that referred
#: to a removed record, or held a dangling reference when a table's ids changed), the whole validation runs
MAX_REFERRING = 64


def _recheck(project: Path, ledger: Ledger, changes: _Changes) -> Answer:
    """Check the changed record files on their own, find again what the rules across records find
    in them and in their neighbours, and patch the ledger with it (:class:`_Fallback` if a rule
    might find otherwise elsewhere, or a file cannot be checked here)."""
    from .graph import Damaged, TooFar, prune

    patch = _Patch(project, ledger, changes)
    try:
        patch.read()
        patch.near()
        patch.ids()
        patch.references()
        parts = patch.graph.save()
    except (Damaged, TooFar, OSError) as e:
        raise _Fallback from e
    ledger = replace(_moved(ledger, changes, patch.taken), files=patch.files, other=tuple(patch.other), graph=parts)
    _save(path_of(project), ledger)
    prune(graph_folder(project), [parts])
    return Answer(sorted({*ledger.other, *(i for found in ledger.files.values() for i in found)}), ledger.count)


class _Patch:
    """The ledger's issues, patched for the record files changed (:func:`_recheck`, step by step)."""

    def __init__(self, project: Path, ledger: Ledger, changes: _Changes):
        from .alone import setting
        from .checks import RULES
        from .checks.references import references_exist
        from .graph import Graph

        self.project, self.changes = project, changes
        self.refs_codes = next(r.codes for r in RULES if r.check is references_exist)
        if any(not r.local and not r.near and not r.ids and r.check is not references_exist for r in RULES):
            raise _Fallback  # a rule across records whose issues the ledger cannot find apart
        self.here = setting(project, _Seeds(project, ledger.seeds), ledger.seed_state)
        self.graph = Graph(graph_folder(project), ledger.graph)
        self.tables = _Ids(ledger, changes.stems)
        self.looked = {(t, stem): record_file(t, stem) for _, t, stem in changes.edited + changes.removed} | {key: record_file(*key) for key in changes.added}
        if any(t == "sources" for t, _ in self.looked):
            raise _Fallback  # the seeds
        paths = set(self.looked.values())
        self.held = {i.code for i in ledger.other if i.path in paths}  # what the rules across records found in them: found again
        self.files = dict(ledger.files)
        self.other = [i for i in ledger.other if i.path not in paths]
        self.fresh: dict[Key, RecordFile] = {}
        self.changed: dict[Key, Change] = {}
        """each file read again, or gone: its record's node before and after"""
        self.taken: dict[Key, bytes] = {}

    def read(self) -> None:
        """Read and check each changed or added file on its own; note how each changed record's node changed."""
        from .alone import check_alone
        from .checks import read_across
        from .graph import Change
        from .load import read_file

        for key in [(t, stem) for _, t, stem in self.changes.edited] + self.changes.added:
            shown = self.looked[key]
            item, problems, kept, _ = read_file(key[0], key[1], shown, os.path.join(self.project, shown))
            if item is None or "stat" not in kept:
                raise _Fallback  # unreadable, or not a regular file: not kept by the cache
            found = tuple(problems)
            if item.typed:
                alone = check_alone(item, self.here)
                found += alone["anchor_issues"] + alone["rule_issues"]
            node = read_across(item, self.here.layout)
            self.changed[key] = Change(self.graph.get(key), node, item)
            self.graph.set(key, node)
            self.fresh[key] = item
            if found:
                self.files[shown] = found
            else:
                self.files.pop(shown, None)
            self.taken[key] = kept["stat"]
        for _, t, stem in self.changes.removed:
            self.changed[t, stem] = Change(self.graph.get((t, stem)), None, None)
            self.graph.set((t, stem), None)
            self.files.pop(self.looked[t, stem], None)

    def near(self) -> None:
        """What each ``near`` rule finds in the changed records and their neighbours."""
        from .checks import RULES
        from .graph import renear

        self.other = renear(RULES, self.other, self.changed, self.held, self.graph, self.tables.__getitem__, self.project, self.here.layout)

    def ids(self) -> None:
        """What the rules that read ids find, if a table's ids changed or an issue of theirs is in a changed file."""
        from ..model.records import Tombstone
        from .anchors import Anchors
        from .checks import RULES, Context
        from .load import read_lists

        mine = [r for r in RULES if r.ids]
        if not (self.changes.added or self.changes.removed or any(self.held & set(r.codes) for r in mine)):
            return
        retired = read_lists(self.project, TOMBSTONES, {"retired": Tombstone})[0]["retired"]
        ctx = Context(_id_view(self.project, self.tables, self.fresh), Anchors({}, {}), self.here.layout, tuple(retired), cached=True)
        for r in mine:
            self.other = [i for i in self.other if i.code not in r.codes] + list(r.check(ctx))

    def references(self) -> None:
        """Whether the references dangle: of each changed file, and of the unchanged files whose
        answer may have changed (:func:`casd.curate.graph.redangle`), each read again."""
        from .graph import redangle
        from .load import read_file

        def again(key: Key) -> RecordFile | None:
            shown = record_file(*key)
            return read_file(key[0], key[1], shown, os.path.join(self.project, shown))[0]

        ids_changed = bool(self.changes.added or self.changes.removed)
        self.other = redangle(self.other, self.refs_codes, self.changed, self.graph, self.tables, self.here.layout, again, ids_changed, MAX_REFERRING)


def _moved(ledger: Ledger, changes: _Changes, taken: dict[tuple[str, str], bytes]) -> Ledger:
    """The ledger's folders, statuses and untrusted statuses, with the files changed, added and
    removed (``taken``: the status of each file read). Every status the ledger did not trust was
    taken again (:func:`_changed`), so the untrusted ones are those just taken that are too recent."""
    size = STATUS.size
    now = time.time_ns()
    folders: list[tuple[str, str]] = []
    blobs: list[bytes] = []
    racy: set[int] = set()
    old_at = new_at = 0
    for table, joined in ledger.folders:
        old = _split(joined)
        block = ledger.stats[old_at * size : (old_at + len(old)) * size]
        if table in changes.stems:  # listed again: each status as just taken, or from its old place
            stems = changes.stems[table]
            where = {stem: i for i, stem in enumerate(old)}
            places = {stem: j for j, stem in enumerate(stems)}
            part = bytearray()
            for stem in stems:
                i = where.get(stem, -1)
                part += taken.get((table, stem)) or block[i * size : (i + 1) * size]
            joined = "\0".join(stems)
        else:
            stems, places, part = old, {stem: position - old_at for position, t, stem in changes.edited if t == table}, bytearray(block)
        for (t, stem), stat in taken.items():
            if t == table:
                j = places[stem]
                part[j * size : (j + 1) * size] = stat
                if _recent(stat, now):
                    racy.add(new_at + j)
        folders.append((table, joined))
        blobs.append(bytes(part))
        old_at += len(old)
        new_at += len(stems)
    return replace(ledger, written_ns=now, folders=tuple(folders), stats=b"".join(blobs), racy=frozenset(racy))


class _Ids(Mapping[str, set[str]]):
    """Each table's record ids now: the ledger's, or those of its folder listed again (a table's
    made when first asked for: the events of a million records are 240,000 ids)."""

    def __init__(self, ledger: Ledger, stems: dict[str, list[str]]):
        self.joined = dict(ledger.folders)
        self.stems = stems
        self.made: dict[str, set[str]] = {}

    def __getitem__(self, table: str) -> set[str]:
        if table not in self.made:
            self.made[table] = set(self.stems[table]) if table in self.stems else set(_split(self.joined[table]))
        return self.made[table]

    def __iter__(self) -> Iterator[str]:
        return iter(self.joined)

    def __len__(self) -> int:
        return len(self.joined)


class _IdTable(Mapping[str, Any]):
    """A table's records as a rule that reads only ids (:attr:`casd.curate.checks.Rule.ids`) sees
    them: each id, and a record file whose positions are read from it if an issue is placed in it."""

    def __init__(self, project: Path, table: str, ids: set[str], fresh: Mapping[tuple[str, str], Any]):
        self.project, self.table, self.ids, self.fresh = project, table, ids, fresh

    def __getitem__(self, rid: str) -> Any:
        from .graph import placed
        from .load import RecordFile

        if rid not in self.ids:
            raise KeyError(rid)
        item = self.fresh.get((self.table, rid))
        return item if item is not None else RecordFile(self.table, rid, record_file(self.table, rid), placed(self.project, record_file(self.table, rid)))

    def __contains__(self, rid: object) -> bool:
        return rid in self.ids

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


def _id_view(project: Path, tables: _Ids, fresh: Mapping[tuple[str, str], Any]) -> Dataset:
    """The dataset as a rule that reads only ids sees it."""
    from .load import Dataset

    return Dataset(project, {t: _IdTable(project, t, tables[t], fresh) for t in tables})  # type: ignore[misc]  # a mapping for a dict: the rule only looks ids up
