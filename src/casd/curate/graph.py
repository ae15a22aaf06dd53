"""The records as a graph: what the rules across records read of each record (its facts and its
references), which records refer to each, and those rules run again on the neighbourhood of a few
changed records rather than on every record.

The ledger (:mod:`casd.curate.ledger`) keeps a :class:`Graph` of the records as they are now, in
parts of about :data:`PART` records of a table, each a file named by the digest of its content,
read only when a run needs one of its records (and patched by each run that answers from the
ledger, which writes the parts it changed under their new names). After a few record files
changed (edited, added, removed), :func:`near` finds again the issues of a rule across records
declared ``near`` (:attr:`casd.curate.checks.Rule.near`): such a rule's issues in a record depend
only on the facts of that record and of the records it refers to or that refer to it, within the
tables it reads. So the records whose issues may change are the changed ones and their neighbours
(before and after the change), and the rule, run on those records and their own neighbours, finds
for them what it finds when run on every record.

:func:`renear` does that for every ``near`` rule, and :func:`redangle` finds again whether
references dangle where that may have changed. Both serve the ledger (over a :class:`Graph` on
disk) and ``casd serve`` (over :class:`Held`, the graph of the dataset it holds in memory, made
once and carried from run to run).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..fs import MAX_RECORD_BYTES, FileRefused, read_regular
from ..paths import record_file
from .issues import Issue
from .load import Dataset, RecordFile
from .yamlio import Document

if TYPE_CHECKING:
    from ..model.relational import Layout
    from .checks import Rule

#: a record: (table, id)
Key = tuple[str, str]
#: what the graph holds of a typed record: its facts' values (:func:`casd.curate.checks.values_of`)
#: and its references (:func:`casd.curate.checks.references.targets`)
Node = tuple[tuple[Any, ...], tuple[str, ...]]

#: references to these tables are not followed back: every quote cites a source, so a source is
#: referred to by most records (and an edited or removed source makes the whole validation run)
UNFOLLOWED = frozenset({"sources"})

#: the typed record of a record file that the graph stands for: not at hand (the rules across
#: records read only facts; reading it fails loudly)
UNREAD = b""


def pairs(refs: tuple[str, ...]) -> Iterator[Key]:
    """The records a flat ``(table, id, table, id, ...)`` tuple of references names."""
    for i in range(0, len(refs), 2):
        yield refs[i], refs[i + 1]


def edges(before: Node | None, after: Node | None) -> tuple[set[Key], set[Key]]:
    """The records a record no longer refers to, and those it now refers to (its node before and
    after: None for none)."""
    then = set(pairs(before[1])) if before is not None else set()
    now = set(pairs(after[1])) if after is not None else set()
    return then - now, now - then


#: about how many records (or records referred to) a part of a table's graph holds: a run after an
#: edit reads the parts that hold the records it looks at, not the whole table
PART = 1024

#: a graph's parts, where they are kept: (``"nodes"`` or ``"into"``, table) -> the file names of its
#: parts, in order (a record's part: :func:`part_of`)
Parts = dict[tuple[str, str], tuple[str, ...]]


class Neighbours(Protocol):
    """What :func:`near` reads of the records as they are now: a :class:`Graph` kept in parts on
    disk (a one-shot run), or :class:`Held` over a dataset in memory (``casd serve``)."""

    def get(self, key: Key) -> Node | None: ...

    def referrers(self, key: Key) -> tuple[Key, ...]: ...


class Damaged(Exception):
    """A part of the graph is missing or not what its name says."""


def part_of(rid: str, count: int) -> int:
    """Which of a table's ``count`` parts holds a record."""
    return zlib.crc32(rid.encode("utf-8", "surrogateescape")) % count


class Graph:
    """Each table's typed records as :data:`Node` (``"nodes"``), and the typed records that refer
    to each record (``"into"``), kept in ``folder`` as parts named by their content's digest, each
    read when first asked for and written again only if it changed (:meth:`save`)."""

    def __init__(self, folder: Path, parts: Parts):
        self.folder, self.parts = Path(folder), dict(parts)
        self._loaded: dict[tuple[str, str, int], dict[str, Any]] = {}
        self._changed: set[tuple[str, str, int]] = set()

    @classmethod
    def of(cls, folder: Path, nodes: Iterable[tuple[str, str, Node]], sizes: Mapping[str, int]) -> Graph:
        """The graph of every typed record, given as ``(table, id, node)`` table by table (each
        table's nodes are written once the next table's begin), every part saved or to be saved
        (``sizes``: how many record files each table has, which sets how many parts it has)."""
        made = cls(folder, {})
        for table, size in sizes.items():
            for kind in ("nodes", "into"):
                made._empty(kind, table, max(1, -(-size // PART)))
        loaded = made._loaded
        counts = {table: len(made.parts["nodes", table]) for table in sizes}
        current = None
        for table, rid, node in nodes:
            if table != current:  # a table's nodes written as soon as they are all there: one table's held at a time
                if current is not None:
                    made._write("nodes", current)
                current = table
            loaded["nodes", table, part_of(rid, counts[table])][rid] = node
            made._refers((table, rid), node[1], counts)
        if current is not None:
            made._write("nodes", current)
        for (kind, _, _), part in loaded.items():
            if kind == "into":
                for tid, keys in part.items():
                    part[tid] = tuple(keys)
        return made

    def _empty(self, kind: str, table: str, count: int) -> None:
        """``count`` empty parts for a table, to be saved."""
        self.parts[kind, table] = ("",) * count
        for n in range(count):
            self._loaded[kind, table, n] = {}
            self._changed.add((kind, table, n))

    def _refers(self, key: Key, refs: tuple[str, ...], counts: Mapping[str, int]) -> None:
        """Note ``key`` among the referrers of each record it refers to (as lists, while :meth:`of` runs)."""
        for i in range(0, len(refs), 2):
            target, tid = refs[i], refs[i + 1]
            if target not in UNFOLLOWED and target in counts:
                into = self._loaded["into", target, part_of(tid, counts[target])]
                found = into.get(tid)
                if found is None:
                    into[tid] = [key]
                elif found[-1] is not key:  # (a record that names a record twice is one referrer)
                    found.append(key)

    def _write(self, kind: str, table: str) -> None:
        """Write the parts of a table that changed, and let them go (read again if asked for)."""
        for n in range(len(self.parts[kind, table])):
            if (kind, table, n) in self._changed:
                self._save_part(kind, table, n)
                del self._loaded[kind, table, n]

    def _part(self, kind: str, table: str, rid: str) -> dict[str, Any]:
        names = self.parts.get((kind, table))
        if not names:  # a table with no part yet: one, empty
            names = self.parts[kind, table] = ("",)
            self._loaded[kind, table, 0] = {}
            self._changed.add((kind, table, 0))
        where = (kind, table, part_of(rid, len(names)))
        part = self._loaded.get(where)
        if part is None:
            part = self._loaded[where] = self._read(names[where[2]])
        return part

    def _read(self, name: str) -> dict[str, Any]:
        try:
            raw = (self.folder / name).read_bytes()
        except OSError as e:
            raise Damaged(name) from e
        if _name(raw) != name:
            with contextlib.suppress(OSError):
                os.unlink(self.folder / name)  # (the next whole validation makes it again)
            raise Damaged(name)
        part: dict[str, Any] = pickle.loads(raw)  # noqa: S301 - written by save(), its digest checked
        return part

    def get(self, key: Key) -> Node | None:
        """A record's node (None: it is not typed, or not there)."""
        node: Node | None = self._part("nodes", key[0], key[1]).get(key[1])
        return node

    def referrers(self, key: Key) -> tuple[Key, ...]:
        """The typed records that refer to a record (none for a table in :data:`UNFOLLOWED`)."""
        if key[0] in UNFOLLOWED:
            return ()
        keys: tuple[Key, ...] = self._part("into", key[0], key[1]).get(key[1], ())
        return keys

    def _touch(self, kind: str, table: str, rid: str) -> dict[str, Any]:
        part = self._part(kind, table, rid)
        self._changed.add((kind, table, part_of(rid, len(self.parts[kind, table]))))
        return part

    def set(self, key: Key, node: Node | None) -> None:
        """A record's node as it is now (None: it does not type, or is gone)."""
        old = self.get(key)
        if old == node:
            return
        mine = self._touch("nodes", key[0], key[1])
        if node is None:
            del mine[key[1]]
        else:
            mine[key[1]] = node
        lost, gained = edges(old, node)
        for target in lost:
            if target[0] not in UNFOLLOWED:
                into = self._touch("into", *target)
                left = tuple(k for k in into.get(target[1], ()) if k != key)
                if left:
                    into[target[1]] = left
                else:
                    into.pop(target[1], None)
        for target in gained:
            if target[0] not in UNFOLLOWED:
                into = self._touch("into", *target)
                into[target[1]] = (*into.get(target[1], ()), key)

    def save(self) -> Parts:
        """Write the parts that changed (each under its content's digest, if not there already: no
        part is ever rewritten), and say where every part is."""
        for kind, table, n in sorted(self._changed):
            self._save_part(kind, table, n)
        return dict(self.parts)

    def _save_part(self, kind: str, table: str, n: int) -> None:
        raw = pickle.dumps(self._loaded[kind, table, n], protocol=pickle.HIGHEST_PROTOCOL)
        name = _name(raw)
        if not (self.folder / name).exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{name}.tmp-{os.getpid()}"
            tmp.write_bytes(raw)  # (not synced: a part lost in a crash fails its digest, and the whole validation runs)
            os.replace(tmp, self.folder / name)
        names = list(self.parts[kind, table])
        names[n] = name
        self.parts[kind, table] = tuple(names)
        self._changed.discard((kind, table, n))


def _name(raw: bytes) -> str:
    """A part's file name: the digest of its content."""
    return hashlib.sha256(raw).hexdigest()[:32]


def prune(folder: Path, kept: Iterable[Parts]) -> None:
    """Remove every part in ``folder`` that none of ``kept`` names (a run that still reads one
    finds it missing, and runs the whole validation)."""
    names = {name for parts in kept for names in parts.values() for name in names}
    try:
        present = os.listdir(folder)
    except OSError:
        return
    for name in present:
        if name not in names:
            with contextlib.suppress(OSError):
                os.unlink(folder / name)


@dataclass
class Change:
    """A record file read again, or gone: its node before and after (None: not typed, or not
    there), and its file as read now (None: gone)."""

    before: Node | None
    after: Node | None
    item: RecordFile | None

    @property
    def moved(self) -> bool:
        """Whether the record's typing, facts or presence changed (not only its text or references)."""
        before, after = self.before, self.after
        return self.item is None or (before is None) != (after is None) or (before is not None and after is not None and before[0] != after[0])


class TooFar(Exception):
    """The neighbourhood of the changed records is too large to be worth checking apart."""


#: past this many records in a rule's neighbourhood, the whole validation is the better run
NEAR_LIMIT = 5000


def near(
    rule: Rule, changed: Mapping[Key, Change], graph: Neighbours, ids: Callable[[str], Collection[str]], project: Path, layout: Layout, dataset: Dataset | None = None
) -> tuple[set[str], list[Issue]]:
    """What a ``near`` rule finds, now, in the record files whose issues of that rule may differ since
    the graph was made: those files, and their issues (``changed``: every record that changed;
    ``graph``: with those changes applied; ``ids``: a table's record ids now; ``dataset``: the
    record files themselves, if they are at hand, else each unchanged one stands in for its file).

    :class:`TooFar` when the neighbourhood holds more than :data:`NEAR_LIMIT` records."""
    from .anchors import Anchors
    from .checks import Context

    tables = set(rule.reads)
    here = {key: change for key, change in changed.items() if key[0] in tables}
    if not here:
        return set(), []

    def around(key: Key, *nodes: Node | None) -> Iterator[Key]:
        for node in nodes:
            if node is not None:
                yield from (k for k in pairs(node[1]) if k[0] in tables)
        yield from (k for k in graph.referrers(key) if k[0] in tables)

    subjects = set(here)
    for key, change in here.items():
        subjects.update(around(key, change.before, change.after))
    view = set(subjects)
    for key in subjects:
        view.update(around(key, graph.get(key)))
        if len(view) > NEAR_LIMIT:
            raise TooFar
    present = {table: ids(table) for table in tables}
    shown = {key: record_file(*key) for key in view}
    data = Dataset(project)
    for key in sorted(view):
        table, rid = key
        if rid not in present[table]:
            continue  # a reference to nothing: what the references rule reports
        now = changed.get(key)
        if now is not None:
            assert now.item is not None  # (a record gone is not in present)
            data.tables[table][rid] = now.item
            continue
        if dataset is not None:
            data.tables[table][rid] = dataset.tables[table][rid]
            continue
        node = graph.get(key)
        doc = placed(project, shown[key]) if key in subjects else Document(shown[key])  # (the issues of the others are not kept)
        data.tables[table][rid] = RecordFile(table, rid, shown[key], doc, UNREAD if node is not None else None, node[1] if node is not None else None, node[0] if node is not None else None)
    paths = {shown[key] for key in subjects}
    ctx = Context(data, Anchors({}, {}), layout)
    return paths, [i for i in rule.check(ctx) if i.path in paths]


def placed(project: Path, shown: str) -> Document:
    """The document of an unchanged record file, its positions read from the file if an issue asks."""
    try:
        raw = read_regular(project / shown, MAX_RECORD_BYTES)
    except (OSError, FileRefused):
        raw = None  # gone since its status was taken: the issue is at the top of the file, and the next run sees it gone
    return Document(shown, raw=raw)


def renear(
    rules: Iterable[Rule],
    issues: list[Issue],
    changed: Mapping[Key, Change],
    held: Collection[str],
    graph: Neighbours,
    ids: Callable[[str], Collection[str]],
    project: Path,
    layout: Layout,
    dataset: Dataset | None = None,
) -> list[Issue]:
    """``issues`` with what each ``near`` rule finds again after the ``changed`` record files (each
    read again, or gone; ``graph``: with the changes applied). A rule runs again around the records
    whose typing, facts or presence changed, and around every changed one if ``held`` names one of
    its codes (an issue of it lay in a changed file, and its place may have moved). The caller took
    every issue in the changed files out of ``issues``. :class:`TooFar` as :func:`near`."""
    moved = {key: change for key, change in changed.items() if change.moved}
    for r in rules:
        if r.near:
            places, found = near(r, changed if set(held) & set(r.codes) else moved, graph, ids, project, layout, dataset)
            issues = [i for i in issues if not (i.code in r.codes and i.path in places)] + found
    return issues


def redangle(
    issues: list[Issue],
    codes: Collection[str],
    changed: Mapping[Key, Change],
    graph: Neighbours,
    tables: Mapping[str, Collection[str]],
    layout: Layout,
    again: Callable[[Key], RecordFile | None],
    ids_changed: bool,
    limit: int,
) -> list[Issue]:
    """``issues`` with whether references dangle (``codes``: those of the references rule) found
    again: in each changed file, in the files that referred to a record now gone, and, if a table's
    ids changed (``ids_changed``: a file added or removed), in every file that had a dangling
    reference (its hint may change). The caller took every issue in the changed files out of
    ``issues``; ``again`` gives an unchanged record file as it is now. :class:`TooFar` for more than
    ``limit`` unchanged files to look at, or one that no longer types."""
    from .checks.references import dangling
    from .load import table_and_id

    suggested: dict[str, Any] = {}
    issues = list(issues)
    for change in changed.values():
        if change.item is not None and change.item.typed:
            issues += dangling(change.item, tables, layout, suggested)
    look = {k for key, change in changed.items() if change.item is None for k in graph.referrers(key)}  # (gone: an untyped file's id still stands)
    if ids_changed:
        look.update(table_and_id(i.path) for i in issues if i.code in codes)
    look -= changed.keys()
    if len(look) > limit:
        raise TooFar
    for key in sorted(look):
        item = again(key)
        if item is None or not item.typed:
            raise TooFar  # (changed since its status was taken)
        issues = [i for i in issues if not (i.path == item.path and i.code in codes)] + list(dangling(item, tables, layout, suggested))
    return issues


class Held:
    """The graph of a dataset held in memory (``casd serve``): each record's node worked out from its
    record file, and the records that refer to each, kept up to date run after run (:meth:`move`)."""

    def __init__(self, data: Dataset, layout: Layout):
        from .checks.references import targets

        self.data, self.layout = data, layout
        self.into: dict[Key, list[Key]] = {}
        for item in data.all():
            if item.stored is not None:
                self._refer((item.table, item.id), set(pairs(targets(item, layout))))

    def get(self, key: Key) -> Node | None:
        from .checks import read_across

        return read_across(self.data.tables.get(key[0], {}).get(key[1]), self.layout)

    def referrers(self, key: Key) -> tuple[Key, ...]:
        return tuple(self.into.get(key, ()))

    def _refer(self, key: Key, targets: Iterable[Key]) -> None:
        into = self.into
        for target in targets:
            if target[0] not in UNFOLLOWED:
                found = into.get(target)
                if found is None:
                    into[target] = [key]
                else:
                    found.append(key)

    def move(self, data: Dataset, changed: Mapping[Key, Change]) -> None:
        """The graph of ``data``: the last one's, with the references of the ``changed`` records as they are now."""
        self.data = data
        for key, change in changed.items():
            lost, gained = edges(change.before, change.after)
            for target in lost:
                found = self.into.get(target)
                if found is not None and key in found:
                    found.remove(key)
                    if not found:
                        del self.into[target]
            self._refer(key, gained)
