"""``casd tag``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import ProjectOpt, root


@app.command()
def tag(
    version: Annotated[str | None, typer.Argument(help="A published version (default: every release without its tag).")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Tag published releases in git as vX.Y.Z (run after committing a release).

    Each tag goes on the first commit that holds the release exactly as published. Does nothing
    outside a git checkout."""
    from ..publish.tag import tag as make

    for line in make(root(project), version):
        typer.echo(line)
