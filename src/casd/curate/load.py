"""Record files -> typed records, each remembering where its values stand.

:func:`read_record` is the pure per-file step (``bytes -> RecordFile, issues``): it parses
with :mod:`casd.curate.yamlio` and types with the table's model from
:mod:`casd.model.records`, mapping Pydantic's errors back to the line and column of the
offending key or value. :func:`read_dataset` maps it over ``dataset/<table>/*.yaml`` (the
seam where a cache or a process pool fits). Rules across fields and records are
:mod:`casd.curate.checks`' business.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..fs import MAX_RECORD_BYTES, FileRefused, read_regular
from ..model.records import TABLES, Record
from ..model.types import SLUG
from ..paths import COVERAGE, DATASET, PACKAGE_META, TOMBSTONES
from . import yamlio
from .issues import Issue, issue
from .suggest import did_you_mean, model_at

_SLUG = re.compile(SLUG)
#: folders under dataset/ that hold no records
RESERVED = {COVERAGE.name}
#: files directly under dataset/ that casd reads
SIDE_FILES = {PACKAGE_META.name, TOMBSTONES.name}
M = TypeVar("M", bound=Record)
Loc = yamlio.Loc


@dataclass
class RecordFile:
    """One record file: where it is, its positions, and the typed record (None if it failed)."""

    table: str
    id: str
    path: str
    doc: yamlio.Document
    record: Record | None = None

    def at(self, loc: Loc, code: str, /, **params: object) -> Issue:
        """An issue located at the value of a path inside this record (its dotted path is the issue's field)."""
        return self._at(loc, code, False, params)

    def at_key(self, loc: Loc, code: str, /, **params: object) -> Issue:
        """An issue located at the key that introduces a path (an unknown field)."""
        return self._at(loc, code, True, params)

    def _at(self, loc: Loc, code: str, key: bool, params: dict[str, object]) -> Issue:
        line, col = self.doc.where(loc, key=key)
        params.setdefault("field", ".".join(str(p) for p in loc))
        return issue(code, self.path, line, col, **params)


@dataclass
class Dataset:
    """Every record file under a dataset folder, by table and id."""

    root: Path
    tables: dict[str, dict[str, RecordFile]] = field(default_factory=lambda: {t: {} for t in TABLES})

    def records(self, model: type[M]) -> list[M]:
        """Typed records of a kind, sorted by id."""
        found = self.tables[model.table]
        return [item.record for _, item in sorted(found.items()) if isinstance(item.record, model)]

    def of(self, table: str) -> list[Record]:
        """Typed records of a table by name, sorted by id."""
        return [item.record for _, item in sorted(self.tables[table].items()) if item.record is not None]

    def all(self) -> Iterator[RecordFile]:
        for table in TABLES:
            for _, item in sorted(self.tables[table].items()):
                yield item

    def typed(self) -> Iterator[tuple[RecordFile, Record]]:
        """Every record that typed cleanly, with its file."""
        for item in self.all():
            if item.record is not None:
                yield item, item.record

    def __len__(self) -> int:
        return sum(len(t) for t in self.tables.values())


def pydantic_issues(item: RecordFile, err: ValidationError, prefix: Loc = (), model: type[BaseModel] | None = None) -> list[Issue]:
    """Map Pydantic's errors to located issues (``prefix``: where the validated value sits in the file),
    each with a suggestion where one helps (the closest field or vocabulary value)."""
    model = model or TABLES.get(item.table)
    found = []
    for e in err.errors(include_url=False):
        loc = prefix + tuple(e["loc"])
        name = ".".join(str(p) for p in loc)
        if e["type"] == "missing":
            found.append(item.at(loc[:-1], "missing-field", field=name))
        elif e["type"] == "extra_forbidden":
            here = model_at(model, tuple(e["loc"])[:-1]) if model else None
            hint = did_you_mean(str(loc[-1]), here.model_fields) if here else ""
            found.append(item.at_key(loc, "unknown-field", field=name, hint=hint))
        elif e["type"] == "enum" and isinstance(e.get("input"), str):
            allowed = [v.strip(" '") for v in str(e.get("ctx", {}).get("expected", "")).replace(" or ", ",").split(",") if v.strip(" '")]
            hint = did_you_mean(e["input"], allowed) or f" (one of {len(allowed)} values: see `casd codebook`)"
            found.append(item.at(loc, "invalid-value", field=name, reason=f"{e['input']!r} is not an allowed value{hint}"))
        else:
            found.append(item.at(loc, "invalid-value", field=name, reason=e["msg"]))
    return found


def read_record(table: str, stem: str, shown: str, raw: bytes) -> tuple[RecordFile, list[Issue]]:
    """Parse and type one record file's bytes (pure: no I/O, no global state)."""
    doc, problems = yamlio.parse_bytes(raw, shown)
    item = RecordFile(table, stem, shown, doc)
    if problems:
        return item, problems
    try:
        item.record = TABLES[table].model_validate(doc.data)
    except ValidationError as err:
        return item, pydantic_issues(item, err)
    if item.record.id != stem:
        return item, [item.at(("id",), "id-mismatch", id=item.record.id, stem=stem)]
    return item, []


def read_side_file(project: Path, rel: Path, model: type[BaseModel]) -> tuple[BaseModel | None, list[Issue], RecordFile | None]:
    """Read a single-mapping side file (``dataset/package.yaml``) typed by ``model``."""
    path = Path(project) / rel
    doc, found = yamlio.read(path, rel.as_posix())
    if found:
        return None, found, None
    here = RecordFile(rel.parent.name, rel.stem, rel.as_posix(), doc)
    try:
        return model.model_validate(doc.data), [], here
    except ValidationError as err:
        return None, pydantic_issues(here, err, model=model), here


def read_lists(project: Path, rel: Path, lists: dict[str, type[BaseModel]]) -> tuple[dict[str, list[Any]], list[Issue], RecordFile | None]:
    """Read a side file holding named lists of small records (tombstones, coverage lists).

    Each entry is validated on its own, so one bad entry hides no other. A missing
    file is empty.
    """
    out: dict[str, list[Any]] = {name: [] for name in lists}
    path = Path(project) / rel
    if not path.exists():
        return out, [], None
    doc, found = yamlio.read(path, rel.as_posix())
    if found:
        return out, found, None
    here = RecordFile(rel.parent.name, rel.stem, rel.as_posix(), doc)
    assert isinstance(doc.data, dict)
    found += [here.at_key((k,), "unknown-field", field=k) for k in sorted(set(doc.data) - set(lists))]
    for name, model in lists.items():
        entries = doc.data.get(name, [])
        if not isinstance(entries, list):
            found.append(here.at((name,), "invalid-value", reason="expected a list"))
            continue
        for i, raw in enumerate(entries):
            try:
                out[name].append(model.model_validate(raw))
            except ValidationError as err:
                found += pydantic_issues(here, err, prefix=(name, i), model=model)
    return out, found, here


def record_files(project: Path) -> tuple[list[tuple[str, str, Path]], list[Issue]]:
    """``(table, id, path)`` of every record file, in table and id order, and misplaced files."""
    base = Path(project) / DATASET
    files: list[tuple[str, str, Path]] = []
    found: list[Issue] = []
    if not base.is_dir():
        return files, found
    for folder in sorted(base.iterdir()):
        shown = (DATASET / folder.name).as_posix()
        if folder.name.startswith("."):
            found.append(issue("hidden-file", shown, name=folder.name))
            continue
        if not folder.is_dir():
            if folder.name not in SIDE_FILES:
                found.append(issue("stray-file", shown, name=folder.name))
            continue
        if folder.name in RESERVED:
            continue
        if folder.name not in TABLES:
            found.append(issue("unknown-table", shown, table=folder.name, expected=", ".join(TABLES), hint=did_you_mean(folder.name, TABLES)))
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                found.append(issue("hidden-file", (DATASET / folder.name / path.name).as_posix(), name=path.name))
                continue
            if path.suffix != ".yaml" or not _SLUG.match(path.stem):
                found.append(issue("bad-file-name", (DATASET / folder.name / path.name).as_posix(), name=path.name))
                continue
            files.append((folder.name, path.stem, path))
    return files, found


def read_dataset(project: Path) -> tuple[Dataset, list[Issue]]:
    """Read and type every record under ``project/dataset``. Issues are collected, never raised."""
    project = Path(project)
    data = Dataset(project)
    files, found = record_files(project)
    for table, stem, path in files:
        shown = path.relative_to(project).as_posix()
        try:
            raw = read_regular(path, MAX_RECORD_BYTES)
        except FileRefused as e:
            found.append(issue("file-unreadable", shown, reason=str(e).split(": ", 1)[-1]))
            continue
        except OSError as e:
            found.append(issue("file-unreadable", shown, reason=e.strerror or str(e)))
            continue
        item, problems = read_record(table, stem, shown, raw)
        data.tables[table][stem] = item
        found += problems
    return data, found
