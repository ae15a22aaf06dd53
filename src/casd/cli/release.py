"""``casd release``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..paths import RELEASES
from .app import app
from .common import Format, FormatOpt, ProjectOpt, refusing_on_issues, root


@app.command()
def release(
    spec: Annotated[str, typer.Argument(help="X.Y.Z, major, minor, patch, or auto (propose the bump from the changes).")] = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the version and changes; write nothing.")] = False,
    notes: Annotated[Path | None, typer.Option("--notes", exists=True, dir_okay=False, help="Markdown: what changed and why (heads the CHANGELOG section, ships as NOTES.md).")] = None,
    fmt: FormatOpt = Format.text,
    project: ProjectOpt = Path("."),
) -> None:
    """Freeze the current build as an immutable release under build/releases/X.Y.Z/ (plus a .tar.gz).

    Updates build/releases/index.json, CHANGELOG.md, CITATION.cff, the package version and the
    working build. Refuses to rewrite a published version.
    """
    from ..publish import diff as diffs
    from ..publish import release as rel

    base = root(project)
    text = notes.read_text(encoding="utf-8") if notes else None
    with refusing_on_issues(fmt, "release refused"):
        if dry_run:  # writes nothing: no recovery either
            plan = rel.plan(base, spec, text)
            typer.echo(diffs.as_text(plan.diff).replace("casd diff", f"casd release {plan.version}:", 1))
            return
        plan, created = rel.release(base, spec, text)
    typer.echo(diffs.as_text(plan.diff))
    where = f"{RELEASES.as_posix()}/{plan.version}/"
    typer.echo(f"released {plan.version} in {where}" if created else f"{plan.version} is already published with identical content", err=True)
