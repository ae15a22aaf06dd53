"""Every command has help text and runs through the real entry point."""

import pytest

from conftest import run_casd

COMMANDS = ["validate", "build", "schema", "release", "diff", "versions", "codebook", "coverage"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    r = run_casd(command, "--help")
    assert r.returncode == 0 and "Usage: casd " + command in r.stdout
    top = run_casd("--help").stdout
    assert command in top


def test_version():
    import casd

    r = run_casd("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"casd {casd.__version__}"


def test_codebook_documents_every_column_and_value():
    from casd.tables import layout
    from casd.vocab import VOCABULARIES

    out = run_casd("codebook").stdout
    for t in layout():
        assert f"## {t.name}\n" in out
        for c in t.columns:
            assert f"| `{c.name}` | {c.type} |" in out
    for values in VOCABULARIES.values():
        for v in values:
            assert f"| `{v}` |" in out


def test_versions_lists_releases(project):
    assert run_casd("versions", "-C", str(project)).stdout == ""
    (project / "src/casd").mkdir(parents=True)
    (project / "src/casd/_version.py").write_text('__version__ = "0"\n')
    run_casd("build", "-C", str(project))
    run_casd("release", "-C", str(project))
    out = run_casd("versions", "-C", str(project)).stdout
    assert out.startswith("0.1.0  sums:") and "casd-0.1.0.tar.gz" in out
