"""The file writers: what a CSV file holds reads back as the values it was written from."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from casd.model.relational import Column, Table
from casd.packaging.writers import csv_bytes

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


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r"), max_size=12), min_size=1, max_size=5))
@settings(max_examples=300, deadline=None)
def test_a_line_written_by_hand_is_the_line_the_csv_module_writes(row):
    """A chunk with a carriage return in it is written line by line by casd: every line without
    one is byte for byte the csv module's (so a build's other rows do not change)."""
    from casd.packaging.writers import _line

    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow(row)
    assert _line(tuple(row)) == out.getvalue()
