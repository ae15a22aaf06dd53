"""Tables -> files: CSV and Parquet twins, Frictionless descriptors, SHA256SUMS, and the build.

Rendering is a pure function of the validated records (:func:`render` returns
``{file name: bytes}``), so the same inputs give byte-identical files and
``casd build --check`` is a byte comparison. Writing is atomic: files go to a
temporary folder that replaces ``build/current`` in one rename, and the root
``datapackage.json`` is written last.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from .checks import Report, validate
from .errors import Issue, ValidationFailed, issue
from .paths import CURRENT, read_index
from .tables import Column, Table, arrow, layout, rows
from .vocab import VOCABULARIES

PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"

LICENSES = [
    {
        "name": "CC-BY-4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
        "title": "Creative Commons Attribution 4.0 International (the curated records)",
    }
]
METADATA = {
    "name": "casd",
    "title": "Central Asia Security Dataset",
    "description": (
        "Curated, evidence-linked records of actors, events, military bases, statements and figures "
        "drawn from five news and analysis articles (2014-2015) on the Islamic State threat to Central Asia, "
        "Russia's military footprint in Kyrgyzstan and the politics around it. Every record cites the exact "
        "text of its source by quote and character offsets. The source texts remain the property of their "
        "publishers and are included only so that the evidence can be verified."
    ),
    "keywords": ["Central Asia", "Kyrgyzstan", "Islamic State", "CSTO", "military bases", "provenance"],
    "contributors": [{"title": "casd contributors", "roles": ["creator"]}],
}


# --- descriptors --------------------------------------------------------------------------


def field_descriptor(c: Column) -> dict:
    d: dict = {"name": c.name, "type": c.type, "description": c.description}
    constraints: dict = {}
    if c.required:
        constraints["required"] = True
    if c.vocabulary:
        constraints["enum"] = c.enum
        d["categories"] = [{"value": v, "label": label} for v, label in VOCABULARIES[c.vocabulary].items()]
    if c.name == "id":
        constraints["unique"] = True
    if constraints:
        d["constraints"] = constraints
    return d


def table_schema(t: Table) -> dict:
    """The Frictionless (v2) table schema of a table."""
    return {
        "$schema": SCHEMA_PROFILE,
        "fields": [field_descriptor(c) for c in t.columns],
        "missingValues": [""],
        "primaryKey": t.primary_key,
        "foreignKeys": [{"fields": [fk.fields], "reference": {"resource": fk.resource, "fields": [fk.reference]}} for fk in t.foreign_keys],
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sources(report: Report) -> list[dict]:
    return [{"title": s.title, "path": s.file} for s in report.dataset.records("sources")]


def descriptor(tables: list[Table], files: dict[str, bytes], version: str, prefix: str, sources: list[dict]) -> dict:
    """A Data Package (v2) descriptor; resource paths are ``prefix + file name``."""
    resources = []
    for t in tables:
        csv_name, pq_name = f"{t.name}.csv", f"{t.name}.parquet"
        resources.append(
            {
                "name": t.name,
                "type": "table",
                "path": prefix + csv_name,
                "scheme": "file",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(files[csv_name]),
                "hash": "sha256:" + sha256(files[csv_name]),
                "description": t.description,
                "dialect": {"header": True, "delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "doubleQuote": True},
                "schema": table_schema(t),
                "casd:parquet": {
                    "path": prefix + pq_name,
                    "format": "parquet",
                    "mediatype": "application/vnd.apache.parquet",
                    "bytes": len(files[pq_name]),
                    "hash": "sha256:" + sha256(files[pq_name]),
                },
            }
        )
    return {"$schema": PACKAGE_PROFILE, **METADATA, "version": version, "licenses": LICENSES, "sources": sources, "resources": resources}


def dump_json(obj: object) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- cells and files ------------------------------------------------------------------------


def _cell(value: object, c: Column) -> str:
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


def csv_bytes(t: Table, data: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([c.name for c in t.columns])
    for row in data:
        w.writerow([_cell(row[c.name], c) for c in t.columns])
    return buf.getvalue().encode("utf-8")


def parquet_bytes(t: Table, data: list[dict]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(arrow(t, data), buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


def sums(files: dict[str, bytes]) -> bytes:
    """``SHA256SUMS`` in the format of ``sha256sum``: ``<hex>  <name>`` a line, sorted by name."""
    return "".join(f"{sha256(files[n])}  {n}\n" for n in sorted(files)).encode("ascii")


# --- versions ------------------------------------------------------------------------------


def dev_version(project: Path) -> str:
    """The working build's version: the next patch pre-release after the latest release."""
    published = read_index(project)
    if not published:
        return "0.1.0-dev"
    major, minor, patch = (int(x) for x in published[-1]["version"].split("."))
    return f"{major}.{minor}.{patch + 1}-dev"


# --- the build -----------------------------------------------------------------------------


@dataclass
class Rendered:
    """The files of one build, in memory: the folder's files and the root descriptor."""

    files: dict[str, bytes]  # build/current/<name> -> bytes
    root_descriptor: bytes  # datapackage.json at the project root
    report: Report


def render(report: Report, version: str) -> Rendered:
    """Render every file of a build from validated records (no I/O)."""
    tables = layout()
    files: dict[str, bytes] = {}
    for t in tables:
        data = rows(t, report)
        files[f"{t.name}.csv"] = csv_bytes(t, data)
        files[f"{t.name}.parquet"] = parquet_bytes(t, data)
    sources = _sources(report)
    local_sources = [{"title": s["title"], "path": "../../" + s["path"]} for s in sources]
    data = dict(files)
    files["datapackage.json"] = dump_json(descriptor(tables, data, version, "", local_sources))
    files["SHA256SUMS"] = sums(files)
    root = dump_json(descriptor(tables, data, version, CURRENT.as_posix() + "/", sources))
    return Rendered(files, root, report)


def prepare(project: Path) -> Rendered:
    """Validate and render; raises :class:`ValidationFailed` (nothing written) on any issue."""
    report = validate(project)
    if report.issues:
        raise ValidationFailed(report.issues)
    return render(report, dev_version(project))


def stale(project: Path, rendered: Rendered) -> list[Issue]:
    """Differences between a rendering and the files on disk (empty when the committed build is current)."""
    project = Path(project)
    found = []
    current = project / CURRENT
    on_disk = {p.name for p in current.iterdir()} if current.is_dir() else set()
    for name, data in sorted(rendered.files.items()):
        path = current / name
        shown = (CURRENT / name).as_posix()
        if not path.exists():
            found.append(issue("build-stale", shown, reason="missing"))
        elif path.read_bytes() != data:
            found.append(issue("build-stale", shown, reason="content differs from a fresh build"))
    for name in sorted(on_disk - set(rendered.files)):
        found.append(issue("build-stale", (CURRENT / name).as_posix(), reason="not part of a fresh build"))
    root = project / "datapackage.json"
    if not root.exists() or root.read_bytes() != rendered.root_descriptor:
        found.append(issue("build-stale", "datapackage.json", reason="missing or differs from a fresh build"))
    return found


def write(project: Path, rendered: Rendered) -> bool:
    """Swap the rendered build into place atomically. Returns False when it was already current."""
    project = Path(project)
    build = project / "build"
    build.mkdir(exist_ok=True)
    for leftover in build.glob(".current.*"):  # a crash mid-build leaves these
        shutil.rmtree(leftover, ignore_errors=True)
    if not stale(project, rendered):
        return False
    tmp = build / f".current.tmp-{os.getpid()}"
    tmp.mkdir()
    for name, data in rendered.files.items():
        (tmp / name).write_bytes(data)
    current, old = project / CURRENT, build / f".current.old-{os.getpid()}"
    if current.exists():
        os.rename(current, old)
    os.rename(tmp, current)
    root_tmp = project / f".datapackage.json.tmp-{os.getpid()}"
    root_tmp.write_bytes(rendered.root_descriptor)
    os.replace(root_tmp, project / "datapackage.json")
    shutil.rmtree(old, ignore_errors=True)
    return True


def build(project: Path) -> tuple[Rendered, bool]:
    """Validate, render and write the current build. Nothing is written if validation fails."""
    rendered = prepare(project)
    return rendered, write(project, rendered)
