"""casd's vectorised table check gives frictionless-py's verdict (the oracle), on the real build and
on deliberately broken ones."""

from __future__ import annotations

import json

import polars as pl
import pyarrow as pa
import pytest
from frictionless import validate as fl_validate

from casd.model.relational import tables
from casd.packaging.rows import arrow_schema
from casd.packaging.tablecheck import check_tables
from conftest import ROOT

POLARS = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "date": pl.Date}


def read_build(folder):
    """Every table of a build folder, read from its CSV with the declared types (as Arrow)."""
    out = {}
    for t in tables():
        schema = {c.name: POLARS.get(c.type, pl.String) for c in t.columns}
        df = pl.read_csv(folder / f"{t.name}.csv", schema=schema)
        for c in t.columns:
            if c.type == "array":
                df = df.with_columns(pl.col(c.name).map_elements(lambda v: json.loads(v) if v else None, return_dtype=pl.List(pl.String)))
        nullable = pa.schema([f.with_nullable(True) for f in arrow_schema(t)])  # broken files may have nulls anywhere
        out[t.name] = df.to_arrow().cast(nullable)
    return out


def frictionless_errors(folder):
    report = fl_validate(str(folder / "datapackage.json"))
    return {e.type for task in report.tasks for e in task.errors} - {"hash-count", "byte-count"}


def test_the_real_build_passes_both():
    folder = ROOT / "build/current"
    assert check_tables(tables(), read_build(folder)) == []
    assert frictionless_errors(folder) == set()


@pytest.mark.parametrize(
    "table,old,new,frictionless_type,ours",
    [
        ("event_participants", "vladimir-putin,speaker", "nobody,dancer", {"constraint-error", "foreign-key"}, ["value(s) outside the vocabulary: dancer", "actor_id: no actors.id nobody"]),
        ("events", "csto-summit-2014-12-23,,", ",,", {"constraint-error"}, ["id: 1 empty value(s) in a required field"]),
        ("places", "\nkyrgyzstan,", "\nbishkek,", {"primary-key", "unique-error"}, ["id: duplicate values"]),
    ],
)
def test_a_broken_build_gets_the_same_verdict(built, table, old, new, frictionless_type, ours):
    folder = built / "build/current"
    path = folder / f"{table}.csv"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    theirs = frictionless_errors(folder)
    assert frictionless_type <= theirs, theirs
    found = [i.message for i in check_tables(tables(), read_build(folder))]
    for expected in ours:
        assert any(expected in m for m in found), found
