"""Reading stays light, and nothing imports pandas unasked (it costs seconds per process)."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT


def imported_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


HEAVY = {"yaml", "pydantic", "frictionless", "typer", "pandas", "casd.curate", "casd.model", "casd.packaging", "casd.cli"}


def test_loading_a_table_imports_no_curation_code_and_no_pandas():
    mods = imported_after("import casd\nt = casd.load('events', version='1.0.0')\nassert t.height > 0\ncasd.package('1.0.0')")
    assert "casd.read" in mods
    assert not HEAVY & mods, HEAVY & mods


def test_validating_and_rendering_the_build_imports_no_pandas():
    code = "from casd.packaging.build import prepare\nfrom casd.publish.release import working_diff\nprepare('.')\nworking_diff('.', '1.0.0')"
    assert "pandas" not in imported_after(code)


@pytest.mark.slow  # a whole mypy run
def test_casd_load_is_visible_to_type_checkers(tmp_path):
    snippet = tmp_path / "use.py"
    snippet.write_text("import casd\n\nreveal_type(casd.load)\nreveal_type(casd.load('events'))\n")
    r = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--ignore-missing-imports", str(snippet)], cwd=ROOT, capture_output=True, text=True)
    assert 'Revealed type is "Overload(' in r.stdout, r.stdout + r.stderr
    assert "polars.dataframe.frame.DataFrame" in r.stdout, r.stdout
    assert json.dumps("casd.load") and "has no attribute" not in r.stdout


@pytest.mark.slow
def test_loading_into_polars_never_aborts_the_interpreter_at_exit():
    """casd.load's polars frames used to come from pyarrow's Parquet reader; with polars 2.1 about
    four runs in ten then aborted at exit ("terminate called without an active exception")."""
    code = 'import casd, polars as pl\nprint(casd.load("events", version="2.0.0").height)'
    for _ in range(8):
        r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.strip().isdigit(), r.stderr
