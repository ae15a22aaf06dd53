"""Ids over time: retired ids stay retired, published ids never vanish or change table.

Reads the published releases through the consumer side's verified reader
(:mod:`casd.read.releases`): a tampered release stops validation with an integrity error.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

from ... import codekey
from ...fs import write_atomic
from ...model.records import TABLES
from ...paths import CACHE_DIR, RELEASES, TOMBSTONES
from ...read.releases import open_release, read_index
from ..issues import Issue, issue
from . import Context, rule


def published_ids(ctx: Context) -> list[tuple[str, dict[str, set[str]]]]:
    """(version, table -> ids) for every published release, oldest first.

    Every run reads each release's files and checks them against its ``SHA256SUMS``; with the
    validation cache (``ctx.cached``), the ids of a Parquet file already seen (by its sha256) are
    taken from ``.casd-cache/`` rather than decoded again, so that a run after an edit imports no
    pyarrow (about 0.15 s of a small project's 0.5 s)."""
    base = ctx.dataset.root / RELEASES
    known = _known(ctx.dataset.root) if ctx.cached else {}
    seen: dict[str, tuple[str, ...]] = {}
    out = []
    for entry in read_index(base):
        release = open_release(entry["version"], base)
        present = set(release.table_names())  # a table the release does not have is empty
        tables: dict[str, set[str]] = {}
        for table in TABLES:
            if table not in present:
                tables[table] = set()
                continue
            digest = release.sums[f"{table}.parquet"]
            if digest in known:
                release.read_bytes(f"{table}.parquet")  # verified against SHA256SUMS all the same
                ids = known[digest]
            else:  # read, verified and decoded
                ids = tuple(release.table(table, columns=["id"]).column("id").to_pylist())
            tables[table] = set(ids)
            seen[digest] = ids
        out.append((release.version, tables))
    if ctx.cached and seen != known:
        _remember(ctx.dataset.root, seen)
    return out


#: the ids of published Parquet files, by the files' sha256 (:func:`published_ids`)
KNOWN_IDS = "published-ids-v1.pickle"


def _known(project: Path) -> dict[str, tuple[str, ...]]:
    """What :func:`_remember` kept, if it was kept by this very code (else nothing: decoded again)."""
    try:
        payload = pickle.loads((project / CACHE_DIR / KNOWN_IDS).read_bytes())  # noqa: S301 - a file this package wrote
        if isinstance(payload, dict) and payload.get("key") == codekey.key() and isinstance(payload.get("ids"), dict):
            return payload["ids"]  # type: ignore[no-any-return]  # written by _remember
    except Exception:  # noqa: BLE001 - a damaged or foreign file only means the ids are decoded again
        pass
    return {}


def _remember(project: Path, ids: dict[str, tuple[str, ...]]) -> None:
    try:
        (project / CACHE_DIR).mkdir(exist_ok=True)
        write_atomic(project / CACHE_DIR / KNOWN_IDS, pickle.dumps({"key": codekey.key(), "ids": ids}, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # costs time on the next run, never correctness


@rule("tombstoned-id", "missing-tombstone", "id-table-change", ids=True)
def ids_never_die(ctx: Context) -> Iterator[Issue]:
    """No record uses a retired id; every published id is present or retired; no id changes table."""
    data = ctx.dataset
    retired = {(str(t.table), t.id): t for t in ctx.tombstones}
    for (table, rid), t in sorted(retired.items()):
        if rid in data.tables[table]:
            yield data.tables[table][rid].at(("id",), "tombstoned-id", id=rid, reason=t.reason)
    history = published_ids(ctx)
    if not history:
        return
    version, latest = history[-1]
    for table, ids in latest.items():
        for rid in sorted(ids.difference(data.tables[table], {i for (tb, i) in retired if tb == table})):  # (each id looked up: not a set of the table)
            yield issue("missing-tombstone", TOMBSTONES.as_posix(), table=table, id=rid, version=version)
    ever = set().union(*(ids for _, published in history for ids in published.values()))
    for table in TABLES:
        here = set().union(*(published[table] for _, published in history))
        for rid in sorted(rid for rid in ever - here if rid in data.tables[table]):  # published, but never in this table (in id order, as the table)
            item = data.tables[table][rid]
            for version, published in history:
                moved = [t for t in TABLES if t != table and rid in published[t] and rid not in data.tables[t]]
                if moved:
                    yield item.at(("id",), "id-table-change", id=rid, old=moved[0], version=version)
                    break
