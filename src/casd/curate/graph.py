"""The records as a graph: what the rules across records read of each record (its facts and its
references), which records refer to each, and those rules run again on the neighbourhood of a few
changed records rather than on every record.

The ledger (:mod:`casd.curate.ledger`) keeps a :class:`Graph` of the last whole validation, each
table's part pickled on its own and unpickled only when a run needs it. After a few record files
changed (edited, added, removed), :func:`near` finds again the issues of a rule across records
declared ``near`` (:attr:`casd.curate.checks.Rule.near`): such a rule's issues in a record depend
only on the facts of that record and of the records it refers to or that refer to it, within the
tables it reads. So the records whose issues may change are the changed ones and their neighbours
(before and after the change), and the rule, run on those records and their own neighbours, finds
for them what it finds when run on every record.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fs import MAX_RECORD_BYTES, FileRefused, read_regular
from ..paths import DATASET
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


class Graph:
    """Each table's typed records as :data:`Node`, and who refers to each record, by table, each
    table's part unpickled when first asked for (``nodes`` and ``into``: :meth:`parts` of another
    graph), and pickled again only if it changed."""

    def __init__(self, nodes: Mapping[str, bytes], into: Mapping[str, bytes]):
        self._nodes_blobs, self._into_blobs = dict(nodes), dict(into)
        self._nodes: dict[str, dict[str, Node]] = {}
        self._into: dict[str, dict[str, tuple[Key, ...]]] = {}
        self._changed: set[tuple[str, str]] = set()  # ("nodes" or "into", table) of the parts changed

    @classmethod
    def of(cls, nodes: Iterable[tuple[str, str, Node]]) -> Graph:
        """The graph of every typed record, given as ``(table, id, node)``."""
        made = cls({}, {})
        made._changed.add(("*", "*"))
        for table, rid, node in nodes:
            made._nodes.setdefault(table, {})[rid] = node
            for target in dict.fromkeys(pairs(node[1])):
                if target[0] not in UNFOLLOWED:
                    made._into.setdefault(target[0], {}).setdefault(target[1], ())
                    made._into[target[0]][target[1]] += ((table, rid),)
        return made

    def _table(self, table: str) -> dict[str, Node]:
        if table not in self._nodes:
            blob = self._nodes_blobs.get(table)
            self._nodes[table] = pickle.loads(blob) if blob is not None else {}  # noqa: S301 - pickled by parts(), inside the checksummed ledger
        return self._nodes[table]

    def _referrers(self, table: str) -> dict[str, tuple[Key, ...]]:
        if table not in self._into:
            blob = self._into_blobs.get(table)
            self._into[table] = pickle.loads(blob) if blob is not None else {}  # noqa: S301 - as above
        return self._into[table]

    def get(self, key: Key) -> Node | None:
        """A record's node (None: it is not typed, or not there)."""
        return self._table(key[0]).get(key[1])

    def referrers(self, key: Key) -> tuple[Key, ...]:
        """The typed records that refer to a record (none for a table in :data:`UNFOLLOWED`)."""
        return self._referrers(key[0]).get(key[1], ())

    def set(self, key: Key, node: Node | None) -> None:
        """A record's node as it is now (None: it does not type, or is gone)."""
        old = self.get(key)
        if old == node:
            return
        table = self._table(key[0])
        self._changed.add(("nodes", key[0]))
        if node is None:
            del table[key[1]]
        else:
            table[key[1]] = node
        before = set(pairs(old[1])) if old is not None else set()
        after = set(pairs(node[1])) if node is not None else set()
        for target in before - after:
            if target[0] not in UNFOLLOWED:
                into = self._referrers(target[0])
                self._changed.add(("into", target[0]))
                left = tuple(k for k in into.get(target[1], ()) if k != key)
                if left:
                    into[target[1]] = left
                else:
                    into.pop(target[1], None)
        for target in after - before:
            if target[0] not in UNFOLLOWED:
                into = self._referrers(target[0])
                self._changed.add(("into", target[0]))
                into[target[1]] = (*into.get(target[1], ()), key)

    def parts(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """Each table's nodes and referrers, pickled (only those that changed are pickled again)."""
        every = ("*", "*") in self._changed
        nodes = dict(self._nodes_blobs)
        nodes.update({t: _pickled(v) for t, v in self._nodes.items() if every or ("nodes", t) in self._changed})
        into = dict(self._into_blobs)
        into.update({t: _pickled(v) for t, v in self._into.items() if every or ("into", t) in self._changed})
        return nodes, into


def _pickled(part: dict[str, Any]) -> bytes:
    return pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)


@dataclass
class Change:
    """A record whose facts, typing or presence changed: its node before and after (None: not
    typed, or not there), and its file as read now (None: gone)."""

    before: Node | None
    after: Node | None
    item: RecordFile | None


class TooFar(Exception):
    """The neighbourhood of the changed records is too large to be worth checking apart."""


#: past this many records in a rule's neighbourhood, the whole validation is the better run
NEAR_LIMIT = 5000


def near(rule: Rule, changed: Mapping[Key, Change], graph: Graph, ids: Callable[[str], Iterable[str]], project: Path, layout: Layout) -> tuple[set[str], list[Issue]]:
    """What a ``near`` rule finds, now, in the record files whose issues of that rule may differ since
    the graph was made: those files, and their issues (``changed``: every record that changed;
    ``graph``: with those changes applied; ``ids``: a table's record ids now).

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
    present = {table: set(ids(table)) for table in tables}
    shown = {key: f"{DATASET.as_posix()}/{key[0]}/{key[1]}.yaml" for key in view}
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
