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

import atexit
import gc
import importlib
import os
import pkgutil
import sys

from .app import app

for _module in pkgutil.iter_modules(__path__):  # every module of this package registers its command
    if _module.name not in ("app", "common"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["app", "main"]


def main() -> None:
    """The console script's entry point.

    Once a command has ended and its output is flushed, the process ends at once (``os._exit``, as
    mypy does): Python would otherwise free every object a command built, one by one, which after
    validating 100,000 records takes longer than checking the one that changed. Nothing is lost by
    it: every file casd writes is written atomically and synced before the command returns, a
    worker pool is shut down by the command that started it, and the functions registered with
    :mod:`atexit` still run. For the same reason the cyclic garbage collector stays off from start
    to end (a command switches it off while it runs, see :class:`casd.cli.app.CasdGroup`; switched
    on again, its first pass walks every object the command built: 1.5 s after a validation of
    100,000 records)."""
    gc.disable()
    try:
        app()
    except SystemExit as done:
        if done.code is not None and not isinstance(done.code, int):
            raise  # a message to print: the interpreter's own ending prints it
        atexit._run_exitfuncs()  # what was registered to run at exit still runs (coverage, tools embedding casd)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed pipe: the interpreter's own ending reports it
            raise done from None
        os._exit(done.code or 0)
