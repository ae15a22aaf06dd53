"""``casd report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import ProjectOpt, root


@app.command()
def report(
    version: Annotated[str | None, typer.Option("--version", "-v", help="A published version (default: the latest release).")] = None,
    current: Annotated[bool, typer.Option("--current", help="The working build (build/current) instead of a release.")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the site (default: build/site/<version>); never inside build/releases or build/current.")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Write a static website for a release or the working build.

    The site has an overview, a timeline, actors, bases, figures, a page per record and the
    sources annotated. Open its index.html from disk; it needs no server and no network."""
    from ..paths import CURRENT, RELEASES
    from ..read.releases import open_current, open_release
    from ..report import build_site

    if current and version:
        raise typer.BadParameter("give --version or --current, not both", param_hint="--current")
    base = root(project)
    release = open_current(base / CURRENT) if current else open_release(version, base / RELEASES)
    target = out if out is not None else base / "build" / "site" / release.version
    if not target.is_absolute():
        target = Path.cwd() / target
    resolved = target.resolve()
    for folder in (RELEASES, CURRENT):
        guarded = (base / folder).resolve()
        if resolved == guarded or guarded in resolved.parents:
            raise typer.BadParameter(f"{target} is inside {folder.as_posix()}: the site is never written into the folders it reads", param_hint="--out")
    built = build_site(release, target, seeds_root=base, working=current)
    what = "the working build" if current else f"release {built.version}"
    typer.echo(f"wrote {built.files} files for {what} ({built.records} records, {built.sources} sources) to {built.out}", err=True)
    typer.echo((built.out / "index.html").as_posix())
