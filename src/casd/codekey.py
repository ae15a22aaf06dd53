"""What every result casd works out depends on besides its inputs: casd's own code, and the versions
of Python and of the parsers it types with. Light: stdlib only (the console script's client uses it).

The validation cache is keyed by it (:mod:`casd.curate.cache`), and a ``casd serve`` answers only a
client whose casd has the same key (:mod:`casd.client`): editing a rule without changing casd's
version, or running the client from another environment (a pre-commit hook's, say), never gets an
answer worked out by other code.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

#: the folder of the casd package this module belongs to
PACKAGE = Path(__file__).resolve().parent


def key(package: Path = PACKAGE) -> str:
    """A hash of casd's source files (``*.py``, ``*.tsv``) and of the versions of Python, pydantic,
    pydantic-core and PyYAML (computed once for the installed package)."""
    return _installed() if package == PACKAGE else compute(package)


@cache
def _installed() -> str:
    return compute(PACKAGE)


def compute(package: Path) -> str:
    """:func:`key`, computed afresh (a long-lived process compares it with the key it started with)."""
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")) + sorted(package.rglob("*.tsv")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    for dist in ("pydantic", "pydantic-core", "PyYAML"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(dist.encode())
    h.update(sys.version.encode())
    return h.hexdigest()
