"""Derived formats of a verified release or of the working build: SQLite for Datasette, Croissant,
W3C Web Annotations, verified file copies. Reads only through casd.read (any release, 1.0.0 included)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import CasdError
from . import croissant, files, sqlite
from .annotations import export as _annotations  # (the module's name is shadowed by the __future__ import)
from .common import Source, open_source, prepare_out

__all__ = ["FORMATS", "Source", "export", "open_source", "prepare_out"]

#: Format name -> exporter: writes into a prepared folder, returns the names written.
FORMATS: dict[str, Callable[[Source, Path], list[str]]] = {
    "sqlite": sqlite.export,
    "croissant": croissant.export,
    "annotations": _annotations,
    "files": files.export,
}


def export(fmt: str, source: Source, out: Path) -> list[str]:
    """Write format ``fmt`` of ``source`` into ``out`` (created; refused inside build/releases or
    build/current); returns the names written, relative to ``out``."""
    if fmt not in FORMATS:
        raise CasdError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    return FORMATS[fmt](source, prepare_out(out, source))
