"""The working build: validated records -> ``build/current/`` and the root ``datapackage.json``.

Rendering is a pure function of the validated records (:func:`render` returns
``{file name: bytes}``), so the same inputs give byte-identical files and
``casd build --check`` is a byte comparison. Writing goes to a temporary folder (every file
fsynced) that is exchanged with ``build/current`` in one atomic step; the root
``datapackage.json`` is written last, with an atomic replace; the project lock serialises writers.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..curate.issues import Issue, ValidationFailed, issue
from ..curate.load import end_with_parent
from ..curate.validate import Validated, validate
from ..errors import CasdError
from ..fs import ProjectLock, fsync_folder, swap_folders, write_atomic, write_durable
from ..model.meta import PackageMeta
from ..model.records import Source
from ..model.relational import tables
from ..paths import CACHE_DIR, CURRENT, DATASET, LOCK, RELEASES, ROOT_DESCRIPTOR
from ..read import semver
from ..read.integrity import parse_sums, sha256, sums
from ..read.releases import read_index
from .descriptor import descriptor, dump_json

# The render's modules (.rows, .tablecheck, .writers: pyarrow and polars, about 90 MiB) are imported
# by the functions that render, not with this module: a large build's parent process waits for its
# child (made_apart) and the child validates without them, which at a million records is the
# margin under the memory target (benchmarks/FINDINGS.md).
if TYPE_CHECKING:
    import pyarrow as pa

    from .rows import Gathered


@dataclass(frozen=True)
class Rendered:
    """The files of one build, in memory: the folder's files and the root descriptor."""

    files: dict[str, bytes]
    """``build/current/<name>`` -> bytes."""
    root_descriptor: bytes
    """``datapackage.json`` at the project root."""
    counts: dict[str, int]
    """table -> number of rows."""


@dataclass(frozen=True)
class Made:
    """What a render reads of a validation: the package's metadata, each source's title and seed
    file (in id order), and every table's rows (:func:`~casd.packaging.rows.gather`)."""

    meta: PackageMeta
    sources: tuple[tuple[str, str], ...]
    tables: dict[str, Gathered]


def meta_of(v: Validated) -> PackageMeta:
    if v.meta is None:
        raise ValueError("dataset/package.yaml did not validate")
    return v.meta


def made_of(v: Validated, spill: Path | None = None) -> Made:
    """What a render reads of a validation (``spill``: :func:`~casd.packaging.rows.gather`'s)."""
    from .rows import gather

    return Made(meta_of(v), _sources(v), gather(v, spill))


def _sources(v: Validated) -> tuple[tuple[str, str], ...]:
    return tuple((s.title, s.file) for s in v.dataset.records(Source))


def sources_of(v: Validated | Made, with_paths: bool) -> list[dict[str, str]]:
    """The descriptor's ``sources``: each seed's title, and its path where the descriptor can reach it."""
    pairs = v.sources if isinstance(v, Made) else _sources(v)
    return [{"title": title, "path": file} if with_paths else {"title": title} for title, file in pairs]


def render_tables(v: Validated | Made) -> tuple[dict[str, bytes], dict[str, int]]:
    """Every table in every format: ``{<table>.<ext>: bytes}`` and the row counts. Raises
    :class:`~casd.curate.issues.ValidationFailed` if a table breaks its own schema (checked
    vectorised, on the Arrow tables, before anything is written to disk).

    The tables' rows are made in one pass over the records (:func:`~casd.packaging.rows.gather`:
    each record read once and let go; rows held as Arrow chunks, not as Python objects). Then one
    table at a time is made whole, checked, and turned into its files, and only the columns its
    foreign keys read (or others' read of it) are kept for the checks across tables."""
    from .tablecheck import key_columns, own_problems, problems
    from .writers import WRITERS

    layout = tables()
    made = dict((v if isinstance(v, Made) else made_of(v)).tables)
    keys = key_columns(layout)
    kept: dict[str, pa.Table] = {}
    own: dict[str, list[Issue] | None] = {}
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for t in layout:
        table = made.pop(t.name).arrow()
        own[t.name] = own_problems(t, table)
        kept[t.name] = table.select([c for c in keys[t.name] if c in table.column_names])
        counts[t.name] = table.num_rows
        for ext, writer in WRITERS.items():
            files[f"{t.name}.{ext}"] = writer(t, table)
        del table
    found = [i for t in layout for i in problems(t, own[t.name], kept[t.name], kept)]  # in the order of check_tables
    if found:
        raise ValidationFailed(found)
    return files, counts


def render(v: Validated | Made, version: str) -> Rendered:
    """Render every file of a build from validated records (no I/O but a :class:`Made`'s spilled rows)."""
    meta = v.meta if isinstance(v, Made) else meta_of(v)
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
    """Validate and render; raises :class:`~casd.curate.issues.ValidationFailed` (nothing written) on any error.

    The typed records stay in the validation cache's form (bytes) until the render reads each once.
    For a large dataset (:data:`APART_FROM`), the validation and the making of the rows run in a
    child process (:func:`made_apart`), so the memory the validation held is the system's again
    before the tables are rendered."""
    project = Path(project)
    version = dev_version(project)
    spill = _spill_folder(project) if _large(project) else None
    if spill is None:
        return render(made_of(validate(project, records=False).valid()), version)
    try:
        return render(made_apart(project, spill), version)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


#: From this many record files, a build validates in a child process (:func:`made_apart`): below,
#: the child's start (a new Python process importing casd, about a second) costs more than the
#: memory it gives back is worth.
APART_FROM = 20_000


def _large(project: Path) -> bool:
    """Whether the dataset holds :data:`APART_FROM` files or more (counting stops there)."""
    seen = 0
    try:
        for table in os.scandir(project / DATASET):
            if table.is_dir():
                with os.scandir(table.path) as files:
                    for _ in files:
                        seen += 1
                        if seen >= APART_FROM:
                            return True
    except OSError:
        return False  # the validation says what is wrong
    return seen >= APART_FROM


def _spill_folder(project: Path) -> Path | None:
    """A new folder for the rows a child process makes, in the project's cache folder (git-ignored),
    after removing what builds that were killed left there; None if it cannot be made."""
    base = project / CACHE_DIR
    for old in base.glob(f"{SPILL_PREFIX}*"):
        pid = old.name.removeprefix(SPILL_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    try:
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-", dir=base))
    except OSError:
        return None


#: the name of a build's folder of rows (:func:`_spill_folder`), followed by its process id
SPILL_PREFIX = "rows-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


def made_apart(project: Path, spill: Path, method: str = "spawn") -> Made:
    """Validate and make every table's rows in a child process, which writes them into
    ``spill`` (one Arrow IPC stream per table) and sends back the rest of :class:`Made`.

    The child is a new Python process (``method``), not a fork: a caller that has used pyarrow or
    polars (a test, a server) runs the threads they start, and a child forked after polars' thread
    pool ran can hang in its first use of polars.

    At a million records the validation peaks at about 3.4 GB, most of it in small objects whose
    memory Python keeps once they are freed, so a render in the same process would start from there
    (6.85 GB in all, when it did). The child's memory is the system's again when it ends. What it raised is
    raised here: :class:`~casd.curate.issues.ValidationFailed` with its issues, any other error as
    it was (or as a :class:`~casd.errors.CasdError` saying what it was, if it cannot be sent)."""
    context: Any = multiprocessing.get_context(method)  # typeshed gives BaseContext, without Process
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_make_apart, args=(project, spill, send, os.getpid()), name="casd build: validate")
    child.start()
    send.close()
    try:
        try:
            kind, payload = receive.recv()
        except EOFError:
            child.join()
            raise CasdError(f"the build's validation stopped before it finished (exit code {child.exitcode})") from None
        child.join()
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
            child.join()
    if kind == "failed":
        raise ValidationFailed(payload)
    if kind == "error":
        raise payload
    from .rows import Gathered

    meta, sources = payload
    return Made(meta, sources, {t.name: Gathered.spilled(t, spill) for t in tables()})


def _make_apart(project: Path, spill: Path, send: Connection, parent: int) -> None:
    """The child process of :func:`made_apart`: it ends with its parent (a ``casd build`` killed
    while its child validates leaves nothing running; its rows folder is removed by the next build)."""
    end_with_parent(parent)
    try:
        made = made_of(validate(project, records=False).valid(), spill)
        result: tuple[str, Any] = ("made", (made.meta, made.sources))
    except ValidationFailed as e:
        result = ("failed", e.issues)
    except BaseException as e:  # noqa: BLE001 - every failure is the parent's to raise
        result = ("error", e)
    try:
        send.send(result)
    except OSError:
        return  # the parent is gone (killed): there is no one to tell, and its next build removes the rows
    except Exception as e:  # noqa: BLE001 - an error that cannot be pickled is sent as text
        send.send(("error", CasdError(f"the build's validation failed: {type(result[1]).__name__}: {result[1]} ({e})")))


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


def verify_current(project: Path) -> list[str]:
    """Problems with ``build/current`` on its own terms: every file against its SHA256SUMS."""
    current = Path(project) / CURRENT
    try:
        listed = parse_sums((current / "SHA256SUMS").read_bytes())
    except (OSError, CasdError) as e:
        return [f"SHA256SUMS: {e}"]
    problems = []
    names = {p.name for p in current.iterdir()}
    problems += [f"{n}: not listed in SHA256SUMS" for n in sorted(names - set(listed) - {"SHA256SUMS"})]
    for name, digest in sorted(listed.items()):
        try:
            if sha256((current / name).read_bytes()) != digest:
                problems.append(f"{name}: differs from SHA256SUMS (run casd build)")
        except OSError as e:
            problems.append(f"{name}: {e.strerror or e}")
    return problems


def clean_leftovers(project: Path) -> None:
    """Remove what an interrupted build leaves: temporary and old copies of build/current."""
    build = (Path(project) / CURRENT).parent
    for leftover in build.glob(".current.*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in Path(project).glob(f".{ROOT_DESCRIPTOR.name}.tmp-*"):
        leftover.unlink(missing_ok=True)


def write(project: Path, rendered: Rendered) -> bool:
    """Swap the rendered build into place (under the project lock). Returns False when it was
    already current.

    Every file is written and fsynced in a temporary folder, which is then exchanged with
    ``build/current`` in one atomic step (so ``build/current`` is never missing); the root
    descriptor follows with an atomic replace. A crash at any point leaves the old build or the
    new one, and leftovers that the next command removes.
    """
    project = Path(project)
    build = (project / CURRENT).parent
    build.mkdir(exist_ok=True)
    with ProjectLock(project / LOCK, "build"):
        clean_leftovers(project)
        if not stale(project, rendered):
            return False
        tmp = build / f".current.tmp-{os.getpid()}"
        tmp.mkdir()
        for name, data in rendered.files.items():
            write_durable(tmp / name, data)
        fsync_folder(tmp)
        current = project / CURRENT
        if not current.exists():
            os.rename(tmp, current)
            fsync_folder(build)
        elif swap_folders(tmp, current):
            shutil.rmtree(tmp)  # holds the old build now
        else:  # no atomic exchange here: two renames
            old = build / f".current.old-{os.getpid()}"
            os.rename(current, old)
            os.rename(tmp, current)
            fsync_folder(build)
            shutil.rmtree(old)
        write_atomic(project / ROOT_DESCRIPTOR, rendered.root_descriptor)
    return True


def build(project: Path) -> tuple[Rendered, bool]:
    """Validate, render and write the current build. Nothing is written if validation fails."""
    with ProjectLock(Path(project) / LOCK, "build"):
        rendered = prepare(project)
        return rendered, write(project, rendered)
