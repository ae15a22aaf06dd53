"""A project's validation kept in memory between runs, for ``casd serve``.

A one-shot ``casd validate`` after one edit spends most of its time before it checks anything: it
imports casd, reads the validation cache back, lists the record folders and takes the status of
every file. A :class:`Resident` does that once. It holds the cache (:func:`casd.curate.cache.hold`),
so :func:`casd.curate.validate.validate` in this process finds every entry in memory; and a
:class:`~casd.curate.watch.Watcher` tells it which files were touched since the last run, so
the run lists no folder and looks only at the files the kernel saw touched (their content
decides).

Unless something in ``seeds/`` changed (or the watcher lost track), a run patches the last
complete run's results (:class:`casd.curate.cache.Last`) rather than going over every record: the
listing of each folder whose names changed is patched with the names the kernel saw come and go
(:func:`casd.curate.load.relist`), to know which record files appeared and went; the
run copies the last run's dataset, drops the files that went, and reads, anchors and checks again
only the files the watcher saw touched or appear and those without an entry (unreadable ones,
symbolic links); every other file's issues and anchors are the last run's. So the answer after
one edit costs what that file costs, plus copying the tables, at any size. An edited source
cannot be patched past its reading: its seeds are read again, and its records anchored and
checked again, over the whole dataset.

Everything else is the same as a one-shot run's: the side files and the seeds are read, and the
rules across records keep their issues if nothing they read changed; else a patched run finds
them again around the records that changed (their neighbours, and the files that referred to a
record gone: :func:`casd.curate.graph.renear` and :func:`~casd.curate.graph.redangle`, as the
ledger does), over the graph of the records that the resident makes once, after its first
answer, and keeps up to date (:class:`casd.curate.graph.Held`). Past a few hundred files changed,
or a neighbourhood of thousands, they run over the whole dataset (:func:`casd.curate.checks.run`).
So the result is the one-shot result (the tests compare them edit by edit, and a patched run with
a cold run, in its issues, its tables and its anchors).

Without inotify, or when the watcher cannot vouch for the files (:attr:`~casd.curate.watch.Changes.rescan`),
a run takes the status of every file, as a one-shot run does, but still without the imports and the
reading of the cache.
"""

from __future__ import annotations

import gc
from pathlib import Path

from .. import codekey
from ..errors import CasdError
from ..model.relational import layout
from . import cache as cache_mod
from .graph import Held
from .load import Dataset, relist
from .watch import Watcher, watcher


class Stale(CasdError):
    """casd's own code changed since the resident validation started: its results cannot be trusted."""

    exit_code = 2


class Resident:
    """One project's cache, held in memory, and the watcher of its record folders."""

    def __init__(self, project: Path) -> None:
        self.project = Path(project)
        self.key = cache_mod.key()
        self.watcher: Watcher | None = watcher(self.project)  # before the first run: it sees every later change
        self.cache = cache_mod.hold(self.project)
        self._ready = False  # between before() and after(): a run is under way
        #: the answers given since the last :meth:`settle` (0: nothing left to do)
        self.unsettled = 0
        self._write = False  # whether settle() writes the shards: the last run ended well

    def before(self) -> None:
        """Get ready for a run: what the watcher saw since the last one decides which files are
        looked at. Raises :class:`Stale` if casd's code changed."""
        if codekey.compute(codekey.PACKAGE) != self.key:
            raise Stale("casd's code changed since `casd serve` started: start it again")
        c = self.cache
        if self._ready:  # the last before() was not followed by a run's end: the files that appeared
            c.last = None  # and went since the last complete run are no longer all known
        self._ready = True
        changes = self.watcher.changes() if self.watcher is not None else None
        if changes is None or changes.rescan or changes.seeds:
            c.seeds = None
        if changes is None or changes.rescan:
            c.fresh = set()
            c.listed.clear()
        else:
            c.fresh -= changes.files
            c.suspect |= changes.files
        # the listings of the folders whose names changed are patched (here, not by the run): the
        # files that appeared and went since the last run are known, and unless a seed changed, the
        # run patches that run's results
        moved = relist(self.project, c.listed, changes.folders, changes.entries) if changes is not None and not changes.rescan else None
        c.begin()
        if moved is not None and changes is not None and not changes.seeds:
            c.patch = c.last
            c.appeared, c.went = moved

    def after(self, ok: bool) -> None:
        """After a run (its answer given): keep what it checked. Writing the shards that changed and
        collecting the run's garbage wait for :meth:`settle` (the server settles once no request is
        waiting: a burst of saves is answered without waiting for them). A run that failed vouches
        for nothing, and drops nothing from the cache; its shards wait for a run that ends well."""
        c = self.cache
        self._ready = False
        if ok:
            c.prune()
            if c.last is not None and c.last.graph is None and not c.unkept:  # made now, before the next run: a run that changes what
                c.last.graph = Held(Dataset(self.project, c.last.tables), layout())  # a rule across records reads runs them around the change
            if c.patch is not None:  # it looked only at the files it did not vouch for
                c.fresh |= {shown for shown in c.seen if shown in c.entries}
            else:
                c.fresh = c.seen & c.entries.keys()
            c.suspect -= c.seen | c.went
        else:
            c.fresh = set()
            c.seen = set()
            c.across = None  # the entries may have changed since it was found
            c.last = None  # a run cut short: it is not what a complete run would have found
        c.patch = None
        self.unsettled += 1
        self._write = ok

    def settle(self) -> None:
        """What :meth:`after` left to do: write the shards that changed (if the last run ended well),
        then collect the runs' garbage and leave what is alive now out of every later collection."""
        if self._write:
            self.cache.write()
        self._write = False
        self.unsettled = 0
        gc.collect()
        gc.freeze()

    def close(self) -> None:
        """Let the cache and the watcher go (again: nothing), and what :meth:`settle` froze back to
        the collector (frozen objects are never collected, not even at exit)."""
        gc.unfreeze()
        cache_mod.release(self.project)
        if self.watcher is not None:
            self.watcher.close()
            self.watcher = None
