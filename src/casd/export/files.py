"""``casd export files``: verified copies of a release's files (or the working build's).

Every file listed in ``SHA256SUMS`` is read verified, written, then re-read and re-hashed against
``SHA256SUMS``; ``SHA256SUMS`` itself is copied after being checked against the release index (for
the working build: against the hash taken when it was opened). The copy checks with
``sha256sum -c SHA256SUMS``. Byte for byte the release's files: reproducible.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import IntegrityError
from ..read.integrity import parse_sums, sha256
from .common import Source, check_copy, copy_verified, write

SUMS = "SHA256SUMS"


def sums_bytes(source: Source) -> bytes:
    """The source's ``SHA256SUMS``, checked against the hash its release index (or opening) recorded."""
    path = source.release.folder / SUMS
    try:
        data = path.read_bytes()
    except OSError as e:
        raise IntegrityError(f"{path}: missing or unreadable ({e.strerror or e})") from e
    if sha256(data) != source.sums_sha256 or parse_sums(data, str(path)) != source.release.sums:
        raise IntegrityError(f"{path}: sha256 {sha256(data)} changed since the release was opened ({source.sums_sha256})")
    return data


def export(source: Source, out: Path) -> list[str]:
    """Copy every file of the source into ``out``, each re-hashed after copying; returns the names written."""
    raw = sums_bytes(source)
    written = [name for name, _ in copy_verified(source, out, sorted(source.release.sums))]
    write(out, SUMS, raw)
    check_copy(out, SUMS, source.sums_sha256)
    return written + [SUMS]
