"""The wheel, built from the sdist with standard tooling, installs outside the repo and loads a table."""

import json
import shutil
import subprocess
import sys
import venv

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """The environment without anything that would let the fresh venv see the source tree."""
    import os

    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "CASD_RELEASES", "VIRTUAL_ENV")}


def test_wheel_from_sdist_loads_a_release_in_a_fresh_venv(tmp_path):
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    index = json.loads((ROOT / "build/releases/index.json").read_text())["releases"]
    latest = index[-1]["version"]
    dist = tmp_path / "dist"
    # `python -m build` makes the sdist, then the wheel from that sdist
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(src)], capture_output=True, text=True, env=clean_env())
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next(dist.glob("casd-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    installed = subprocess.run([str(py), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel)], capture_output=True, text=True, env=clean_env())
    assert installed.returncode == 0, installed.stderr[-2000:]
    code = (
        "import casd, json; "
        "print(json.dumps({'versions': casd.versions(), 'rows': casd.load('sources').height, "
        "'file': casd.__file__, 'yaml': __import__('importlib').util.find_spec('yaml') is not None}))"
    )
    out = subprocess.run([str(py), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True, env=clean_env()).stdout
    got = json.loads(out)
    assert got["versions"][-1] == latest and got["versions"] == [e["version"] for e in index]
    assert got["rows"] == 5
    assert str(env_dir) in got["file"]
    assert not got["yaml"]  # reading stays light: the curation toolchain is not installed
