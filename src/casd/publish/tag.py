"""Git tags for published releases (``casd tag``): ``vX.Y.Z`` on the commit that holds the release
exactly as published.

A tag is made only where git's own tree proves the release: the index entry, the folder's
``SHA256SUMS`` and the archive, byte for byte as indexed. A release without its tag is tagged at
the first commit that holds it as indexed (a version withdrawn and re-made before it was indexed
leaves earlier commits with other folders of the same name: they are skipped). Outside a git
checkout nothing happens.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from ..errors import CasdError
from ..paths import INDEX, RELEASES
from ..read.integrity import sha256
from ..read.releases import read_index


def _git(project: Path, *args: str, data: bool = False) -> Any:
    r = subprocess.run(["git", *args], cwd=project, capture_output=True)
    if r.returncode:
        return None
    return r.stdout if data else r.stdout.decode().strip()


def _holds(project: Path, commit: str, entry: dict[str, Any]) -> bool:
    """Whether a commit's tree holds a release exactly as its index entry says."""
    raw = _git(project, "show", f"{commit}:{INDEX.as_posix()}", data=True)
    try:
        indexed = {e["version"]: e for e in json.loads(raw)["releases"]} if raw else {}
    except (ValueError, KeyError, TypeError):
        return False
    mine = indexed.get(entry["version"])
    if not mine or (mine["sums_sha256"], mine.get("archive_sha256")) != (entry["sums_sha256"], entry.get("archive_sha256")):
        return False
    sums = _git(project, "show", f"{commit}:{(RELEASES / entry['version'] / 'SHA256SUMS').as_posix()}", data=True)
    archive = _git(project, "show", f"{commit}:{(RELEASES / str(entry['archive'])).as_posix()}", data=True)
    return bool(sums) and sha256(sums) == entry["sums_sha256"] and bool(archive) and sha256(archive) == entry.get("archive_sha256")


def tag(project: Path, version: str | None = None) -> list[str]:
    """Create the missing ``v`` tags (all releases, or one); returns what was done."""
    project = Path(project)
    if _git(project, "rev-parse", "--is-inside-work-tree") != "true":
        return ["not a git checkout: nothing to tag"]
    entries = read_index(project / RELEASES)
    if version is not None:
        version = version.removeprefix("v")
        entries = [e for e in entries if e["version"] == version]
        if not entries:
            raise CasdError(f"no published release {version!r}")
    head = _git(project, "rev-parse", "HEAD")
    if head is None:
        raise CasdError("the repository has no commit yet: commit the release first")
    done = []
    for entry in entries:
        name = f"v{entry['version']}"
        existing = _git(project, "rev-parse", f"{name}^{{commit}}")
        if existing:
            if not _holds(project, existing, entry):
                raise CasdError(f"tag {name} points at {existing[:12]}, which does not hold release {entry['version']} as indexed")
            done.append(f"{name}: already tagged at {existing[:12]}")
            continue
        if version is not None and not _holds(project, head, entry):
            raise CasdError(f"HEAD does not hold release {entry['version']} exactly as published: commit the release folder, archive and index first")
        commits = (_git(project, "rev-list", "--reverse", "HEAD", "--", INDEX.as_posix()) or "").split()
        first = next((c for c in commits if _holds(project, c, entry)), None)
        if first is None:
            raise CasdError(f"no commit holds release {entry['version']} as indexed: commit it first")
        _git(project, "tag", name, first)
        done.append(f"{name}: tagged {first[:12]}")
    return done
