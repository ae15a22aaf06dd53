"""``casd diff``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import Format, FormatOpt, ProjectOpt, refusing_on_issues, root


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="A published version.")],
    new: Annotated[str | None, typer.Argument(help="A published version; default: the working dataset.")] = None,
    fmt: FormatOpt = Format.text,
    project: ProjectOpt = Path("."),
) -> None:
    """Show what changed between two versions (or a version and the working dataset): schema first, then records with old -> new values."""
    from ..publish import diff as diffs
    from ..publish import release as rel

    base = root(project)
    with refusing_on_issues(fmt, "diff needs a valid dataset"):
        d = rel.versions_diff(base, old, new) if new else rel.working_diff(base, old)
    typer.echo(diffs.as_text(d), nl=False)
