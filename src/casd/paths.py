"""Where things live in a casd project: every path, and finding the project root.

A casd project is the nearest folder, from the current one upwards (as git finds its
repository), that holds ``dataset/package.yaml``. Light: stdlib only, imported by both sides.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ProjectError

DATASET = Path("dataset")
PACKAGE_META = DATASET / "package.yaml"
TOMBSTONES = DATASET / "tombstones.yaml"
COVERAGE = DATASET / "coverage"
SEEDS = Path("seeds")
SCHEMA = Path("schema")
DOCS = Path("docs")
BUILD = Path("build")
CURRENT = BUILD / "current"
RELEASES = BUILD / "releases"
INDEX_NAME = "index.json"
INDEX = RELEASES / INDEX_NAME
LOCK = BUILD / ".lock"
ROOT_DESCRIPTOR = Path("datapackage.json")


def record_file(table: str, rid: str) -> str:
    """How a record file is named in issues and caches: ``dataset/<table>/<id>.yaml`` (its inverse:
    :func:`casd.curate.load.table_and_id`)."""
    return f"{DATASET.as_posix()}/{table}/{rid}.yaml"


CACHE_DIR = Path(".casd-cache")
"""what casd keeps between runs on this machine (git-ignored): the validation cache, the server's socket"""
SERVER_SOCKET = CACHE_DIR / "serve.sock"
CHANGELOG = Path("CHANGELOG.md")
CITATION = Path("CITATION.cff")
VERSION_FILE = Path("src/casd/_version.py")


def find_project(start: Path | str = ".") -> Path:
    """The project root: ``start`` or its nearest parent holding ``dataset/package.yaml``."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / PACKAGE_META).is_file():
            return folder
    raise ProjectError(f"not a casd project: no {PACKAGE_META.as_posix()} in {here} or any parent folder")
