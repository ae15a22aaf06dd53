"""Each record file checked on its own, where it is parsed.

Once the sources are read and their seeds loaded, every other record file is parsed, typed,
anchored in its seeds (:func:`casd.curate.anchors.anchor_one`) and checked by the local rules
(:func:`casd.curate.checks.run_alone`) in the worker process that parsed it, which also works out
the facts and references the rules across records read (:func:`casd.curate.checks.facts`). What
comes back is what the validation cache keeps of the file (:class:`casd.curate.cache.Entry`),
its typed record as bytes: the main process then holds no record object for a file it needs only
the issues of, and all this work runs on every core. :func:`casd.curate.anchors.resolve` and
:func:`casd.curate.checks.run` find it done and reuse it, as they reuse a cached entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.relational import Layout, layout
from .anchors import Anchors, Library, anchor_one, seed_state
from .checks import facts, run_alone
from .checks.references import targets
from .evidence import SeedText
from .load import Done, RecordFile, Work, lean, read_file


@dataclass(frozen=True)
class _Setting:
    root: Path
    seeds: Mapping[str, SeedText]
    library: Library
    every: dict[str, str]
    all_seeds: str
    layout: Layout


#: what :func:`check_chunk` reads, set by :func:`setup` in each process that runs it
_HERE: _Setting | None = None


def setup(root: Path, seeds: dict[str, SeedText]) -> None:
    """Make the seeds and the layout known to this process (a worker's initializer)."""
    global _HERE
    _HERE = setting(root, seeds)


def setting(root: Path, seeds: Mapping[str, SeedText], state: tuple[dict[str, str], str] | None = None) -> _Setting:
    """What :func:`check_alone` reads (``state``: :func:`~casd.curate.anchors.seed_state` of the
    seeds, if known: then no seed is read before a record cites it)."""
    every, all_seeds = seed_state(seeds) if state is None else state
    return _Setting(root, seeds, Library(seeds), every, all_seeds, layout())


def work(root: Path, seeds: dict[str, SeedText], records: bool) -> Work:
    """The work for :func:`casd.curate.load.read_dataset`: each file checked on its own where it is
    parsed (``records``: unpickle the typed records as they come back, for a caller that reads them)."""
    return Work(check_chunk, setup, (root, seeds), eager=records, share=share)


def share(root: Path, seeds: dict[str, SeedText]) -> None:
    """Normalise every seed's text before the worker processes are forked, so they share one copy
    (each worker made its own: about 0.2 GB each for the 13,735 seeds of a million records)."""
    for seed in seeds.values():
        seed.norm  # noqa: B018 - computed and kept


def check_chunk(chunk: list[tuple[str, str, str, str]]) -> list[Done]:
    """Read, parse, type and check each file of a batch on its own."""
    here = _HERE
    assert here is not None, "setup() runs first"
    out: list[Done] = []
    cited: set[str] = set()
    for args in chunk:
        item, problems, kept, raw = read_file(*args)
        if item is not None:
            if item.typed:
                kept.update(check_alone(item, here))
                cited.update(kept["cites"])
            lean(item, args[3], raw, kept.get("sha256"))
        out.append((item, problems, kept))
    for sid in cited & here.seeds.keys():
        here.seeds[sid].forget()
    return out


def check_alone(item: RecordFile, here: _Setting) -> dict[str, Any]:
    """The fields of a typed record's cache entry: its anchors and what the local rules found."""
    found = anchor_one(item, here.library, here.every, here.all_seeds)
    found["rule_issues"] = run_alone(item, Anchors(here.seeds, {(item.table, item.id): found["anchors"]}), here.layout, here.root)
    facts(item)
    targets(item, here.layout)
    return found
