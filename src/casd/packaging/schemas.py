"""Generated reference files, kept in the repository and checked for drift.

* ``schema/tables/<table>.json``: the Frictionless (v2) table schema of every table of the build;
* ``schema/records/<table>.json``: the JSON Schema of each record kind's YAML files (point
  your editor's YAML language server at these for completion and checks while typing);
* ``schema/package.json``: the JSON Schema of ``dataset/package.yaml``;
* ``schema/CODEBOOK.md``: every table, field, join and vocabulary value with its meaning;
* ``docs/errors.md``: every issue code with its severity, meaning and fix;
* ``.vscode/settings.json``: maps each record folder onto its JSON Schema for the YAML language server;
* the join table of ``README.md`` (between its ``joins`` markers).

``casd schema`` writes them; ``casd schema --check`` fails when they drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from ..curate.issues import Issue, catalogue, issue
from ..model.meta import PackageMeta
from ..model.records import TABLES
from ..model.relational import tables
from ..paths import DATASET, DOCS, PACKAGE_META, SCHEMA
from .descriptor import dump_json, table_schema
from .docs import codebook, joins_markdown

README = Path("README.md")
JOINS_START, JOINS_END = "<!-- joins:", "<!-- /joins -->"


#: The EDTF subset casd accepts, as a JSON Schema pattern (never stricter than casd: an editor may
#: accept a few impossible dates, such as February 30, that ``casd validate`` refuses).
_EDTF_SINGLE = r"(?:[0-9]{4}|[0-9]{3}X|[0-9]{2}XX|XXXX)(?:-(?:[0-9]{2}|XX)(?:-(?:[0-9]{2}|XX))?)?[?~%]?"
EDTF_PATTERN = rf"^(?:{_EDTF_SINGLE}|(?:{_EDTF_SINGLE}|\.\.)?/(?:{_EDTF_SINGLE}|\.\.)?)$"


class EditorSchema(GenerateJsonSchema):
    """JSON Schema as a YAML 1.2 editor should see a record file: what casd refuses, refused.

    * no ``null``: an absent value is an omitted key (casd's reader refuses null, ``~`` and empty values);
    * vocabularies as ``oneOf`` of constants, each with its definition (shown on hover);
    * EDTF dates with a pattern; numbers as numbers (``casd fmt`` writes them unquoted).
    """

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        out = super().default_schema(schema)
        if out.get("default") is None or out.get("default") == []:
            out.pop("default", None)
        return out

    def enum_schema(self, schema: core_schema.EnumSchema) -> JsonSchemaValue:
        cls = schema["cls"]
        members = list(cls)
        out: JsonSchemaValue = {"title": cls.__name__, "type": "string"}
        if cls.__doc__:
            out["description"] = " ".join(cls.__doc__.split())
        out["oneOf"] = [{"const": m.value, "description": getattr(m, "definition", "")} for m in members]
        return out


def _edtf_patterns(js: Any) -> Any:
    """Give every ``format: edtf`` string its pattern (in place)."""
    if isinstance(js, dict):
        if js.get("format") == "edtf":
            js["pattern"] = EDTF_PATTERN
        for v in js.values():
            _edtf_patterns(v)
    elif isinstance(js, list):
        for v in js:
            _edtf_patterns(v)
    return js


def _json_schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    js = _edtf_patterns(model.model_json_schema(mode="validation", schema_generator=EditorSchema))
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"casd/{name}.json", **js}


def generate() -> dict[Path, bytes]:
    """Project-relative path -> file bytes."""
    out: dict[Path, bytes] = {}
    for t in tables():
        out[SCHEMA / f"tables/{t.name}.json"] = dump_json(table_schema(t))
    for name, model in TABLES.items():
        out[SCHEMA / f"records/{name}.json"] = dump_json(_json_schema(model, name))
    out[SCHEMA / "package.json"] = dump_json(_json_schema(PackageMeta, "package"))
    out[SCHEMA / "CODEBOOK.md"] = codebook().encode("utf-8")
    out[DOCS / "errors.md"] = catalogue().encode("utf-8")
    editor = {f"./{SCHEMA.as_posix()}/records/{name}.json": [f"{DATASET.as_posix()}/{name}/*.yaml"] for name in TABLES}
    editor[f"./{SCHEMA.as_posix()}/package.json"] = [PACKAGE_META.as_posix()]
    out[Path(".vscode/settings.json")] = json.dumps({"yaml.schemas": editor}, indent=2).encode("utf-8") + b"\n"
    return out


def with_readme(project: Path) -> dict[Path, bytes]:
    """:func:`generate`, plus the README with its join table regenerated (when it has the markers)."""
    out = generate()
    readme = Path(project) / README
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        head, sep, rest = text.partition(JOINS_START)
        if sep and JOINS_END in rest:
            marker_line, _, body = rest.partition("\n")
            tail = body.split(JOINS_END, 1)[1]
            out[README] = (head + JOINS_START + marker_line + "\n" + joins_markdown() + JOINS_END + tail).encode("utf-8")
    return out


def drift(project: Path) -> list[Issue]:
    """Generated files that differ from what the models generate, and strays under schema/."""
    project = Path(project)
    found = []
    wanted = with_readme(project)
    for rel, data in sorted(wanted.items()):
        path = project / rel
        if not path.exists() or path.read_bytes() != data:
            found.append(issue("schema-drift", rel.as_posix(), file=rel.as_posix()))
    base = project / SCHEMA
    for path in sorted(p for p in base.rglob("*") if p.is_file()) if base.exists() else []:
        rel = path.relative_to(project)
        if rel not in wanted:
            found.append(issue("schema-drift", rel.as_posix(), file=f"{rel.as_posix()} (not generated by the models; delete it)"))
    return found


def write(project: Path) -> int:
    files = with_readme(project)
    for rel, data in files.items():
        path = Path(project) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return len(files)
