"""The ``casd`` command: the curation side's front door. Imports the rest; imported by none.

One module per command (``cli/<command>.py``), registered on :data:`casd.cli.app.app`;
shared options and printing in :mod:`casd.cli.common`. A new command is a new module here:
every module of this package is imported, so nothing else needs editing.
"""

from __future__ import annotations

try:
    import typer  # noqa: F401
except ImportError as exc:  # a reading-only install (no curation extras)
    raise SystemExit("casd: the command line needs the curation toolchain: pip install 'casd[curate]'") from exc

import importlib
import pkgutil

from .app import app

for _module in pkgutil.iter_modules(__path__):  # every module of this package registers its command
    if _module.name not in ("app", "common"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["app", "main"]


def main() -> None:
    """The console script's entry point."""
    app()
