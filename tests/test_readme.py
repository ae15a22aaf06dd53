"""The README's promises: its commands and snippets run, and its counts match the build."""

import re
import subprocess
import sys

import polars as pl

from conftest import ROOT, run_casd

README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_first_lines_are_the_two_commands_and_ci_runs_the_second():
    first, second = blocks("bash")[:2]
    assert README.index(first) < README.index("## ")
    assert "casd validate && casd build" in first and first.strip().startswith("python3 -m venv .venv")
    ci = (ROOT / ".ci/run").read_text()
    assert second.strip() in ci


def test_python_snippets_run(tmp_path):
    snippets = [b for b in blocks("python") if "pyspark" not in b]  # Spark's needs a Spark installation
    assert len(snippets) == len(blocks("python")) - 1 >= 4
    for code in snippets:  # each in a fresh interpreter, from the repository root
        r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, code + r.stderr


def test_counts_match_the_build():
    section = README.split("## What it holds", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\w+) \| (\d+) \|", section, flags=re.M))
    assert rows, "no count table in the README"
    for table in ("sources", "places", "actors", "events", "bases", "statements", "figures", "evidence", "claims"):
        n = pl.read_csv(ROOT / f"build/current/{table}.csv", infer_schema=False).height
        assert int(rows[table]) == n, (table, rows[table], n)


def test_cli_commands_in_readme_exist():
    r = run_casd("--help")
    for cmd in set(re.findall(r"^casd (\w+)", "\n".join(blocks("bash")), flags=re.M)):
        assert cmd in r.stdout, cmd
