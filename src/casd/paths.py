"""Where things live in a casd project, and the release index. Light: imported by both sides."""

from __future__ import annotations

import json
from pathlib import Path

DATASET = Path("dataset")
CURRENT = Path("build/current")
RELEASES = Path("build/releases")
INDEX_NAME = "index.json"
INDEX = RELEASES / INDEX_NAME


def read_index_file(path: Path) -> list[dict]:
    """Entries of a release index file, oldest first (``[]`` if there is none)."""
    path = Path(path)
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["releases"]


def read_index(project: Path) -> list[dict]:
    """Published releases of a project, oldest first, from ``build/releases/index.json``."""
    return read_index_file(Path(project) / INDEX)
