"""``casd build``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..paths import CURRENT
from .app import app
from .common import Format, FormatOpt, ProjectOpt, echo_issues, refusing_on_issues, root


@app.command()
def build(
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the committed build differs from a fresh one.")] = False,
    fmt: FormatOpt = Format.text,
    project: ProjectOpt = Path("."),
) -> None:
    """Validate, then write build/current/ (CSV + Parquet + datapackage.json + SHA256SUMS) and ./datapackage.json.

    Validation problems are printed and nothing is written.
    """
    from ..fs import ProjectLock
    from ..packaging.build import prepare, stale, write
    from ..paths import LOCK
    from ..publish.recover import recover

    base = root(project)
    if check:
        with refusing_on_issues(fmt, "build failed"):
            rendered = prepare(base)
        problems = stale(base, rendered)
        echo_issues(problems, fmt)
        typer.echo(f"build is stale: {len(problems)} file(s) differ; run `casd build`" if problems else "build is current", err=True)
        raise typer.Exit(1 if problems else 0)
    with ProjectLock(base / LOCK, "build"):
        for done in recover(base, "build", rebuild=False):  # the build below brings build/current forward
            typer.echo(f"recovered: {done}", err=True)
        with refusing_on_issues(fmt, "build failed"):
            rendered = prepare(base)
        changed = write(base, rendered)
    typer.echo(f"{'built' if changed else 'up to date'}: {len(rendered.counts)} tables in {CURRENT.as_posix()}/ (CSV + Parquet), datapackage.json", err=True)
