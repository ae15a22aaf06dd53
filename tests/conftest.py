import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = Path(__file__).parent / "data" / "minimal"


def make_project(dest: Path) -> Path:
    """A small project on disk: the minimal fixture dataset plus the repository's seeds."""
    shutil.copytree(MINIMAL, dest)
    shutil.copytree(ROOT / "seeds", dest / "seeds")
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def run_casd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Drive the real ``casd`` entry point installed with the package."""
    exe = shutil.which("casd", path=os.path.dirname(sys.executable)) or shutil.which("casd")
    assert exe, "the casd console script is not installed"
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True)
