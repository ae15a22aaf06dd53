"""The ``casd`` command: the curation side's front door. Imports the rest; imported by none.

One module per command (``cli/<command>.py``), registered on :data:`casd.cli.app.app`;
shared options and printing in :mod:`casd.cli.common`. A new command is a new module here,
imported below.
"""

from __future__ import annotations

try:
    import typer  # noqa: F401
except ImportError as exc:  # a reading-only install (no curation extras)
    raise SystemExit("casd: the command line needs the curation toolchain: pip install 'casd[curate]'") from exc

from . import build, codebook, coverage, diff, release, schema, validate, verify, versions  # noqa: F401  (registers the commands)
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    """The console script's entry point."""
    app()
