"""``casd show``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import Format, FormatOpt, ProjectOpt, root


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="[TABLE/]ID of a record (ids are unique per table only).")],
    fmt: FormatOpt = Format.text,
    project: ProjectOpt = Path("."),
) -> None:
    """A record in context: fields, claims, evidence in its seed text, and what refers to it."""
    from ..curate import show as shown
    from ..curate.suggest import did_you_mean
    from ..curate.validate import validate
    from ..errors import CasdError

    v = validate(root(project))
    found = shown.find(v, ref)
    if not found:
        ids = {rid for t in v.dataset.tables.values() for rid in t}
        raise CasdError(f"no record {ref!r}{did_you_mean(ref.rpartition('/')[2], ids)}")
    if len(found) > 1:
        choices = ", ".join(f"{t}/{i}" for t, i in found)
        raise CasdError(f"{ref!r} names {len(found)} records ({choices}): say which, as TABLE/ID")
    result = shown.show(v, *found[0])
    if fmt is Format.json:
        typer.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(shown.as_text(result, color=sys.stdout.isatty()), nl=False)
