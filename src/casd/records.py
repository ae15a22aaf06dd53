"""Record files -> typed records, each remembering where its values stand.

``dataset/<table>/<id>.yaml`` is read with :mod:`casd.yamlio` and typed with the
table's model from :mod:`casd.models`. Pydantic's errors are mapped back to the
line and column of the offending key or value. Rules across fields and records
are :mod:`casd.checks`' business.
"""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from . import yamlio
from .errors import Issue, issue
from .models import SLUG, TABLES, Record

_SLUG = re.compile(SLUG)
#: folders under dataset/ that hold no records (casd.coverage's reviewed lists)
RESERVED = {"coverage"}


@dataclass
class Loaded:
    """One record file: where it is, its positions, and the typed record (None if it failed)."""

    table: str
    id: str
    path: str
    doc: yamlio.Document
    record: Record | None = None

    def at(self, loc: tuple, code: str, key: bool = False, **params) -> Issue:
        """An issue located at a path inside this record (its dotted path is the issue's field)."""
        line, col = self.doc.where(loc, key=key)
        params.setdefault("field", ".".join(str(p) for p in loc))
        return issue(code, self.path, line, col, **params)


@dataclass
class Dataset:
    """Every record file under a dataset folder, by table and id."""

    root: Path
    tables: dict[str, dict[str, Loaded]] = field(default_factory=lambda: {t: {} for t in TABLES})

    def records(self, table: str) -> list[Record]:
        """Typed records of a table, sorted by id."""
        return [item.record for _, item in sorted(self.tables[table].items()) if item.record is not None]

    def all(self):
        for table in TABLES:
            for _, item in sorted(self.tables[table].items()):
                yield item


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def pydantic_issues(item: Loaded, err: ValidationError, prefix: tuple = ()) -> list[Issue]:
    """Map Pydantic's errors to located issues (``prefix``: where the validated value sits in the file)."""
    found = []
    for e in err.errors(include_url=False):
        loc = prefix + tuple(e["loc"])
        name = ".".join(str(p) for p in loc)
        if e["type"] == "missing":
            found.append(item.at(loc[:-1], "missing-field", field=name))
        elif e["type"] == "extra_forbidden":
            found.append(item.at(loc, "unknown-field", key=True, field=name))
        else:
            found.append(item.at(loc, "invalid-value", field=name, reason=e["msg"]))
    return found


def read_lists(project: Path, rel: Path, lists: dict[str, type]) -> tuple[dict[str, list], list[Issue], Loaded | None]:
    """Read a side file holding named lists of small records (tombstones, coverage lists).

    Each entry is validated on its own, so one bad entry hides no other. A missing
    file is empty.
    """
    out: dict[str, list] = {name: [] for name in lists}
    path = Path(project) / rel
    if not path.exists():
        return out, [], None
    doc, found = yamlio.read(path, rel.as_posix())
    if found:
        return out, found, None
    here = Loaded(rel.parent.name, rel.stem, rel.as_posix(), doc)
    found += [here.at((k,), "unknown-field", key=True, field=k) for k in sorted(set(doc.data) - set(lists))]
    for name, model in lists.items():
        entries = doc.data.get(name, [])
        if not isinstance(entries, list):
            found.append(here.at((name,), "invalid-value", reason="expected a list"))
            continue
        for i, raw in enumerate(entries):
            try:
                out[name].append(model.model_validate(raw))
            except ValidationError as err:
                found += pydantic_issues(here, err, prefix=(name, i))
    return out, found, here


def read_dataset(project: Path) -> tuple[Dataset, list[Issue]]:
    """Read and type every record under ``project/dataset``. Issues are collected, never raised."""
    project = Path(project)
    base = project / "dataset"
    data = Dataset(project)
    found: list[Issue] = []
    if not base.is_dir():
        return data, found
    gc_was = gc.isenabled()
    gc.disable()  # bulk loading makes many small objects; collection cycles only cost time here
    try:
        for folder in sorted(p for p in base.iterdir() if not p.name.startswith(".")):
            if not folder.is_dir() or folder.name in RESERVED:
                continue
            shown = _display(folder, project)
            if folder.name not in TABLES:
                found.append(issue("unknown-table", shown, table=folder.name, expected=", ".join(TABLES)))
                continue
            model = TABLES[folder.name]
            for path in sorted(folder.iterdir()):
                if path.name.startswith("."):
                    continue
                shown = _display(path, project)
                if path.suffix != ".yaml" or not _SLUG.match(path.stem):
                    found.append(issue("bad-file-name", shown, name=path.name))
                    continue
                doc, problems = yamlio.read(path, shown)
                item = Loaded(folder.name, path.stem, shown, doc)
                data.tables[folder.name][path.stem] = item
                if problems:
                    found.extend(problems)
                    continue
                try:
                    item.record = model.model_validate(doc.data)
                except ValidationError as err:
                    found.extend(pydantic_issues(item, err))
                    continue
                if item.record.id != path.stem:
                    found.append(item.at(("id",), "id-mismatch", id=item.record.id, stem=path.stem))
    finally:
        if gc_was:
            gc.enable()
    return data, found
