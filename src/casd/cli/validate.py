"""``casd validate``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from ..curate.issues import errors
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
    from ..curate import ledger
    from ..curate.issues import select

    base = root(project)
    quick = ledger.answer(base) if fmt is not Format.junit else None  # (JUnit names every file checked)
    files: Iterable[str]
    if quick is not None:
        issues, n, files = quick.issues, quick.count, ()
    else:
        from ..curate.validate import validate as run

        with progress_bar("reading records") as progress:
            result = run(base, progress=progress, records=False)  # only the issues are printed
        issues, n, files = result.issues, len(result.dataset), (item.path for item in result.dataset.all())
    shown, outside = select(issues, [str(p) for p in paths], base) if paths else (issues, 0)
    echo_issues(shown, fmt, files)  # the files: only JUnit reads them
    failed = bool(errors(issues))
    if fmt is Format.text:
        if failed:
            typer.echo(f"{summary(issues)} in {n} record file(s)", err=True)
        else:
            warned = f", {len(issues)} warning(s)" if issues else ""
            typer.echo(f"ok: {n} record file(s) valid{warned}", err=True)
        if outside:
            typer.echo(f"{outside} of them outside the given paths (run without paths to see them)", err=True)
    raise typer.Exit(1 if failed else 0)
