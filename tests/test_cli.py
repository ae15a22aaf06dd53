"""Every command has help and a test; exit codes are the documented ones; no traceback escapes."""

import re
import subprocess
import sys

import pytest

from conftest import ROOT, cli, ok, run_casd

COMMANDS = ["build", "codebook", "coverage", "diff", "export", "fmt", "new", "release", "report", "schema", "serve", "show", "stats", "tag", "validate", "verify", "versions"]


def listed_commands(help_text: str) -> list[str]:
    """Command names from the Commands panel of ``casd --help`` (exact names, not substrings)."""
    panel = help_text.split("Commands", 1)[1]
    return sorted(set(re.findall(r"^│ (\w+) ", panel, flags=re.M)))


def test_help_lists_exactly_the_commands():
    assert listed_commands(ok(cli("--help")).stdout) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    r = ok(cli(command, "--help"))
    assert "Usage: casd " + command in r.stdout


def test_version_through_the_installed_entry_point():
    import casd

    r = run_casd("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"casd {casd.__version__}"


def test_installed_entry_point_reports_problems_with_exit_1(project):
    (project / "dataset/places/bad.yaml").write_text("id: bad\nname: X\nkind: nowhere\nevidence:\n  - source: x\n    quote: y\n")
    r = run_casd("validate", cwd=project / "dataset")
    assert r.returncode == 1 and "dataset/places/bad.yaml:3:7: invalid-value" in r.stdout
    assert "Traceback" not in r.stderr


def test_the_entry_point_ends_at_once_yet_says_all_a_command_says(project):
    """``main`` ends the process with ``os._exit`` once the command is done (no teardown): every byte
    of its output still arrives, and the exit code is the command's."""
    for i in range(400):  # more output than a pipe holds
        (project / f"dataset/places/bad-{i}.yaml").write_text(f"id: bad-{i}\nname: X\nkind: nowhere\nevidence:\n  - source: x\n    quote: y\n")
    printed = {}
    for args in (["validate", "--format", "json"], ["validate"], ["stats"]):
        inside, outside = cli(*args, "-C", str(project)), run_casd(*args, "-C", str(project))
        assert (outside.returncode, outside.stdout, outside.stderr) == (inside.exit_code, inside.stdout, inside.stderr), args
        printed[args[-1]] = outside.stdout
    assert len(printed["json"]) > 65536
    code = "import atexit, sys; atexit.register(lambda: print('atexit ran', file=sys.stderr)); sys.argv = ['casd', '--version']; from casd.cli import main; main()"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (0, "atexit ran\n")  # what others registered still runs


def test_codebook_documents_every_column_join_and_value():
    from casd.model.relational import tables
    from casd.model.vocab import VOCABULARIES

    out = ok(cli("codebook")).stdout
    for t in tables():
        assert f"## {t.name}\n" in out
        for c in t.columns:
            assert f"| `{c.name}` | {c.type} |" in out
        for fk in t.foreign_keys:
            assert f"| `{t.name}` | `{fk.fields}` | `{fk.resource}.id` |" in out
    for vocab in VOCABULARIES.values():
        for m in vocab:
            assert f"| `{m.value}` |" in out


def test_versions_lists_releases(released):
    out = ok(cli("versions", "-C", str(released))).stdout
    assert out.startswith("0.1.0  sums:") and "casd-0.1.0.tar.gz" in out
    assert ok(cli("versions", "-C", str(ROOT))).stdout.startswith("1.0.0  sums:")


def test_usage_errors_exit_2():
    assert cli("validate", "--format", "yaml").exit_code == 2
    assert cli("nope").exit_code == 2
    r = cli("diff", "9.9.9", "-C", str(ROOT))
    assert r.exit_code == 2 and "no release '9.9.9'" in r.stderr


def test_internal_errors_exit_3_without_a_traceback_unless_asked(project, monkeypatch):
    import casd.curate.validate as v

    def boom(project, **kwargs):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(v, "validate", boom)
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 3
    assert "internal error: ZeroDivisionError: simulated bug" in r.stderr and "Traceback" not in r.stderr
    r = cli("--debug", "validate", "-C", str(project))
    assert r.exit_code == 3 and "Traceback (most recent call last)" in r.stderr


def test_a_tampered_release_is_an_integrity_problem_exit_1(released):
    path = released / "build/releases/0.1.0/events.parquet"
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    r = cli("validate", "-C", str(released))
    assert r.exit_code == 1 and "events.parquet: sha256" in r.stderr and "SHA256SUMS says" in r.stderr


def test_running_out_of_memory_is_an_environment_error(project, monkeypatch):
    import casd.curate.validate as v

    def boom(project, **kwargs):
        raise MemoryError

    monkeypatch.setattr(v, "validate", boom)
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 2 and "out of memory" in r.stderr and "Traceback" not in r.stderr
