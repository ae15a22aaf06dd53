"""Ids over time: retired ids stay retired, published ids never vanish or change table.

Reads the published releases through the consumer side's verified reader
(:mod:`casd.read.releases`): a tampered release stops validation with an integrity error.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...model.records import TABLES
from ...paths import RELEASES, TOMBSTONES
from ...read.releases import open_release, read_index
from ..issues import Issue, issue
from . import Context, rule


def published_ids(ctx: Context) -> list[tuple[str, dict[str, set[str]]]]:
    """(version, table -> ids) for every published release, oldest first."""
    base = ctx.dataset.root / RELEASES
    out = []
    for entry in read_index(base):
        release = open_release(entry["version"], base)
        present = set(release.table_names())  # a table the release does not have is empty
        out.append((release.version, {t: set(release.table(t, columns=["id"]).column("id").to_pylist()) if t in present else set() for t in TABLES}))
    return out


@rule("tombstoned-id", "missing-tombstone", "id-table-change")
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
        for rid in sorted(ids - set(data.tables[table]) - {i for (tb, i) in retired if tb == table}):
            yield issue("missing-tombstone", TOMBSTONES.as_posix(), table=table, id=rid, version=version)
    ever = set().union(*(ids for _, published in history for ids in published.values()))
    for table in TABLES:
        here = set().union(*(published[table] for _, published in history))
        for rid in [rid for rid in data.tables[table] if rid in ever and rid not in here]:  # published, but never in this table
            item = data.tables[table][rid]
            for version, published in history:
                moved = [t for t in TABLES if t != table and rid in published[t] and rid not in data.tables[t]]
                if moved:
                    yield item.at(("id",), "id-table-change", id=rid, old=moved[0], version=version)
                    break
