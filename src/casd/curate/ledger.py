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
* when each shard of the cache was written: the entries the rules across records found their
  issues for;
* each source's seed file and sha256, to anchor an edited record in the seeds it cites.

The next run (:func:`answer`) takes the status of every record file, in two child processes
while it looks at the other inputs and imports what checking a changed file needs (the kernel's
``lstat`` is most of its time: about 0.3 s of CPU at 100k records), and answers from the ledger if:

* the code and every other input are as the ledger has them;
* at most :data:`MAX_CHANGED` record files changed (their status differs, or is not trusted), and
  none of them is a source;
* each changed file, read, typed, anchored and checked by the local rules on its own
  (:func:`casd.curate.alone.check_alone`, as the validation's workers check it), gives the rules
  across records what its entry in the cache gives them (its typing and facts: the entry in the
  shard written when the ledger says), and no issue of theirs lies in it, but for dangling
  references.

Nothing the rules across records or the published ids read has then changed but the changed
files' references, so they find what they found, and whether a changed file's references dangle
is found again from each table's ids (:func:`casd.curate.checks.references.dangling`): the answer is
the ledger's issues with the changed files' own issues replaced, which is what the whole validation
gives (``tests/test_ledger.py`` compares them, edit after edit, with a run without any cache). The
ledger then takes the changed files' status and issues. Otherwise :func:`answer` gives None, and
the whole validation runs (with its cache) and writes the ledger anew.

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
from ..paths import CACHE_DIR, DATASET, PACKAGE_META, RELEASES, SEEDS, TOMBSTONES
from .issues import Issue

if TYPE_CHECKING:
    from .cache import Cache
    from .evidence import SeedText
    from .load import Dataset

#: the ledger's file, in the cache's folder
NAME = "ledger-v1.bin"
#: what the ledger's file starts with (then the CRC-32 of the pickle that follows: :func:`casd.fs.framed`)
MAGIC = b"casd-ledger-1\n"
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
    shards: dict[int, int]
    """when each shard of the cache was written (:attr:`casd.curate.cache.Cache.written_ns`)"""
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


def inputs(project: Path, known: Inputs | None = None) -> Inputs:
    """The state of every input that is not a record file (``known``: an earlier state, whose table
    folders are not listed again while their status is the one it has: a million names take 1.5 s)."""
    project = Path(project)
    out: dict[str, Any] = {rel.as_posix(): _stat(project / rel) for rel in (PACKAGE_META, TOMBSTONES)}
    base = project / DATASET
    top = _names(base) or ()
    out["dataset/"] = tuple((name, os.path.isdir(base / name)) for name in top)
    folders: dict[str, bytes | None] = {}
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
    return Inputs(out, folders)


def write(project: Path, before: Inputs, data: Dataset, cache: Cache, seeds: Mapping[str, SeedText], issues: list[Issue]) -> None:
    """At the end of a whole one-shot validation that wrote its cache: write the ledger of what it
    found (``before``: :func:`inputs` as it began; ``seeds``: the seeds it anchored in). If the
    ledger cannot tell that run's state (an input changed while it ran, or too close to it; a file
    without a cache entry: an unreadable file or a symbolic link; a shard not written), the old
    ledger is removed instead: the next run is a whole one, and writes it."""
    from .anchors import seed_state

    target = path_of(project)
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
    ledger = Ledger(codekey.key(), now, before.state, before.folders, folders, stats, racy, files, tuple(i for i in issues if i not in own), dict(cache.written_ns), sources, seed_state(seeds))
    _save(target, ledger)


def _records(data: Dataset, cache: Cache, now: int) -> tuple[tuple[tuple[str, str], ...], bytes, frozenset[int], dict[str, tuple[Issue, ...]]] | None:
    """The ledger's :attr:`~Ledger.folders`, :attr:`~Ledger.stats`, :attr:`~Ledger.racy` and
    :attr:`~Ledger.files`, from the run's tables (in the order of its listing: each table folder's
    record files, by id) and the cache's entries (None if a record file has none)."""
    folders: list[tuple[str, str]] = []
    stats: list[bytes] = []
    files: dict[str, tuple[Issue, ...]] = {}
    entries = cache.entries
    for table, items in data.tables.items():
        key = f"{DATASET.as_posix()}/{table}/"
        for stem in items:
            entry = entries.get(f"{key}{stem}.yaml")
            if entry is None:
                return None
            stats.append(entry.stat)
            mine = entry.issues + entry.anchor_issues + (entry.rule_issues or ())
            if mine:
                files[f"{key}{stem}.yaml"] = mine
        folders.append((table, "\0".join(items)))
    blob = b"".join(stats)
    racy = frozenset(n for n, (_, mtime, ctime, _) in enumerate(STATUS.iter_unpack(blob)) if max(mtime, ctime) >= now - RACY_NS)
    return tuple(folders), blob, racy, files


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


def read(project: Path) -> Ledger | None:
    """The project's ledger, if there is one, undamaged and written by this very code."""
    try:
        ledger = pickle.loads(unframed(MAGIC, path_of(project).read_bytes()))  # noqa: S301 - a file this package wrote, its checksum checked
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
        now = inputs(project, Inputs(ledger.inputs, ledger.folders_status))
        if now.state != ledger.inputs:
            return None
        from ..model.relational import layout
        from . import alone, cache  # noqa: F401 - what checking a changed file needs: imported, and its layout made, while the statuses are taken

        layout()
        stats = taking.result()
    finally:
        taking.end()
    changed = None if stats is None else _changed(ledger, stats)
    if changed is None:
        return None
    if now.folders != ledger.folders_status:  # a folder listed again (a save by renaming, say): not the next time
        ledger = replace(ledger, folders_status=now.folders)
        if not changed:
            _save(path_of(project), ledger)
    if not changed:
        return Answer(sorted({*ledger.other, *(i for found in ledger.files.values() for i in found)}), ledger.count)
    try:
        return _recheck(project, ledger, changed)  # (which saves the ledger, folders' statuses and all)
    except _Fallback:
        return None


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


def _take(project: Path, part: _Part) -> bytes | None:
    """The status of every record file of a part, in its order (None: one is gone)."""
    now: list[bytes] = []
    for table, stems in part:
        try:
            fd = os.open(project / DATASET / table, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return None
        try:
            take = now.append
            for stem in stems:
                take(status(os.stat(f"{stem}.yaml", dir_fd=fd, follow_symlinks=False)))
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


def _recheck(project: Path, ledger: Ledger, changed: list[tuple[int, str, str]]) -> Answer:
    """Check the changed record files on their own, and patch the ledger with them (:class:`_Fallback`
    if the rules across records might find otherwise, or a file cannot be checked here)."""
    from .alone import check_alone, setting
    from .checks import RULES, read_across
    from .checks.references import dangling, references_exist
    from .load import read_file

    here = setting(project, _Seeds(project, ledger.seeds), ledger.seed_state)
    files = dict(ledger.files)
    stats = bytearray(ledger.stats)
    racy = set(ledger.racy)
    shards: dict[int, dict[str, Any]] = {}
    referring = next(r.codes for r in RULES if r.check is references_exist)
    elsewhere = {i.path for i in ledger.other if i.code not in referring}
    tables = _Ids(ledger)
    suggested: dict[str, Any] = {}
    looked = {f"{DATASET.as_posix()}/{table}/{stem}.yaml" for _, table, stem in changed}
    other = [i for i in ledger.other if i.path not in looked]  # (what lies in them is found again: their references)
    size = STATUS.size
    for position, table, stem in changed:
        shown = f"{DATASET.as_posix()}/{table}/{stem}.yaml"
        if table == "sources" or shown in elsewhere:
            raise _Fallback  # the seeds, or an issue of another rule across records (its place may have moved)
        item, problems, kept, _ = read_file(table, stem, shown, os.path.join(project, shown))
        if item is None or "stat" not in kept:
            raise _Fallback  # unreadable, or not a regular file: not kept by the cache
        found = tuple(problems)
        if item.typed:
            alone = check_alone(item, here)
            found += alone["anchor_issues"] + alone["rule_issues"]
        then, now_read = read_across(_entry(project, ledger, shards, shown).item, here.layout), read_across(item, here.layout)
        if (then is None) != (now_read is None) or (then is not None and now_read is not None and then[0] != now_read[0]):
            raise _Fallback  # its typing or a fact changed: the rules across records that read them would find otherwise
        if now_read is not None:  # its references, which may have changed: whether they dangle depends on nothing else
            other += dangling(item, tables, here.layout, suggested)
        if found:
            files[shown] = found
        else:
            files.pop(shown, None)
        stats[position * size : (position + 1) * size] = kept["stat"]
    now = time.time_ns()
    for position, _, _ in changed:  # its status as just taken: trusted once it is old enough
        if _recent(bytes(stats[position * size : (position + 1) * size]), now):
            racy.add(position)
        else:
            racy.discard(position)
    ledger = replace(ledger, written_ns=now, stats=bytes(stats), racy=frozenset(racy), files=files, other=tuple(other))
    _save(path_of(project), ledger)
    return Answer(sorted({*other, *(i for found in files.values() for i in found)}), ledger.count)


class _Ids(Mapping[str, set[str]]):
    """Each table's record ids, as the ledger has them (a table's made when first asked for: the
    events of a million records are 240,000 ids)."""

    def __init__(self, ledger: Ledger):
        self.joined = dict(ledger.folders)
        self.made: dict[str, set[str]] = {}

    def __getitem__(self, table: str) -> set[str]:
        if table not in self.made:
            self.made[table] = set(_split(self.joined[table]))
        return self.made[table]

    def __iter__(self) -> Iterator[str]:
        return iter(self.joined)

    def __len__(self) -> int:
        return len(self.joined)


def _entry(project: Path, ledger: Ledger, shards: dict[int, dict[str, Any]], shown: str) -> Any:
    """A record file's entry in the cache's shard, as it was when the ledger was written: what the
    rules across records read when they found the ledger's issues (``shards``: those read so far)."""
    from .cache import FOLDER, Entry, read_shard, shard_of

    n = shard_of(shown)
    if n not in shards:
        payload = read_shard(project / CACHE_DIR / FOLDER, n)
        if payload is None or payload.get("written_ns") != ledger.shards.get(n):
            raise _Fallback  # gone, damaged, or written since the ledger: its entries are not those the rules across records saw
        shards[n] = payload["entries"]
    old = shards[n].get(shown)
    if not isinstance(old, Entry):
        raise _Fallback
    return old
