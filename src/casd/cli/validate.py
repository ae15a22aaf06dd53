"""``casd validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import Format, FormatOpt, ProjectOpt, echo_issues, progress_bar, root, summary


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(exists=True, help="Only print issues in these files or folders (the whole dataset is always checked, and decides the exit code).")] = None,
    fmt: FormatOpt = Format.text,
    project: ProjectOpt = Path("."),
) -> None:
    """Check every record: types, vocabularies, dates, references, seed hashes, evidence quotes.

    Prints every problem at once and exits 1 if there is any error anywhere in the dataset, 0
    otherwise (warnings never fail). With PATHS, only the problems inside them are printed,
    followed by how many lie elsewhere.
    """
    from ..curate.validate import select
    from ..curate.validate import validate as run

    base = root(project)
    with progress_bar("reading records") as progress:
        result = run(base, progress=progress, records=False)  # only the issues are printed
    shown, outside = select(result.issues, [str(p) for p in paths], base) if paths else (result.issues, 0)
    echo_issues(shown, fmt, (item.path for item in result.dataset.all()))  # the files: only JUnit reads them
    failed = bool(result.errors)
    if fmt is Format.text:
        n = len(result.dataset)
        if failed:
            typer.echo(f"{summary(result.issues)} in {n} record file(s)", err=True)
        else:
            warned = f", {len(result.issues)} warning(s)" if result.issues else ""
            typer.echo(f"ok: {n} record file(s) valid{warned}", err=True)
        if outside:
            typer.echo(f"{outside} of them outside the given paths (run without paths to see them)", err=True)
    raise typer.Exit(1 if failed else 0)
