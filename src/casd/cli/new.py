"""``casd new``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import ProjectOpt, root


@app.command()
def new(
    table: Annotated[str, typer.Argument(help="The record table: sources, places, actors, events, bases, statements, figures or inferences.")],
    record_id: Annotated[str | None, typer.Option("--id", help="The new record's id (a lowercase slug); default: new-<kind>-N.")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Write a commented template with the required fields into dataset/<table>/<id>.yaml.

    Fill it in, delete the comments, then run `casd validate` and `casd fmt`.
    """
    import re

    from ..curate.suggest import did_you_mean
    from ..curate.template import template
    from ..errors import CasdError
    from ..fs import ProjectLock, write_atomic
    from ..model.records import TABLES
    from ..model.types import SLUG
    from ..paths import DATASET, LOCK

    base = root(project)
    if table not in TABLES:
        raise CasdError(f"{table!r} is not a table{did_you_mean(table, TABLES)}; tables: {', '.join(TABLES)}")
    folder = base / DATASET / table
    if record_id is None:
        stem = f"new-{TABLES[table].key.removesuffix('_id')}"
        n = 1
        while (folder / f"{stem}-{n}.yaml").exists():
            n += 1
        record_id = f"{stem}-{n}"
    if not re.match(SLUG, record_id):
        raise CasdError(f"{record_id!r} is not an id: lowercase letters, digits and single hyphens (e.g. bishkek-raid-2015-07-16)")
    others = [t for t in TABLES if (base / DATASET / t / f"{record_id}.yaml").exists()]
    path = folder / f"{record_id}.yaml"
    if table in others:
        raise CasdError(f"{path.relative_to(base)} exists already")
    with ProjectLock(base / LOCK, "new"):
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, template(TABLES[table], record_id).encode("utf-8"))
    typer.echo(path.relative_to(base).as_posix())
    note = f" (the id is also used in {', '.join(others)}: allowed, ids are unique per table)" if others else ""
    typer.echo(f"wrote a template for {table}{note}: fill it in, delete the comments, then casd validate && casd fmt", err=True)
