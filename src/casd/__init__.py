"""casd: the Central Asia Security Dataset.

Consumers read published releases with :func:`casd.load`, :func:`casd.versions` and
:func:`casd.package` (pyarrow and polars only). Curators use the ``casd`` command.
"""

from __future__ import annotations

from ._version import __version__

__all__ = ["__version__", "load", "versions", "package"]


def __getattr__(name: str):
    if name in ("load", "versions", "package"):
        from . import api

        return getattr(api, name)
    raise AttributeError(name)
