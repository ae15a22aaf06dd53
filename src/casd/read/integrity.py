"""Checksums: sha256 of bytes and files, and ``SHA256SUMS`` files (the ``sha256sum`` format)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from ..errors import IntegrityError


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sums(files: Mapping[str, bytes]) -> bytes:
    """``SHA256SUMS``: ``<hex>  <name>`` a line, sorted by name."""
    return "".join(f"{sha256(files[n])}  {n}\n" for n in sorted(files)).encode("ascii")


def parse_sums(data: bytes, where: str = "SHA256SUMS") -> dict[str, str]:
    """name -> hex digest; IntegrityError on a malformed file."""
    out: dict[str, str] = {}
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as e:
        raise IntegrityError(f"{where}: not an ASCII checksum list") from e
    for n, line in enumerate(text.splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise IntegrityError(f"{where}:{n}: not a `<sha256>  <name>` line")
        out[name] = digest
    return out


def check(path: Path, expected: str, what: str) -> None:
    """Raise IntegrityError unless the file's sha256 is ``expected`` (``what`` names who says so)."""
    try:
        actual = sha256_file(path)
    except OSError as e:
        raise IntegrityError(f"{path}: cannot be read ({e.strerror or e})") from e
    if actual != expected:
        raise IntegrityError(f"{path}: sha256 {actual}, {what} says {expected}")
