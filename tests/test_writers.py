"""The file writers: what a CSV file holds reads back as the values it was written from."""

from __future__ import annotations

import csv
import io

import polars as pl
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from casd.model.relational import Column, Table
from casd.packaging.writers import _cell, csv_bytes

TEXT = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30), st.sampled_from(['"', ",", "\n", "\r\n", " a ", '""', "ё,\"x\""]))


@given(st.lists(st.tuples(TEXT, st.one_of(st.none(), st.integers(-(10**12), 10**12)), st.one_of(st.none(), st.booleans())), max_size=40))
@settings(max_examples=150, deadline=None)
def test_a_csv_file_reads_back_as_the_values_written(rows):
    """Text (quotes, commas, line ends, unicode), integers and booleans, with missing values as
    empty cells, written in chunks as the build writes them, read back by Python's csv module."""
    layout = Table("t", "", [Column("s", "string", ""), Column("n", "integer", ""), Column("b", "boolean", "")], ["s"])
    table = pa.table({"s": pa.array([r[0] for r in rows], pa.string()), "n": pa.array([r[1] for r in rows], pa.int64()), "b": pa.array([r[2] for r in rows], pa.bool_())})
    back = list(csv.reader(io.StringIO(csv_bytes(layout, table).decode("utf-8"), newline="")))
    assert back[0] == ["s", "n", "b"]
    expected = [["" if s is None else s, "" if n is None else str(n), "" if b is None else ("true" if b else "false")] for s, n, b in rows]
    assert back[1:] == expected


NO_CR = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r"), max_size=12)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
LAYOUT = Table(
    "t",
    "",
    [Column("s", "string", ""), Column("n", "integer", ""), Column("b", "boolean", ""), Column("f", "number", ""), Column("a", "array", ""), Column("d", "date", "")],
    ["s"],
)


def _csv_module(layout: Table, rows: list[tuple]) -> bytes:
    """What Python's csv module writes for these rows, each value as casd writes a cell."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([c.name for c in layout.columns])
    w.writerows([_cell(v, c) for v, c in zip(row, layout.columns, strict=True)] for row in rows)
    return out.getvalue().encode("utf-8")


def _arrow(layout: Table, rows: list[tuple]) -> pa.Table:
    types = {"string": pl.String, "integer": pl.Int64, "boolean": pl.Boolean, "number": pl.Float64, "array": pl.List(pl.String), "date": pl.Date}
    columns = {c.name: pl.Series(c.name, [r[i] for r in rows], dtype=types[c.type]) for i, c in enumerate(layout.columns)}
    return pl.DataFrame(columns).to_arrow()


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), NO_CR),
            st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
            st.one_of(st.none(), st.booleans()),
            st.one_of(st.none(), FLOATS),
            st.one_of(st.none(), st.lists(st.one_of(NO_CR, st.sampled_from(['"', "\\", "\x00", "\t", "\u2028", "é", ", "])), max_size=4)),
            st.one_of(st.none(), st.dates()),
        ),
        max_size=30,
    )
)
@settings(max_examples=300, deadline=None)
def test_a_csv_file_is_byte_for_byte_what_the_csv_module_writes(rows):
    """Where no cell holds a carriage return, casd's vectorised writer (Arrow compute) writes exactly
    the csv module's bytes for the same cells: text with quotes, commas and line feeds, integers,
    booleans, floats as Python writes them, lists as ``json.dumps`` writes them, dates."""
    assert csv_bytes(LAYOUT, _arrow(LAYOUT, rows)) == _csv_module(LAYOUT, rows)


def test_a_large_table_is_written_in_chunks_as_one():
    """More rows than a chunk (the chunks' columns are slices of the table's, lists included), and a
    table of one column, where an empty cell is written as the csv module writes it (``""``)."""
    rows = [(f"r{i}", i, i % 2 == 0, i / 7, None if i % 5 == 0 else [f"x{i}", 'q"'] if i % 3 == 0 else [f"x{i}"], None) for i in range(70_000)]
    assert csv_bytes(LAYOUT, _arrow(LAYOUT, rows)) == _csv_module(LAYOUT, rows)
    one = Table("o", "", [Column("s", "string", "")], ["s"])
    rows1 = [("a",), ("",), (None,), ("b,c",)]
    assert csv_bytes(one, _arrow(one, rows1)) == _csv_module(one, rows1)
