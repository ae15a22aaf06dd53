"""Publishing: freeze the current build as an immutable, verifiable version.

``build/releases/X.Y.Z/`` holds the release's own ``datapackage.json`` (paths
inside the folder), CSV, Parquet, the seed texts its offsets refer to, a
datasheet, a codebook, a README with licence and citation, ``changes.csv`` (one
row per changed row against the previous release) and ``SHA256SUMS`` over all of
them. ``build/releases/casd-X.Y.Z.tar.gz`` is a reproducible archive of the folder.
``build/releases/index.json`` records each release's ``SHA256SUMS`` checksum and
the archive's, so a folder edited together with its own sums is still caught.

A published version is never rewritten: releasing an existing version with
different content is refused.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from . import diff as diffs
from .codebook import CITATION, LICENSE_TEXT, codebook, counts, datasheet
from .errors import CasdError, IntegrityError, ValidationFailed
from .build import descriptor, dump_json, render, sha256, sums, write
from .paths import INDEX, RELEASES, read_index
from .checks import validate
from .tables import layout

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


@dataclass
class Plan:
    version: str
    previous: str | None
    diff: diffs.Diff
    files: dict[str, bytes]


def _release_readme(version: str, n: dict[str, int]) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in n.items())
    return f"""# casd {version}

The Central Asia Security Dataset, release {version}: curated records with verbatim evidence
from five articles (2014-2015), as CSV and Parquet twins described by `datapackage.json`
(Frictionless Data Package v2).

| table | rows |
|---|---:|
{rows}

Verify: `sha256sum -c SHA256SUMS`. Documentation: `DATASHEET.md`, `CODEBOOK.md`. Changes against
the previous release: `changes.csv`.

{LICENSE_TEXT}
Cite: see `CITATION.cff`.
"""


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


def _render_release(project: Path, report, version: str, previous_side, previous: str | None) -> tuple[dict[str, bytes], diffs.Diff]:
    rendered = render(report, version)
    files = {k: v for k, v in rendered.files.items() if k not in ("SHA256SUMS", "datapackage.json")}
    sources = [{"title": s.title, "path": s.file} for s in report.dataset.records("sources")]
    desc = descriptor(layout(), files, version, "", sources)
    new_side = diffs.memory_side(desc, files, version)
    d = diffs.compare(previous_side, new_side) if previous_side else diffs.compare(diffs.Side("nothing", {"resources": []}, {}), new_side)
    if previous is None:
        d.old = "nothing (first release)"
    for s in report.dataset.records("sources"):
        files[s.file] = (project / s.file).read_bytes()
    n = counts(report)
    files["datapackage.json"] = dump_json(desc)
    files["DATASHEET.md"] = datasheet(report, version, n).encode("utf-8")
    files["CODEBOOK.md"] = codebook().encode("utf-8")
    files["README.md"] = _release_readme(version, n).encode("utf-8")
    files["CITATION.cff"] = CITATION.format(version=version).encode("utf-8")
    files["changes.csv"] = diffs.as_csv(d)
    files["SHA256SUMS"] = sums(files)
    return files, d


def plan(project: Path, spec: str = "auto") -> Plan:
    """Work out the version and render every file of a release, without writing anything."""
    project = Path(project)
    report = validate(project)
    if report.issues:
        raise ValidationFailed(report.issues)
    published = read_index(project)
    previous = published[-1]["version"] if published else None
    for entry in published:  # re-planning a published version: compare with what preceded it
        if entry["version"] == spec:
            previous = entry["previous"]
    prev_side = diffs.release_side(project / RELEASES / previous, previous) if previous else None
    if spec == "auto":
        _, d = _render_release(project, report, "0.0.0", prev_side, previous)
        version = diffs.bump(previous, d.bump if previous else "minor")
    elif spec in ("major", "minor", "patch"):
        version = diffs.bump(previous, spec)
    elif SEMVER.match(spec):
        version = spec
    else:
        raise CasdError(f"version must be X.Y.Z, major, minor, patch or auto, not {spec!r}")
    files, d = _render_release(project, report, version, prev_side, previous)
    if previous and spec not in {e["version"] for e in published}:
        if d.empty:
            raise CasdError(f"nothing changed since {previous}: no release needed")
        given = _level(previous, version)
        if diffs.LEVELS[given] < diffs.LEVELS[d.bump]:
            why = "; ".join(c.text for c in d.reasons if c.level == d.bump)
            raise CasdError(f"{version} is a {given} release, but the changes since {previous} call for a {d.bump} one: {why}")
    return Plan(version, previous, d, files)


def _level(old: str, new: str) -> str:
    """The SemVer level of going from ``old`` to ``new`` (both X.Y.Z)."""
    o, n = [tuple(int(x) for x in v.split(".")) for v in (old, new)]
    return "major" if n[0] != o[0] else "minor" if n[1] != o[1] else "patch"


def _verify_published(project: Path, entry: dict) -> None:
    folder = project / RELEASES / entry["version"]
    actual = sha256((folder / "SHA256SUMS").read_bytes())
    if actual != entry["sums_sha256"]:
        raise IntegrityError(f"{folder}/SHA256SUMS: sha256 {actual}, index says {entry['sums_sha256']}")


def publish(project: Path, p: Plan) -> bool:
    """Write a planned release. Returns False if this exact release already exists."""
    project = Path(project)
    releases = project / RELEASES
    folder = releases / p.version
    published = read_index(project)
    known = {e["version"]: e for e in published}
    if p.version in known or folder.exists():
        existing = {f.relative_to(folder).as_posix(): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()} if folder.exists() else {}
        if existing != p.files:
            raise CasdError(f"release {p.version} exists with different content; a published release is never rewritten")
        if p.version in known:
            _verify_published(project, known[p.version])
            return False
        # a crash after the folder was placed but before the index was written: finish the job
        shutil.rmtree(folder)
    if published and tuple(map(int, p.version.split("."))) <= tuple(map(int, published[-1]["version"].split("."))):
        raise CasdError(f"version {p.version} is not after the latest release {published[-1]['version']}")
    releases.mkdir(parents=True, exist_ok=True)
    tmp = releases / f".{p.version}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    for name, data in p.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    archive = _archive(p.files, p.version)
    archive_name = f"casd-{p.version}.tar.gz"
    (releases / archive_name).write_bytes(archive)
    os.rename(tmp, folder)
    entry = {
        "version": p.version,
        "sums_sha256": sha256(p.files["SHA256SUMS"]),
        "archive": archive_name,
        "archive_sha256": sha256(archive),
        "previous": p.previous,
    }
    index_tmp = releases / f".index.json.tmp-{os.getpid()}"
    index_tmp.write_bytes(dump_json({"releases": published + [entry]}))
    os.replace(index_tmp, project / INDEX)
    return True


def _changelog(project: Path, p: Plan) -> None:
    path = project / "CHANGELOG.md"
    head = "# Changelog\n\nGenerated by `casd release` from `casd diff`: schema changes first, then records.\n\n"
    old = path.read_text(encoding="utf-8") if path.exists() else head
    body = old[len(head):] if old.startswith(head) else old
    path.write_text(head + diffs.as_markdown(p.diff, p.version) + "\n" + body, encoding="utf-8")


def _set_package_version(project: Path, version: str) -> None:
    path = project / "src/casd/_version.py"
    if path.exists():
        path.write_text(f'__version__ = "{version}"\n', encoding="utf-8")


def release(project: Path, spec: str = "auto") -> tuple[Plan, bool]:
    """Plan, publish, then update CHANGELOG.md, the package version and the current build."""
    p = plan(project, spec)
    created = publish(project, p)
    if created:
        _changelog(project, p)
        _set_package_version(project, p.version)
        (project / "CITATION.cff").write_text(CITATION.format(version=p.version), encoding="utf-8")
        from .build import prepare

        write(project, prepare(project))  # the working build moves on to the next -dev version
    return p, created


def working_diff(project: Path, version: str | None) -> diffs.Diff:
    """Diff between a published version (default: latest) and the working dataset."""
    project = Path(project)
    published = read_index(project)
    if not published:
        raise CasdError("no published release to compare with")
    version = version or published[-1]["version"]
    if version not in {e["version"] for e in published}:
        raise CasdError(f"no release {version!r}")
    report = validate(project)
    if report.issues:
        raise ValidationFailed(report.issues)
    old = diffs.release_side(project / RELEASES / version, version)
    files, _ = _render_release(project, report, "working", old, version)
    new = diffs.memory_side(json.loads(files["datapackage.json"]), files, "working dataset")
    return diffs.compare(old, new)


def versions_diff(project: Path, a: str, b: str) -> diffs.Diff:
    project = Path(project)
    return diffs.compare(diffs.release_side(project / RELEASES / a, a), diffs.release_side(project / RELEASES / b, b))
