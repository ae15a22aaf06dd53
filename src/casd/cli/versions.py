"""``casd versions``."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import app
from .common import ProjectOpt, root


@app.command()
def versions(project: ProjectOpt = Path(".")) -> None:
    """List published releases with their checksums, oldest first."""
    from ..paths import RELEASES
    from ..read.releases import read_index

    for e in read_index(root(project) / RELEASES):
        typer.echo(f"{e['version']}  sums:{e['sums_sha256'][:16]}  {e['archive']}")
