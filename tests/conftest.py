"""Shared fixtures: small projects on disk, built and released once per session, copied per test.

The CLI is driven in-process with typer's CliRunner (:func:`cli`); a few end-to-end tests use
the installed entry point (:func:`run_casd`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = Path(__file__).parent / "data" / "minimal"


def make_project(dest: Path) -> Path:
    """A small project on disk: the minimal fixture dataset plus the repository's seeds."""
    shutil.copytree(MINIMAL, dest)
    shutil.copytree(ROOT / "seeds", dest / "seeds")
    (dest / "src/casd").mkdir(parents=True)
    (dest / "src/casd/_version.py").write_text('__version__ = "0.0.0"\n')
    return dest


@contextlib.contextmanager
def _cwd(path: Path | None) -> Iterator[None]:
    old = os.getcwd()
    if path is not None:
        os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def cli(*args: str, cwd: Path | None = None) -> Result:
    """Run a casd command in-process (stdout and stderr kept apart)."""
    from casd.cli import app

    with _cwd(cwd):
        return CliRunner().invoke(app, list(args), prog_name="casd")


def run_casd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Drive the real ``casd`` entry point installed with the package (end-to-end tests only)."""
    exe = Path(sys.executable).parent / "casd"
    assert exe.exists(), f"the casd console script is not installed beside {sys.executable}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, env=env)


def running(pid: int) -> bool:
    """Whether a process runs (a zombie that no one reaped has ended)."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def ok(r: Result) -> Result:
    assert r.exit_code == 0, f"exit {r.exit_code}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


@pytest.fixture(scope="session")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = make_project(tmp_path_factory.mktemp("built") / "proj")
    ok(cli("build", "-C", str(p)))
    return p


@pytest.fixture(scope="session")
def released_template(built_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("released") / "proj"
    shutil.copytree(built_template, p)
    ok(cli("release", "-C", str(p)))
    return p


@pytest.fixture
def built(built_template: Path, tmp_path: Path) -> Path:
    """A built copy of the minimal project, private to the test."""
    dest = tmp_path / "proj"
    shutil.copytree(built_template, dest)
    return dest


@pytest.fixture
def released(released_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the minimal project with release 0.1.0 published; casd.load reads its releases."""
    dest = tmp_path / "proj"
    shutil.copytree(released_template, dest)
    monkeypatch.setenv("CASD_RELEASES", str(dest / "build/releases"))
    return dest
