"""The built tables checked against their Frictionless table schemas, vectorised (polars over the
Arrow tables), on every build before it is swapped in.

It checks what the descriptor declares: each column's type (the Arrow schema), required fields,
``unique`` constraints, vocabularies (``enum``), primary keys and foreign keys. frictionless-py's
own ``validate`` of the written package stays the oracle in the tests: both give the same verdict
on the real build and on deliberately broken ones.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
import pyarrow as pa

from ..curate.issues import Issue, issue
from ..model.relational import Table
from ..paths import CURRENT
from .rows import arrow_schema


def _where(table: str) -> str:
    return (CURRENT / f"{table}.csv").as_posix()


def own_problems(t: Table, data: pa.Table) -> list[Issue] | None:
    """Every way one table breaks its schema on its own (columns, types, required fields,
    vocabularies, unique ids and primary key); None if its columns or types are wrong, in which case
    nothing else of it can be checked."""
    expected = arrow_schema(t)
    if [(f.name, f.type) for f in data.schema] != [(f.name, f.type) for f in expected]:
        return None
    found: list[Issue] = []
    df = pl.from_arrow(data)
    assert isinstance(df, pl.DataFrame)
    for c in t.columns:
        col = df.get_column(c.name)
        if c.required and col.null_count():
            found.append(issue("table-schema", _where(t.name), table=t.name, problem=f"{c.name}: {col.null_count()} empty value(s) in a required field"))
        if c.enum is not None:
            bad = col.drop_nulls().filter(~col.drop_nulls().is_in(c.enum)).unique().sort()
            if len(bad):
                found.append(issue("table-schema", _where(t.name), table=t.name, problem=f"{c.name}: value(s) outside the vocabulary: {', '.join(map(str, bad.to_list()[:5]))}"))
        if c.name == "id" and col.is_duplicated().any():
            found.append(issue("table-schema", _where(t.name), table=t.name, problem="id: duplicate values"))
    if df.height and df.select(t.primary_key).is_duplicated().any():
        found.append(issue("table-schema", _where(t.name), table=t.name, problem=f"primary key ({', '.join(t.primary_key)}) has duplicates"))
    return found


def key_columns(tables: list[Table]) -> dict[str, list[str]]:
    """The columns of each table that the foreign keys read (its own keys' fields, and the columns
    other tables' keys point to): all a check across tables needs of a table."""
    needed: dict[str, set[str]] = {t.name: set() for t in tables}
    for t in tables:
        for fk in t.foreign_keys:
            needed[t.name].add(fk.fields)
            needed.setdefault(fk.resource, set()).add(fk.reference)
    return {t.name: [c.name for c in t.columns if c.name in needed[t.name]] for t in tables}


def foreign_key_problems(t: Table, data: pa.Table, all_tables: Mapping[str, pa.Table]) -> list[Issue]:
    """Every value of a foreign key of one table that its target table lacks (``data`` and the
    tables of ``all_tables`` need hold only their :func:`key_columns`)."""
    found: list[Issue] = []
    df = pl.from_arrow(data)
    assert isinstance(df, pl.DataFrame)
    for fk in t.foreign_keys:
        target = all_tables.get(fk.resource)
        if target is None:
            continue
        keys = pl.DataFrame({"v": target.column(fk.reference).to_pylist()}, schema={"v": pl.String})
        values = df.select(pl.col(fk.fields).alias("v")).drop_nulls()
        missing = values.join(keys, on="v", how="anti").get_column("v").unique().sort()
        if len(missing):
            found.append(issue("table-schema", _where(t.name), table=t.name, problem=f"{fk.fields}: no {fk.resource}.{fk.reference} {', '.join(map(str, missing.to_list()[:5]))}"))
    return found


def problems(t: Table, own: list[Issue] | None, data: pa.Table, all_tables: Mapping[str, pa.Table]) -> list[Issue]:
    """A table's problems, given what :func:`own_problems` found: those and its foreign keys' (the
    tables need hold only their :func:`key_columns`)."""
    if own is None:
        return [issue("table-schema", _where(t.name), table=t.name, problem="columns or types differ from the schema")]
    return own + foreign_key_problems(t, data, all_tables)


def check_table(t: Table, data: pa.Table, all_tables: Mapping[str, pa.Table]) -> list[Issue]:
    """Every way one table breaks its schema (empty when it conforms)."""
    return problems(t, own_problems(t, data), data, all_tables)


def check_tables(tables: list[Table], data: Mapping[str, pa.Table]) -> list[Issue]:
    """Check every table of a build (by name) against its schema."""
    found: list[Issue] = []
    for t in tables:
        found += check_table(t, data[t.name], data)
    return found
