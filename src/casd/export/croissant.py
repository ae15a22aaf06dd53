"""``casd export croissant``: ``croissant.json`` (MLCommons Croissant 1.0, JSON-LD) beside verified
copies of the files it describes.

Every file is a ``cr:FileObject`` with its sha256 and a ``contentUrl`` relative to the exported
folder: each table's CSV and Parquet files, the seed texts and ``datapackage.json``. Every table
is a ``cr:RecordSet`` read from its Parquet file, with typed fields (``sc:Text``, ``sc:Integer``,
``sc:Float``, ``sc:Boolean``, ``sc:Date``; lists are repeated ``sc:Text``) and its key. The
export is a pure function of the release: byte-reproducible.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .common import Source, Table, check_copy, copy_verified, licence, seeds, tables, write

CROISSANT = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
PARQUET = "application/x-parquet"  # the media type Croissant tools read Parquet by

#: The standard Croissant 1.0 ``@context``.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

#: Declared (Table Schema) type -> Croissant data type.
DATA_TYPES = {"string": "sc:Text", "integer": "sc:Integer", "number": "sc:Float", "boolean": "sc:Boolean", "date": "sc:Date", "datetime": "sc:DateTime", "year": "sc:Integer", "array": "sc:Text"}


def _ref(uid: str) -> dict[str, str]:
    return {"@id": uid}


def file_object(name: str, digest: str, size: int, fmt: str, description: str) -> dict[str, Any]:
    return {"@type": "cr:FileObject", "@id": name, "name": name, "description": description, "contentUrl": name, "contentSize": f"{size} B", "encodingFormat": fmt, "sha256": digest}


def record_set(table: Table) -> dict[str, Any]:
    """A table as a RecordSet read from its Parquet file: typed fields and key.

    Foreign keys are not declared as Croissant ``references``: Croissant readers (mlcroissant) turn
    a reference into a join of the two record sets, which fails on a table that references itself
    (places.parent_id) or the same table twice; the joins are in datapackage.json.
    """
    fields = []
    for f in table.fields:
        field: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"{table.name}/{f.name}",
            "name": f.name,
            "description": f.description,
            "dataType": DATA_TYPES.get(f.type, "sc:Text"),
            "source": {"fileObject": _ref(table.parquet), "extract": {"column": f.name}},
        }
        if f.type == "array":
            field["repeated"] = True
        fields.append(field)
    key = [_ref(f"{table.name}/{c}") for c in table.primary_key]
    out: dict[str, Any] = {"@type": "cr:RecordSet", "@id": table.name, "name": table.name, "description": table.description}
    if key:
        out["key"] = key[0] if len(key) == 1 else key
    out["field"] = fields
    return out


def cite_as(descriptor: dict[str, Any], version: str) -> str:
    """A BibTeX entry for the release."""
    authors = " and ".join(str(c.get("title")) for c in descriptor.get("contributors", []) if c.get("title")) or "casd contributors"
    title = str(descriptor.get("title") or descriptor.get("name") or "casd")
    return f"@misc{{{descriptor.get('name', 'casd')}-{version}, title = {{{title}}}, author = {{{authors}}}, note = {{Version {version}}}}}"


def _copy_files(source: Source, out: Path, all_tables: list[Table]) -> list[dict[str, Any]]:
    """Copy the descriptor, every table's CSV and Parquet file and the seeds; describe each."""
    described = {t.csv: f"Table {t.name} as CSV (the Parquet file's twin). {t.description}" for t in all_tables}
    described |= {t.parquet: f"Table {t.name} as Parquet. {t.description}" for t in all_tables}
    described["datapackage.json"] = "The release's Frictionless Data Package descriptor (v2): every table's fields, types, keys and meaning."
    objects = []
    for name, digest in copy_verified(source, out, sorted(described)):
        fmt = PARQUET if name.endswith(".parquet") else "text/csv" if name.endswith(".csv") else "application/json"
        objects.append(file_object(name, digest, (out / name).stat().st_size, fmt, described[name]))
    for seed in sorted(seeds(source).values(), key=lambda s: s.file):
        write(out, seed.file, seed.data)
        digest = check_copy(out, seed.file, seed.sha256)
        about = f"Seed text of source {seed.source_id}, byte for byte (UTF-8): the evidence offsets count its code points."
        objects.append(file_object(seed.file, digest, len(seed.data), "text/plain", about))
    return objects


def document(source: Source, objects: list[dict[str, Any]], all_tables: list[Table]) -> dict[str, Any]:
    descriptor = source.release.descriptor()
    version = source.release.version
    _, licence_url = licence(descriptor)
    creators = [{"@type": "sc:Organization", "name": str(c["title"])} for c in descriptor.get("contributors", []) if c.get("title")]
    published = {"datePublished": str(source.release.entry["date"])} if source.release.entry.get("date") else {}  # the release index's date, where it has one
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": str(descriptor.get("name") or "casd"),
        "alternateName": str(descriptor.get("title") or ""),
        "description": str(descriptor.get("description") or ""),
        "conformsTo": CONFORMS_TO,
        "version": version,
        **published,
        "license": licence_url,
        "keywords": list(descriptor.get("keywords", [])),
        "creator": creators,
        "citeAs": cite_as(descriptor, version),
        "distribution": objects,
        "recordSet": [record_set(t) for t in all_tables],
    }


def export(source: Source, out: Path) -> list[str]:
    """Write ``croissant.json`` and copies of the files it describes into ``out``; returns the names written."""
    all_tables = tables(source.release.descriptor())
    objects = _copy_files(source, out, all_tables)
    text = json.dumps(document(source, objects, all_tables), indent=2, ensure_ascii=False) + "\n"
    return [o["contentUrl"] for o in objects] + [write(out, CROISSANT, text.encode("utf-8"))]
