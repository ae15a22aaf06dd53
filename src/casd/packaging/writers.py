"""Table -> file bytes: one writer per output format (CSV, Parquet). A new format is a writer here."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any

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
    """RFC 4180 CSV, UTF-8, LF line ends, a header row; lists as JSON arrays, empty = missing."""
    buf = io.BytesIO()
    text = io.TextIOWrapper(buf, encoding="utf-8", newline="")  # encoded as it is written: the text is never held whole
    w = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([c.name for c in t.columns])
    for batch in table.to_batches(max_chunksize=65536):  # Python values for one chunk of rows at a time
        columns = [_cells(batch.column(c.name), c) for c in t.columns]
        if any(cr for _, cr in columns):  # the csv module does not quote a lone CR (RFC 4180 does)
            text.writelines(_line(row) for row in zip(*(cells for cells, _ in columns), strict=True))
        else:
            w.writerows(zip(*(cells for cells, _ in columns), strict=True))
    text.flush()
    return buf.getvalue()


def _cells(values: pa.Array, c: Column) -> tuple[list[str], bool]:
    """A column's cells (:func:`_cell` of each value), a column at a time, and whether one holds a
    carriage return. Text is taken as it is."""
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        cr = bool(pc.any(pc.match_substring(values, "\r")).as_py())
        return ["" if v is None else v for v in values.to_pylist()], cr  # (fill_null("") would import pandas)
    cells = [_cell(v, c) for v in values.to_pylist()]
    return cells, any("\r" in cell for cell in cells)


def _line(row: tuple[str, ...]) -> str:
    """One CSV line, as the csv module writes it (quoted where a cell holds a comma, a quote or a
    line feed, or is a row's only cell and empty), but quoting a carriage return too."""
    if len(row) == 1 and row[0] == "":
        return '""\n'
    return ",".join('"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"\n\r') else cell for cell in row) + "\n"


def parquet_bytes(t: Table, table: pa.Table) -> bytes:
    """Parquet (zstd, statistics), with each field's description in its metadata."""
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


#: (table layout, its rows as Arrow) -> file bytes
Writer = Callable[[Table, pa.Table], bytes]

#: file extension -> writer; every table is written in each format.
WRITERS: dict[str, Writer] = {"csv": csv_bytes, "parquet": parquet_bytes}
