"""``casd export``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import ProjectOpt, root


class ExportFormat(StrEnum):
    sqlite = "sqlite"
    croissant = "croissant"
    annotations = "annotations"
    files = "files"


FORMAT_HELP = (
    "sqlite (casd.sqlite + metadata.json for Datasette), croissant (croissant.json + the files it describes), annotations (annotations.jsonld + the seeds) or files (verified copies of the release)."
)


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Argument(metavar="FORMAT", help=FORMAT_HELP)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The folder to write into (created if needed); never inside build/releases or build/current.")],
    version: Annotated[str | None, typer.Option("--version", help="A published version (default: the latest release).")] = None,
    current: Annotated[bool, typer.Option("--current", help="Export the working build (build/current) instead of a release.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Write a derived format of a verified release (or of the working build) into --out.

    Every file read is checked against SHA256SUMS first. casd.sqlite is generated on demand and is
    not byte-reproducible (SQLite records its library version); the other formats are.
    """
    from ..export import export as run
    from ..export import open_source

    source = open_source(root(project), version, current)
    written = run(fmt.value, source, out)
    for name in written:
        typer.echo(name)
    typer.echo(f"exported {fmt.value} of {source.label} to {out}: {len(written)} file(s)", err=True)
    if fmt is ExportFormat.sqlite:
        typer.echo(f"browse it: cd {out} && datasette casd.sqlite -m metadata.json", err=True)
