"""`casd coverage`: sentence coverage, reviewed exclusions, and flags for what no record captures."""

from casd.curate.coverage import sentences
from conftest import cli


def test_sentence_split():
    text = "Title line\n\nOne sentence. Another one? \"A quote.\" Last (really).\n"
    got = [text[a:b] for a, b in sentences(text)]
    assert got == ["Title line", "One sentence.", "Another one?", "\"A quote.\"", "Last (really)."]


def section(out, seed):
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"seeds/{seed}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("seeds/")), len(lines))
    return lines[start:end]


def test_report_lists_uncited_sentences_and_flags(project):
    r = cli("coverage", "-C", str(project))
    assert r.exit_code == 0, r.stdout + r.stderr
    sec = section(r.stdout, "004_")
    assert "records cite it" in sec[0]
    assert "  uncited: Facebook Comments" in sec
    assert "  number: '500kg' at 713" in sec  # no figure holds it
    assert "  name: 'Kalashnikov' at 583" in sec
    # the Bishkek count is a figure's printed text, so it is not flagged
    assert not any(line.startswith("  number: 'four'") and "at 380" in line for line in sec)


def test_boilerplate_and_ignore_lists_are_applied(project):
    before = section(cli("coverage", "-C", str(project)).stdout, "004_")[0]
    (project / "dataset/coverage").mkdir()
    (project / "dataset/coverage/kyrgyz-officials-foil-attacks.yaml").write_text(
        "boilerplate:\n  - quote: Facebook Comments\n    reason: comment widget\n"
        "ignore:\n  - kind: name\n    text: Kalashnikov\n    reason: a weapon's make, not an actor\n"
    )
    r = cli("coverage", "-C", str(project))
    sec = section(r.stdout, "004_")
    assert "1 boilerplate" in sec[0] and sec[0] != before
    assert "  uncited: Facebook Comments" not in sec
    assert not any(line.startswith("  name: 'Kalashnikov'") for line in sec)
    assert cli("validate", "-C", str(project)).exit_code == 0  # the folder holds no records


def test_bad_coverage_file_is_reported_with_position(project):
    (project / "dataset/coverage").mkdir()
    (project / "dataset/coverage/kyrgyz-officials-foil-attacks.yaml").write_text("ignore:\n  - kind: colour\n    text: x\n    reason: y\n")
    (project / "dataset/coverage/unknown-source.yaml").write_text("ignore: []\n")
    r = cli("coverage", "-C", str(project))
    assert r.exit_code == 1
    assert "dataset/coverage/kyrgyz-officials-foil-attacks.yaml:2:11: invalid-value: ignore.0.kind" in r.stdout
    assert "dataset/coverage/unknown-source.yaml:1:1: coverage-file-name: coverage files are named <source id>.yaml" in r.stdout


def test_strict_fails_while_items_remain(project):
    assert cli("coverage", "--strict", "--summary", "-C", str(project)).exit_code == 1


def test_stale_ignore_entry_is_reported(project):
    (project / "dataset/coverage").mkdir()
    (project / "dataset/coverage/kyrgyz-officials-foil-attacks.yaml").write_text(
        "ignore:\n  - kind: name\n    text: Kalashnikov\n    reason: a make of rifle\n  - kind: name\n    text: Atlantis\n    reason: gone\n"
    )
    r = cli("coverage", "--summary", "-C", str(project))
    assert r.exit_code == 0  # a stale entry is a warning: it never fails the command
    assert "dataset/coverage/kyrgyz-officials-foil-attacks.yaml:6:11: coverage-ignore-stale (warning): ignore entry (name 'Atlantis') matches no flagged item" in r.stdout
    assert "Kalashnikov" not in r.stdout
