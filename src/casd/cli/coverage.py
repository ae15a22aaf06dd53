"""``casd coverage``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..curate.issues import errors
from .app import app
from .common import Format, FormatOpt, ProjectOpt, echo_issues, root


@app.command()
def coverage(
    summary: Annotated[bool, typer.Option("--summary", help="Only the per-seed counts, not the lists.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 while any uncited sentence or flagged item remains.")] = False,
    fmt: FormatOpt = Format.text,
    project: ProjectOpt = Path("."),
) -> None:
    """Per seed: records citing it, sentences covered by evidence, and what no record captures yet.

    Lists the uncited sentences, and quotations, numbers, dates and names no record captures.

    Boilerplate and deliberate omissions are listed, with reasons, in
    dataset/coverage/<source id>.yaml (one file per seed).
    """
    from ..curate import coverage as cov
    from ..curate.validate import validate

    base = root(project)
    result = validate(base)
    if result.errors:
        echo_issues(result.issues, fmt)
        typer.echo("coverage needs a valid dataset", err=True)
        raise typer.Exit(1)
    measured, problems = cov.measure(base, result)
    echo_issues(problems, fmt)
    typer.echo(cov.as_text(measured, show=not summary), nl=False)
    left = sum(len(c.uncited) + len(c.flags) for c in measured)
    raise typer.Exit(1 if errors(problems) or (strict and left) else 0)
