"""Table -> file bytes: one writer per output format (CSV, Parquet). A new format is a writer here."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..model.relational import Column, Table


def _cell(value: Any, c: Column) -> str:
    if value is None:
        return ""
    if c.type == "array":
        return json.dumps(list(value), ensure_ascii=False)
    if c.type == "boolean":
        return "true" if value else "false"
    if c.type == "number":
        f = float(value)
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_bytes(t: Table, table: pa.Table) -> bytes:
    """RFC 4180 CSV, UTF-8, LF line ends, a header row; lists as JSON arrays, empty = missing.

    The bytes Python's csv module writes (``QUOTE_MINIMAL``, ``lineterminator="\\n"``), except that
    a carriage return is quoted too (the csv module quotes only its line terminator's characters,
    and a lone CR breaks a row for every reader). Cells are made and joined by Arrow's compute
    functions, a column and a chunk of rows at a time: text, integers, dates and booleans never
    become Python objects; numbers and lists do (:func:`_cell`)."""
    out = io.BytesIO()  # its buffer becomes the result without a copy: a file is held once, not twice
    out.write(",".join(c.name for c in t.columns).encode() + b"\n")  # names are identifiers: never quoted
    marks = _marks()
    for batch in table.to_batches(max_chunksize=65536):
        if not batch.num_rows:
            continue
        cells = [_quoted(_text(batch.column(c.name), c, marks), marks) for c in t.columns]
        if len(cells) == 1:  # a row of one empty cell would be a blank line: the csv module writes ""
            cells[0] = pc.if_else(pc.equal(cells[0], marks[""]), marks['""'], cells[0])
        lines = pc.binary_join_element_wise(*cells, marks[","]) if len(cells) > 1 else cells[0]
        out.write(_concatenated(pc.binary_join_element_wise(lines, marks[""], marks["\n"])))
    return out.getvalue()


def _marks() -> dict[str, pa.Scalar]:
    """The few text scalars the CSV cells are made with, as Arrow scalars: made from an Arrow
    array, since ``pa.scalar`` of a Python value imports pandas."""
    texts = ["", '"', '""', ",", "\n", "[", "]", ", "]
    array = pl.Series(texts, dtype=pl.String).to_arrow().cast(pa.string())
    return {text: array[i] for i, text in enumerate(texts)}


def _text(values: pa.Array, c: Column, marks: dict[str, pa.Scalar]) -> pa.Array:
    """A column's values as CSV text, unquoted, missing as empty."""
    if c.type == "array":
        values = _json_lists(values, marks)
    elif c.type == "number":  # Python's own shortest float text
        values = pl.Series([_cell(v, c) for v in values.to_pylist()], dtype=pl.String).to_arrow()
    values = values.cast(pa.string())  # integers, booleans (true/false), dates (ISO 8601)
    return pc.binary_join_element_wise(values, marks[""], null_handling="replace", null_replacement="")


def _json_lists(values: pa.Array, marks: dict[str, pa.Scalar]) -> pa.Array:
    """Lists of text as ``json.dumps(list, ensure_ascii=False)`` writes them (``["a", "b"]``): made
    by Arrow where no item holds what JSON escapes (a quote, a backslash, a control character),
    else by :func:`json.dumps`."""
    offsets = values.offsets  # of this slice, into the whole child array
    first, last = offsets[0], offsets[len(values)]
    items = values.values.slice(first.as_py(), last.as_py() - first.as_py()).cast(pa.string())
    if pc.any(pc.match_substring_regex(items, r'["\\\x00-\x1f]')).as_py():
        return pl.Series([None if v is None else json.dumps(v, ensure_ascii=False) for v in values.to_pylist()], dtype=pl.String).to_arrow()
    quoted = pc.binary_join_element_wise(marks['"'], items, marks['"'], marks[""])
    lists = pa.ListArray.from_arrays(pc.subtract(offsets, first), quoted)  # a missing list: its items are not read
    joined = pc.binary_join_element_wise(marks["["], pc.binary_join(lists, marks[", "]), marks["]"], marks[""])
    return pc.if_else(values.is_null(), marks[""], joined)


def _quoted(text: pa.Array, marks: dict[str, pa.Scalar]) -> pa.Array:
    """Cells quoted where they hold a comma, a quote, a line feed or a carriage return (quotes doubled)."""
    needs = pc.match_substring_regex(text, '[,"\n\r]')
    if not pc.any(needs).as_py():  # most columns (ids, numbers, dates) never need it
        return text
    inner = pc.replace_substring(text, '"', '""')
    return pc.if_else(needs, pc.binary_join_element_wise(marks['"'], inner, marks['"'], marks[""]), text)


def _concatenated(lines: pa.Array) -> bytes:
    """The text of a string array's values, one after the other: its data buffer between its first
    and last offsets."""
    _, offsets, data = lines.buffers()  # validity (none: no value is missing), int32 offsets, bytes
    at = memoryview(offsets).cast("i")
    first, last = at[lines.offset], at[lines.offset + len(lines)]
    text: bytes = data.slice(first, last - first).to_pybytes()
    return text


def parquet_bytes(t: Table, table: pa.Table) -> bytes:
    """Parquet (zstd, statistics), with each field's description in its metadata."""
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


#: (table layout, its rows as Arrow) -> file bytes
Writer = Callable[[Table, pa.Table], bytes]

#: file extension -> writer; every table is written in each format.
WRITERS: dict[str, Writer] = {"csv": csv_bytes, "parquet": parquet_bytes}
