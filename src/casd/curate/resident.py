"""A project's validation kept in memory between runs, for ``casd serve``.

A one-shot ``casd validate`` after one edit spends most of its time before it checks anything: it
imports casd, reads the validation cache back, lists the record folders and takes the status of
every file. A :class:`Resident` does that once. It holds the cache (:func:`casd.curate.cache.hold`),
so :func:`casd.curate.validate.validate` in this process finds every entry in memory; and a
:class:`~casd.curate.watch.Watcher` tells it which files were touched since the last run, so
the run lists only the folders whose names changed and looks only at the files the kernel saw
touched (their content decides). Everything else a run does is the same as a one-shot run's: the
side files and the seeds are read, the rules across records run over the whole dataset unless
their kept issues still hold (:func:`casd.curate.checks.run`), so the result is the one-shot
result (the tests compare them edit by edit).

Without inotify, or when the watcher cannot vouch for the files (:attr:`~casd.curate.watch.Changes.rescan`),
a run takes the status of every file, as a one-shot run does, but still without the imports and the
reading of the cache.
"""

from __future__ import annotations

import gc
from pathlib import Path

from .. import codekey
from ..errors import CasdError
from . import cache as cache_mod
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

    def before(self) -> None:
        """Get ready for a run: what the watcher saw since the last one decides which files are
        looked at. Raises :class:`Stale` if casd's code changed."""
        if codekey.compute(codekey.PACKAGE) != self.key:
            raise Stale("casd's code changed since `casd serve` started: start it again")
        c = self.cache
        changes = self.watcher.changes() if self.watcher is not None else None
        if changes is None or changes.rescan or changes.seeds:
            c.seeds = None
        if changes is None or changes.rescan:
            c.fresh = set()
            c.listed.clear()
        else:
            c.fresh -= changes.files
            c.suspect |= changes.files
            for folder in changes.folders:
                c.listed.pop(folder, None)
        c.begin()

    def after(self, ok: bool) -> None:
        """After a run (its answer given): keep what it checked, write the shards that changed. A run
        that failed vouches for nothing, and drops nothing from the cache."""
        c = self.cache
        if ok:
            c.write()
            c.fresh = c.seen & c.entries.keys()
            c.suspect -= c.seen
        else:
            c.fresh = set()
            c.seen = set()
            c.across = None  # the entries may have changed since it was found
        # the run's own garbage, then what is alive now is left out of every later collection
        gc.collect()
        gc.freeze()

    def close(self) -> None:
        """Let the cache and the watcher go (again: nothing), and what :meth:`after` froze back to
        the collector (frozen objects are never collected, not even at exit)."""
        gc.unfreeze()
        cache_mod.release(self.project)
        if self.watcher is not None:
            self.watcher.close()
            self.watcher = None
