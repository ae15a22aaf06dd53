"""``casd fmt``."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import ProjectOpt, root


@app.command()
def fmt(
    paths: Annotated[list[Path] | None, typer.Argument(exists=True, help="Record files or folders (default: every record under dataset/).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; print the diff and exit 1 if any file is not in canonical form.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Rewrite record files in casd's one canonical style; values never change.

    Key order from the model, quoting every YAML reader agrees on, folded long text. A file with
    comments is refused, never reformatted."""
    from ..curate.fmt import FormatRefused, canonical
    from ..curate.load import record_files
    from ..fs import MAX_RECORD_BYTES, ProjectLock, read_regular, write_atomic
    from ..model.records import TABLES
    from ..paths import LOCK

    base = root(project)
    files = [(table, stem, Path(path)) for table, stem, path in record_files(base)[0]]
    if paths:
        wanted = [p.resolve() for p in paths]
        files = [f for f in files if any(f[2].resolve() == w or w in f[2].resolve().parents for w in wanted)]
    changed, refused = 0, 0
    with ProjectLock(base / LOCK, "fmt"):
        for table, _, path in files:
            shown = path.relative_to(base).as_posix()
            text = read_regular(path, MAX_RECORD_BYTES).decode("utf-8", errors="replace")
            try:
                new = canonical(text, TABLES[table], shown)
            except FormatRefused as e:
                typer.echo(f"error: {e}", err=True)
                refused += 1
                continue
            if new == text:
                continue
            changed += 1
            if check:
                typer.echo("".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), f"a/{shown}", f"b/{shown}")), nl=False)
            else:
                write_atomic(path, new.encode("utf-8"))
    verb = "would reformat" if check else "reformatted"
    typer.echo(f"{verb} {changed} of {len(files)} record file(s)" + (f"; {refused} refused" if refused else ""), err=True)
    raise typer.Exit(1 if refused or (check and changed) else 0)
