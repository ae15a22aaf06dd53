"""``casd schema``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import Format, FormatOpt, ProjectOpt, echo_issues, root


@app.command()
def schema(
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a generated file differs from the models.")] = False,
    fmt: FormatOpt = Format.text,
    project: ProjectOpt = Path("."),
) -> None:
    """Generate schema/ (table schemas, JSON Schemas of the YAML files, CODEBOOK.md) and docs/errors.md."""
    from ..packaging import schemas

    base = root(project)
    if check:
        problems = schemas.drift(base)
        echo_issues(problems, fmt)
        typer.echo("generated files are stale; run `casd schema`" if problems else "schema/ and docs/errors.md are current", err=True)
        raise typer.Exit(1 if problems else 0)
    n = schemas.write(base)
    typer.echo(f"wrote {n} generated files under schema/ and docs/", err=True)
