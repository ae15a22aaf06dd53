"""casd: the Central Asia Security Dataset.

Consumers read published releases with :func:`casd.load`, :func:`casd.versions` and
:func:`casd.package` (pyarrow and polars only; see :mod:`casd.read`). Curators use the
``casd`` command (:mod:`casd.cli`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .read import load, package, schema, versions

__all__ = ["__version__", "load", "versions", "package", "schema"]


def __getattr__(name: str) -> Any:
    if name in ("load", "versions", "package", "schema"):
        from . import read

        return getattr(read, name)
    raise AttributeError(f"module 'casd' has no attribute {name!r}")
