"""``casd verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import ProjectOpt, root


@app.command()
def verify(
    version: Annotated[str | None, typer.Argument(help="A published version; default: every release.")] = None,
    expect: Annotated[list[str] | None, typer.Option("--expect", help="VERSION=SHA256 of its SHA256SUMS, as recorded outside this repository (repeatable).")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Check every published release, file by file, and the working build; exit 1 on any problem.

    Checks each file against SHA256SUMS, SHA256SUMS against the index (and --expect), the archive,
    leftovers in build/releases, and build/current against its own SHA256SUMS."""
    from ..packaging.build import verify_current
    from ..paths import RELEASES
    from ..read.releases import open_release, stray_entries

    base = root(project)
    releases = base / RELEASES
    expected = {}
    for item in expect or []:
        v, sep, digest = item.partition("=")
        if not sep or len(digest) != 64:
            raise typer.BadParameter(f"{item!r}: give VERSION=<64 hex digits>", param_hint="--expect")
        expected[v] = digest
    from ..read.releases import read_index

    versions = [version] if version else [e["version"] for e in read_index(releases)]
    problems: list[str] = []
    for v in versions:
        release = open_release(v, releases, expect_sums=expected.get(v))
        found = release.verify(releases)
        problems += [f"{v}: {p}" for p in found]
        if not found:
            typer.echo(f"ok: {v} ({len(release.sums)} files, SHA256SUMS {release.entry['sums_sha256'][:16]}…, archive)", err=True)
    for v in sorted(set(expected) - set(versions)):
        problems.append(f"{v}: expected by --expect but not checked")
    if not version:
        problems += [f"build/releases: {p}" for p in stray_entries(releases)]
        problems += [f"build/current: {p}" for p in verify_current(base)]
    for p in problems:
        typer.echo(p)
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
    raise typer.Exit(1 if problems else 0)
