"""The sdist and the wheel, built with standard tooling: the wheel installs outside the repository,
loads every release (seedless: docs/rights.md), and the sdist's own tests pass from it. Slow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """The environment without anything that would let a fresh venv see the source tree."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "CASD_RELEASES", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, tracked):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    out = tmp_path_factory.mktemp("dist")
    # `python -m build` makes the sdist, then the wheel from that sdist
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)], capture_output=True, text=True, env=clean_env())
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    return out


def test_the_wheel_installs_outside_the_repository_and_loads_every_release_seedless(dist, tmp_path):
    wheel = next(dist.glob("casd-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if "/seeds/" in n] and "casd/releases/profile.json" in names
    assert not [n for n in names if ".tmp" in n or n.endswith(".tar.gz")]
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "License-Expression: MIT AND CC-BY-4.0" in meta
    index = json.loads((ROOT / "build/releases/index.json").read_text())["releases"]
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    installed = subprocess.run([str(py), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel)], capture_output=True, text=True, env=clean_env())
    assert installed.returncode == 0, installed.stderr[-2000:]
    code = (
        "import casd, json\n"
        "from casd.errors import CasdError\n"
        "from casd.read.releases import open_release\n"
        "rel = open_release()\n"
        "seed = next(n for n in rel.sums if n.startswith('seeds/'))\n"
        "try:\n    rel.read_bytes(seed); refused = ''\nexcept CasdError as e:\n    refused = str(e)\n"
        "print(json.dumps({'versions': casd.versions(), 'rows': [casd.load('sources', v).height for v in casd.versions()], 'file': casd.__file__,"
        " 'yaml': __import__('importlib').util.find_spec('yaml') is not None, 'refused': refused, 'verify': rel.verify(rel.folder.parent)}))\n"
    )
    out = subprocess.run([str(py), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True, env=clean_env()).stdout
    got = json.loads(out)
    assert got["versions"] == [e["version"] for e in index] and got["rows"] == [5] * len(index)
    assert str(env_dir) in got["file"]
    assert not got["yaml"]  # reading stays light: the curation toolchain is not installed
    assert "ships no seed texts (the seedless profile" in got["refused"]
    assert got["verify"] == []  # every shipped file verified; the absent seeds are the profile's


def test_the_sdist_holds_what_its_own_tests_need_and_they_pass_from_it(dist, tmp_path):
    sdist = next(dist.glob("casd-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    root = next(tmp_path.glob("casd-*"))
    assert (root / "seeds").is_dir() and (root / "build/releases/index.json").is_file()
    assert (root / "scripts/profiles/datapackage-2.0/datapackage.json").is_file()  # nothing needed from beside it
    env = clean_env()
    env["PYTHONPATH"] = str(root / "src")  # the sdist's own code, not this checkout's
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not slow"], cwd=root, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout.splitlines()[-1]
