"""Frictionless Data Package (v2) descriptors and table schemas, from the layout and the metadata.

Every descriptor written passes the official v2 JSON Schema profiles (``scripts/check_profiles.py``
checks them in CI): no empty ``foreignKeys``, no ``..`` in paths.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..model.meta import PackageMeta
from ..model.relational import Column, Table
from ..read.integrity import sha256

PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
DIALECT = {"header": True, "delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "doubleQuote": True}


def field_descriptor(c: Column) -> dict[str, Any]:
    d: dict[str, Any] = {"name": c.name, "type": c.type, "description": c.description}
    constraints: dict[str, Any] = {}
    if c.required:
        constraints["required"] = True
    if c.vocabulary:
        constraints["enum"] = c.enum
        d["categories"] = [{"value": m.value, "label": m.definition} for m in c.vocabulary]
    if c.name == "id":
        constraints["unique"] = True
    if constraints:
        d["constraints"] = constraints
    return d


def table_schema(t: Table) -> dict[str, Any]:
    """The Frictionless (v2) table schema of a table."""
    schema: dict[str, Any] = {
        "$schema": SCHEMA_PROFILE,
        "fields": [field_descriptor(c) for c in t.columns],
        "missingValues": [""],
        "primaryKey": t.primary_key,
    }
    if t.foreign_keys:  # the profile requires at least one item when present
        schema["foreignKeys"] = [{"fields": [fk.fields], "reference": {"resource": fk.resource, "fields": [fk.reference]}} for fk in t.foreign_keys]
    return schema


def descriptor(meta: PackageMeta, tables: list[Table], files: Mapping[str, bytes], version: str, prefix: str, sources: list[dict[str, str]]) -> dict[str, Any]:
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
                "dialect": DIALECT,
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
    head = {
        "name": meta.name,
        "title": meta.title,
        "description": meta.description,
        "keywords": list(meta.keywords),
        "contributors": [c.model_dump(exclude_defaults=True) for c in meta.contributors],
    }
    licenses = [lic.model_dump() for lic in meta.licenses]
    return {"$schema": PACKAGE_PROFILE, **head, "version": version, "licenses": licenses, "sources": sources, "resources": resources}


def dump_json(obj: object) -> bytes:
    """JSON as casd writes it: indented, UTF-8, a final newline (byte-stable)."""
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
