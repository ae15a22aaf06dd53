"""The whole validation, stage by stage: read the records, resolve the evidence, run the rules.

``dataset/package.yaml`` + ``dataset/<table>/*.yaml`` --:mod:`~casd.curate.load`--> typed
records --:mod:`~casd.curate.anchors`--> evidence offsets --:mod:`~casd.curate.checks`-->
issues. Every issue is collected; nothing is raised for bad data.

With the validation cache (:mod:`~casd.curate.cache`), the sources are read first; every other
file is then parsed, anchored and checked by the local rules on its own, where it is parsed
(:mod:`~casd.curate.alone`, in worker processes for a large dataset), and the later stages find
that work done, as they find the cached work of unchanged files. Without the cache each stage
runs here over the whole dataset: the reference the tests compare the cached runs with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..model.meta import PackageMeta
from ..model.records import Tombstone
from ..model.relational import layout
from ..paths import PACKAGE_META, TOMBSTONES
from . import alone, checks, ledger
from .anchors import Anchors, load_seeds, resolve
from .cache import Cache, open_cache
from .evidence import SeedText
from .issues import Issue, ValidationFailed, errors
from .load import Dataset, Work, read_dataset, read_lists, read_side_file


@dataclass(frozen=True)
class Validated:
    """What validation produced: the typed dataset, its metadata, the evidence anchors and every issue."""

    dataset: Dataset
    meta: PackageMeta | None
    anchors: Anchors
    issues: list[Issue]
    tombstones: tuple[Tombstone, ...] = ()

    @property
    def errors(self) -> list[Issue]:
        return errors(self.issues)

    def valid(self) -> Validated:
        """This result, or :class:`ValidationFailed` if any error was found."""
        if self.errors:
            raise ValidationFailed(self.issues)
        return self


def validate(project: Path, use_cache: bool = True, progress: Callable[[int, int], None] | None = None, records: bool = True) -> Validated:
    """Validate the dataset of a project folder: every issue at once (per-file results are reused
    from the validation cache where their files are unchanged: :mod:`casd.curate.cache`).

    ``records=False`` for a caller that reads only the issues: the typed records of unchanged files
    then stay pickled in the cache's form until (unless) something reads them. By default they are
    unpickled as the cache is read, which takes less memory than unpickling them later, one by one."""
    project = Path(project)
    cache = open_cache(project, records) if use_cache else None
    before = ledger.inputs(project) if cache is not None and cache.path is not None and not cache.held else None
    meta, found, _ = read_side_file(project, PACKAGE_META, PackageMeta)
    loaded: list[tuple[dict[str, SeedText], list[Issue]]] = []

    def then(sources: Dataset) -> Work:  # the sources are read: check every other file where it is parsed
        loaded.append(_seeds(sources, cache))
        return alone.work(project, loaded[0][0], records)

    data, problems = read_dataset(project, cache, progress, then if cache is not None else None)
    found += problems
    seeds, problems = loaded[0] if loaded else load_seeds(data)
    found += problems
    anchors, problems = resolve(data, seeds, cache)
    found += problems
    lists, problems, _ = read_lists(project, TOMBSTONES, {"retired": Tombstone})
    found += problems
    tombstones = tuple(t for t in lists["retired"] if isinstance(t, Tombstone))
    found += checks.run(checks.Context(data, anchors, layout(), tombstones, cached=cache is not None and cache.path is not None), cache)
    issues = sorted(set(found))
    if cache is not None:
        if cache.held:
            cache.remember(data, anchors.records, seeds)
        cache.save()
        if before is not None:
            ledger.write(project, before, data, cache, seeds, issues)
    return Validated(data, meta if isinstance(meta, PackageMeta) else None, anchors, issues, tombstones)


def _seeds(sources: Dataset, cache: Cache | None) -> tuple[dict[str, SeedText], list[Issue]]:
    """:func:`~casd.curate.anchors.load_seeds`, or what it gave the last run of a held cache, if
    the sources are the very same files and nothing in ``seeds/`` changed since (a watcher says so)."""
    if cache is None or not cache.held:
        return load_seeds(sources)
    items = tuple(sources.tables["sources"].values())
    if cache.seeds is not None and len(cache.seeds[0]) == len(items) and all(a is b for a, b in zip(cache.seeds[0], items, strict=True)):
        return cache.seeds[1]  # type: ignore[no-any-return]  # what load_seeds gave
    loaded = load_seeds(sources)
    cache.seeds = (items, loaded)
    return loaded

