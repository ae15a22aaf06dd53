"""``casd codebook``."""

from __future__ import annotations

import typer

from .app import app


@app.command()
def codebook() -> None:
    """Print the codebook (every table, field, join and vocabulary value) as Markdown."""
    from ..packaging.docs import codebook as render_codebook

    typer.echo(render_codebook(), nl=False)
