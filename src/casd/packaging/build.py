"""The working build: validated records -> ``build/current/`` and the root ``datapackage.json``.

Rendering is a pure function of the validated records (:func:`render` returns
``{file name: bytes}``), so the same inputs give byte-identical files and
``casd build --check`` is a byte comparison. Writing goes to a temporary folder that is
then renamed into place (the old folder is renamed away first: two renames); the root
``datapackage.json`` is written last, with an atomic replace.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..curate.issues import Issue, issue
from ..curate.validate import Validated, validate
from ..model.meta import PackageMeta
from ..model.records import Source
from ..model.relational import tables
from ..paths import CURRENT, RELEASES, ROOT_DESCRIPTOR
from ..read import semver
from ..read.integrity import sums
from ..read.releases import read_index
from .descriptor import descriptor, dump_json
from .rows import rows
from .writers import WRITERS


@dataclass(frozen=True)
class Rendered:
    """The files of one build, in memory: the folder's files and the root descriptor."""

    files: dict[str, bytes]
    """``build/current/<name>`` -> bytes."""
    root_descriptor: bytes
    """``datapackage.json`` at the project root."""
    counts: dict[str, int]
    """table -> number of rows."""


def meta_of(v: Validated) -> PackageMeta:
    if v.meta is None:
        raise ValueError("dataset/package.yaml did not validate")
    return v.meta


def sources_of(v: Validated, with_paths: bool) -> list[dict[str, str]]:
    """The descriptor's ``sources``: each seed's title, and its path where the descriptor can reach it."""
    return [{"title": s.title, "path": s.file} if with_paths else {"title": s.title} for s in v.dataset.records(Source)]


def render_tables(v: Validated) -> tuple[dict[str, bytes], dict[str, int]]:
    """Every table in every format: ``{<table>.<ext>: bytes}`` and the row counts."""
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for t in tables():
        data = rows(t, v)
        counts[t.name] = len(data)
        for ext, writer in WRITERS.items():
            files[f"{t.name}.{ext}"] = writer(t, data)
    return files, counts


def render(v: Validated, version: str) -> Rendered:
    """Render every file of a build from validated records (no I/O)."""
    meta = meta_of(v)
    files, counts = render_tables(v)
    data = dict(files)
    # build/current/datapackage.json cannot point up to seeds/ (v2 paths have no ".."): titles only
    files["datapackage.json"] = dump_json(descriptor(meta, tables(), data, version, "", sources_of(v, with_paths=False)))
    files["SHA256SUMS"] = sums(files)
    root = dump_json(descriptor(meta, tables(), data, version, CURRENT.as_posix() + "/", sources_of(v, with_paths=True)))
    return Rendered(files, root, counts)


def dev_version(project: Path) -> str:
    """The working build's version: the next patch pre-release after the latest release."""
    published = read_index(Path(project) / RELEASES)
    return semver.dev(published[-1]["version"] if published else None)


def prepare(project: Path) -> Rendered:
    """Validate and render; raises :class:`~casd.curate.issues.ValidationFailed` (nothing written) on any error."""
    return render(validate(project).valid(), dev_version(project))


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
    root = project / ROOT_DESCRIPTOR
    if not root.exists() or root.read_bytes() != rendered.root_descriptor:
        found.append(issue("build-stale", ROOT_DESCRIPTOR.as_posix(), reason="missing or differs from a fresh build"))
    return found


def write(project: Path, rendered: Rendered) -> bool:
    """Swap the rendered build into place. Returns False when it was already current."""
    project = Path(project)
    build = (project / CURRENT).parent
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
    os.replace(root_tmp, project / ROOT_DESCRIPTOR)
    shutil.rmtree(old, ignore_errors=True)
    return True


def build(project: Path) -> tuple[Rendered, bool]:
    """Validate, render and write the current build. Nothing is written if validation fails."""
    rendered = prepare(project)
    return rendered, write(project, rendered)
