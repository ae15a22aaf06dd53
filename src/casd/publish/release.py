"""Publishing: freeze the current build as an immutable, verifiable version.

``build/releases/X.Y.Z/`` holds the release's own ``datapackage.json`` (paths inside the
folder), CSV, Parquet, the seed texts its offsets refer to, a datasheet, a codebook, a README
with licence and citation, ``changes.csv`` (one row per changed row against the previous
release) and ``SHA256SUMS`` over all of them. ``build/releases/casd-X.Y.Z.tar.gz`` is a
reproducible archive of the folder. ``build/releases/index.json`` records each release's
``SHA256SUMS`` checksum and the archive's, so a folder edited together with its own sums is
still caught.

A release is rendered once: the tables from the validated records, then the files that
depend on the version. A published version is never rewritten: releasing an existing
version with different content is refused.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..curate.validate import Validated, validate
from ..errors import CasdError, IntegrityError
from ..export.annotations import export as export_annotations
from ..export.common import Source
from ..export.croissant import export as export_croissant
from ..fs import ProjectLock, fsync_folder, write_atomic, write_durable
from ..model.records import Source as Source_
from ..model.relational import tables
from ..packaging.build import meta_of, render_tables, sources_of
from ..packaging.descriptor import descriptor, dump_json
from ..packaging.docs import citation, codebook, datasheet, release_readme
from ..paths import INDEX, LOCK, RELEASES
from ..read import semver
from ..read.integrity import parse_sums, sha256, sums
from ..read.releases import Release, open_release, read_index
from . import diff as diffs


@dataclass(frozen=True)
class Plan:
    version: str
    previous: str | None
    diff: diffs.Diff
    files: dict[str, bytes]
    notes: str | None = None
    """The curators' account of what changed and why (``--notes``), in the CHANGELOG and the release."""
    date: str | None = None
    """The release date (UTC), read from the clock once when a version is first planned, then kept
    in its index entry: every date inside a release comes from there."""


@dataclass(frozen=True)
class Working:
    """The working dataset rendered once, before any version is stamped on it."""

    validated: Validated
    tables: dict[str, bytes]
    counts: dict[str, int]

    def descriptor(self, version: str) -> dict[str, object]:
        return descriptor(meta_of(self.validated), tables(), self.tables, version, "", sources_of(self.validated, with_paths=True))

    def side(self, label: str) -> diffs.Side:
        return diffs.memory_side(self.descriptor(label), self.tables, label)


def render_working(project: Path) -> Working:
    """Validate (raising on errors) and render every table once."""
    v = validate(project).valid()
    files, counts = render_tables(v)
    return Working(v, files, counts)


def _archive(folder_files: dict[str, bytes], version: str) -> bytes:
    """A tar.gz with sorted names, zero times, root owners and fixed modes: reproducible."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        prefix = f"casd-{version}"
        for name in sorted(folder_files):
            data = folder_files[name]
            info = tarfile.TarInfo(f"{prefix}/{name}")
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def stamp(project: Path, w: Working, version: str, d: diffs.Diff, notes: str | None = None, date: str | None = None) -> dict[str, bytes]:
    """Every file of the release folder for a version (no I/O but reading the seeds)."""
    meta = meta_of(w.validated)
    files = dict(w.tables)
    for s in w.validated.dataset.records(Source_):
        files[s.file] = (Path(project) / s.file).read_bytes()
    files["datapackage.json"] = dump_json(w.descriptor(version))
    files["DATASHEET.md"] = datasheet(w.validated, version, w.counts).encode("utf-8")
    files["CODEBOOK.md"] = codebook().encode("utf-8")
    files["README.md"] = release_readme(meta, version, w.counts).encode("utf-8")
    files["CITATION.cff"] = citation(meta, version, date).encode("utf-8")
    files["changes.csv"] = diffs.as_csv(d)
    if notes:
        files["NOTES.md"] = notes.encode("utf-8")
    files.update(derived_formats(project, files, version, date))
    d.files_added = sorted(set(files) - set(d.previous_files)) if d.previous_files else []
    files["CHANGES.md"] = diffs.as_markdown(d, version, notes).encode("utf-8")
    files["SHA256SUMS"] = sums(files)
    return files


#: Derived formats every release carries (byte-reproducible: the SQLite database is not, and is
#: generated on demand with `casd export sqlite`).
IN_RELEASE = {"croissant.json": export_croissant, "annotations.jsonld": export_annotations}


def derived_formats(project: Path, files: dict[str, bytes], version: str, date: str | None) -> dict[str, bytes]:
    """Croissant and W3C annotations of the release being made, rendered from its own files."""
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "release"
        for name, data in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        listing = sums(files)
        entry: dict[str, object] = {"version": version, "sums_sha256": sha256(listing)}
        if date:
            entry["date"] = date
        source = Source(Release(version, folder, entry, parse_sums(listing)), Path(project), current=False)
        for name, exporter in IN_RELEASE.items():
            target = Path(tmp) / f"out-{name}"
            target.mkdir()
            exporter(source, target)
            out[name] = (target / name).read_bytes()
    return out


def _planned_names(w: Working) -> list[str]:
    """The names every release of this working dataset holds (tables, documents, derived formats)."""
    fixed = ["datapackage.json", "DATASHEET.md", "CODEBOOK.md", "README.md", "CITATION.cff", "changes.csv", "CHANGES.md", "SHA256SUMS", *IN_RELEASE]
    return sorted(set(w.tables) | {s.file for s in w.validated.dataset.records(Source_)} | set(fixed))


def plan(project: Path, spec: str = "auto", notes: str | None = None) -> Plan:
    """Work out the version and render every file of a release, without writing anything."""
    project = Path(project)
    if spec not in ("auto", "major", "minor", "patch") and not semver.is_version(spec):
        raise CasdError(f"version must be X.Y.Z, major, minor, patch or auto, not {spec!r}")
    w = render_working(project)
    base = project / RELEASES
    published = read_index(base)
    previous = published[-1]["version"] if published else None
    for entry in published:  # re-planning a published version: compare with what preceded it
        if entry["version"] == spec:
            previous = entry["previous"]
    old_release = open_release(previous, base) if previous else None
    old = diffs.release_side(old_release) if old_release else None
    old_files = set(old_release.sums) | {"SHA256SUMS"} if old_release else set()
    d = diffs.compare(old, w.side("working dataset"))
    if spec == "auto":
        version = semver.bump(previous, d.bump if previous else "minor")
    elif spec in ("major", "minor", "patch"):
        version = semver.bump(previous, spec)
    else:
        version = spec
    d.new = version
    d.previous_files = sorted(old_files) if previous else []
    packaged_differently = bool(previous) and d.empty and bool(set(_planned_names(w)) - set(old_files))
    if previous and spec not in {e["version"] for e in published}:
        if d.empty and not packaged_differently:
            raise CasdError(f"nothing changed since {previous}: no release needed")
        given = semver.level(previous, version)
        if semver.LEVELS[given] < semver.LEVELS[d.bump]:
            why = "; ".join(c.text for c in d.reasons if c.level == d.bump)
            raise CasdError(f"{version} is a {given} release, but the changes since {previous} call for a {d.bump} one: {why}")
    if notes is not None:
        notes = notes.strip() + "\n"
    known = {e["version"]: e for e in published}
    date = known[version].get("date") if version in known else datetime.now(UTC).date().isoformat()
    return Plan(version, previous, d, stamp(project, w, version, d, notes, date), notes, date)


def publish(project: Path, p: Plan) -> bool:
    """Write a planned release (under the project lock). Returns False if this exact release
    already exists. The atomic write of ``index.json`` is the commit point."""
    project = Path(project)
    releases = project / RELEASES
    folder = releases / p.version
    with ProjectLock(project / LOCK, "release"):
        published = read_index(releases)
        known = {e["version"]: e for e in published}
        if p.version in known:
            existing = open_release(p.version, releases)  # verifies SHA256SUMS against the index
            if existing.sums != parse_sums(p.files["SHA256SUMS"]):
                raise IntegrityError(f"release {p.version} exists with different content; a published release is never rewritten")
            return False
        if published and semver.key(p.version) <= semver.key(published[-1]["version"]):
            raise CasdError(f"version {p.version} is not after the latest release {published[-1]['version']}")
        releases.mkdir(parents=True, exist_ok=True)
        if not (project / INDEX).exists():
            write_atomic(project / INDEX, dump_json({"releases": []}))  # the history starts here
        tmp = releases / f".{p.version}.tmp-{os.getpid()}"
        for name, data in p.files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            write_durable(path, data)
        for sub in sorted({(tmp / n).parent for n in p.files}, key=lambda d: -len(d.parts)):
            fsync_folder(sub)
        archive = _archive(p.files, p.version)
        archive_name = f"casd-{p.version}.tar.gz"
        write_atomic(releases / archive_name, archive)
        write_atomic(releases / f"{archive_name}.sha256", f"{sha256(archive)}  {archive_name}\n".encode("ascii"))
        os.rename(tmp, folder)
        fsync_folder(releases)
        entry = {
            "version": p.version,
            "sums_sha256": sha256(p.files["SHA256SUMS"]),
            "archive": archive_name,
            "archive_sha256": sha256(archive),
            "previous": p.previous,
        }
        if p.date:
            entry["date"] = p.date
        write_atomic(project / INDEX, dump_json({"releases": published + [entry]}))  # the commit point
    return True


def release(project: Path, spec: str = "auto", notes: str | None = None) -> tuple[Plan, bool]:
    """Recover, plan, publish, then roll forward CHANGELOG.md, CITATION.cff, the package version
    and the current build, all under the project lock."""
    from .recover import recover, roll_forward

    with ProjectLock(Path(project) / LOCK, "release"):
        recover(project, "release")
        p = plan(project, spec, notes)
        created = publish(project, p)
        if created:
            roll_forward(project)  # the working build moves on to the next -dev version
    return p, created


def working_diff(project: Path, version: str | None) -> diffs.Diff:
    """Diff between a published version (default: latest) and the working dataset."""
    project = Path(project)
    base = project / RELEASES
    if not read_index(base):
        raise CasdError("no published release to compare with")
    old = diffs.release_side(open_release(version, base))
    return diffs.compare(old, render_working(project).side("working dataset"))


def versions_diff(project: Path, a: str, b: str) -> diffs.Diff:
    base = Path(project) / RELEASES
    return diffs.compare(diffs.release_side(open_release(a, base)), diffs.release_side(open_release(b, base)))
