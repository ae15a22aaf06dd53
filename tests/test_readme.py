"""The README's promises: its commands and snippets run, its counts and joins are exact."""

import re
import subprocess
import sys

import pytest

from conftest import ROOT, cli, ok
from test_cli import listed_commands

README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_first_lines_are_the_two_commands_and_ci_runs_the_second():
    first, second = blocks("bash")[:2]
    assert README.index(first) < README.index("## ")
    assert "casd validate && casd build" in first and first.strip().startswith("python3 -m venv .venv")
    ci = (ROOT / ".ci/run").read_text()
    assert second.strip() in ci


@pytest.mark.slow
def test_python_snippets_run():
    snippets = [b for b in blocks("python") if "pyspark" not in b]  # Spark's needs a Spark installation
    assert len(snippets) == len(blocks("python")) - 1 >= 4
    for code in snippets:  # each in a fresh interpreter, from the repository root
        # (with faulthandler: a crash in a library prints the Python stack that led to it)
        r = subprocess.run([sys.executable, "-X", "faulthandler", "-c", code], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, f"{code}\nexit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr}"


def test_counts_cover_every_table_of_the_release_they_name():
    import casd

    section = README.split("## What it holds", 1)[1].split("\n## ", 1)[0]
    version = re.search(r"Release (\d+\.\d+\.\d+)", section)[1]
    rows = dict(re.findall(r"^\| (\w+) \| (\d+) \|", section, flags=re.M))
    tables = [r["name"] for r in casd.package(version)["resources"]]
    assert sorted(rows) == sorted(tables)
    for table in tables:
        assert int(rows[table]) == casd.load(table, version=version, format="arrow").num_rows, table


def test_the_join_table_is_the_models():
    from casd.packaging.docs import joins_markdown

    block = README.split("<!-- joins:", 1)[1].split("<!-- /joins -->", 1)[0]
    assert block.split("-->\n", 1)[1] == joins_markdown()


def test_cli_commands_in_readme_exist():
    commands = listed_commands(ok(cli("--help")).stdout)
    used = set(re.findall(r"^casd (\w+)", "\n".join(blocks("bash")), flags=re.M))
    assert used and used <= set(commands), used - set(commands)


def test_docs_name_paths_that_exist():
    curation = (ROOT / "docs/curation.md").read_text(encoding="utf-8")
    for path in re.findall(r"`((?:src|schema|dataset|docs|benchmarks|scripts)/[\w./<>-]+)`", README + curation):
        concrete = path.split("<", 1)[0]  # a pattern: its fixed folder must exist
        assert (ROOT / concrete).exists(), path
    assert "dataset/coverage/<source id>.yaml" in ok(cli("coverage", "--help")).stdout.replace("\n", " ").replace("│", " ").replace("  ", " ")


@pytest.mark.slow
def test_the_conflicts_output_shown_is_what_the_query_prints():
    section = README.split("### Where the sources disagree", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S)[1]
    shown = section.split("<!-- output:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == shown


def test_the_archive_check_in_the_readme_runs(tmp_path):
    block = README.split("<!-- archive:", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0].strip()
    block = block.replace("/tmp", str(tmp_path))
    r = subprocess.run(["bash", "-c", block], cwd=ROOT / "build/releases", capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "casd-2.0.0.tar.gz: OK" in r.stdout
