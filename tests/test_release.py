"""Releases: pinned versions stay put, tampering is caught, nothing is rewritten."""

import hashlib
import json
import tarfile

import pytest

from casd.errors import CasdError, IntegrityError
from conftest import cli, ok


def edit(path, old, new):
    path.write_text(path.read_text().replace(old, new))


def test_first_release_is_complete_and_moves_the_working_version(released):
    folder = released / "build/releases/0.1.0"
    for name in ("datapackage.json", "SHA256SUMS", "DATASHEET.md", "CODEBOOK.md", "README.md", "CITATION.cff", "changes.csv", "events.parquet", "events.csv", "seeds/002_00bbacf02c652668.txt"):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "datapackage.json").read_text())["version"] == "0.1.0"
    assert json.loads((released / "datapackage.json").read_text())["version"] == "0.1.1-dev"
    assert (released / "src/casd/_version.py").read_text() == '__version__ = "0.1.0"\n'
    assert "## 0.1.0" in (released / "CHANGELOG.md").read_text()
    assert "| events | 2 |" in (folder / "DATASHEET.md").read_text()
    assert cli("build", "--check", "-C", str(released)).exit_code == 0


def test_release_folder_validates_with_frictionless(released):
    from frictionless import validate

    report = validate(str(released / "build/releases/0.1.0/datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "type", "note"])


def test_archive_is_reproducible_and_matches_the_folder(released):
    index = json.loads((released / "build/releases/index.json").read_text())["releases"][0]
    archive = released / "build/releases" / index["archive"]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == index["archive_sha256"]
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == sorted(m.name for m in members)
        assert {m.mtime for m in members} == {0} and {m.uid for m in members} == {0}
        data = tar.extractfile("casd-0.1.0/SHA256SUMS").read()
    assert data == (released / "build/releases/0.1.0/SHA256SUMS").read_bytes()


def test_older_version_still_loads_unchanged_after_a_newer_release(released):
    import casd

    before = casd.load("events", "0.1.0")
    edit(released / "dataset/events/csto-summit-2014-12-23.yaml", "title: CSTO summit", "title: CSTO summit in Moscow")
    r = cli("release", "-C", str(released))
    assert r.exit_code == 0 and "released 0.1.1" in r.stderr and "~ csto-summit-2014-12-23: title" in r.stdout
    assert casd.versions() == ["0.1.0", "0.1.1"]
    assert casd.load("events", "0.1.0").equals(before)
    latest = casd.load("events")
    assert latest.filter(latest["id"] == "csto-summit-2014-12-23")["title"][0] == "CSTO summit in Moscow"
    assert casd.package("0.1.1")["version"] == "0.1.1"
    changes = (released / "build/releases/0.1.1/changes.csv").read_text().splitlines()
    assert changes == [
        "table,key,change,fields,values",
        'events,csto-summit-2014-12-23,changed,"[""title""]","{""title"": [""CSTO summit"", ""CSTO summit in Moscow""]}"',
    ]


def test_diff_reports_a_real_change_and_the_bump(released):
    edit(released / "dataset/figures/bishkek-raid-killed-4.yaml", 'value: "4"', 'value: "5"')
    r = cli("diff", "0.1.0", "-C", str(released))
    assert "~ bishkek-raid-killed-4: value" in r.stdout and "value: 4.0 -> 5.0" in r.stdout and "Proposed bump: patch" in r.stdout
    (released / "dataset/figures/bishkek-raid-killed-4-total.yaml").unlink()
    edit(released / "dataset/figures/bishkek-raid-killed-4.yaml", "alternatives: [bishkek-raid-killed-4-total]\n", "")
    r = cli("diff", "0.1.0", "-C", str(released))
    assert "missing-tombstone" in r.stdout and "'bishkek-raid-killed-4-total' was published in 0.1.0" in r.stdout
    (released / "dataset/tombstones.yaml").write_text(
        "retired:\n  - table: figures\n    id: bishkek-raid-killed-4-total\n    replaced_by: bishkek-raid-killed-4\n    reason: duplicate of the Bishkek count\n"
    )
    r = cli("diff", "0.1.0", "-C", str(released))
    assert "- bishkek-raid-killed-4-total" in r.stdout and "Proposed bump: major" in r.stdout


def test_tombstoned_or_moved_ids_are_refused(released):
    (released / "dataset/tombstones.yaml").write_text("retired:\n  - table: places\n    id: bishkek\n    reason: test\n  - table: nope\n    id: x\n    reason: y\n")
    out = cli("validate", "-C", str(released)).stdout
    assert "dataset/places/bishkek.yaml:1:5: tombstoned-id: id 'bishkek' was retired: test" in out
    assert "dataset/tombstones.yaml:5:12: invalid-value: retired.1.table" in out
    (released / "dataset/tombstones.yaml").unlink()
    moved = released / "dataset/bases/kant-air-base.yaml"
    (released / "dataset/places/kant-air-base.yaml").write_text(
        "id: kant-air-base\nname: Kant\nkind: site\nevidence:\n  - source: foreign-intrigue-kyrgyz-raids-askarov\n    quote: Established in 2003\n"
    )
    moved.unlink()
    out = cli("validate", "-C", str(released)).stdout
    assert "dataset/places/kant-air-base.yaml:1:5: id-table-change: id 'kant-air-base' belonged to table 'bases' in release 0.1.0" in out


def test_rereleasing_a_published_version_with_changes_is_refused(released):
    folder = released / "build/releases/0.1.0"
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert cli("release", "0.1.0", "-C", str(released)).exit_code == 0  # identical: a no-op
    edit(released / "dataset/events/csto-summit-2014-12-23.yaml", "title: CSTO summit", "title: Changed")
    r = cli("release", "0.1.0", "-C", str(released))
    assert r.exit_code == 1 and "never rewritten" in r.stderr  # an integrity problem: exit 1
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_tampered_file_is_detected_on_load(released):
    import casd

    path = released / "build/releases/0.1.0/events.parquet"
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(IntegrityError, match="events.parquet"):
        casd.load("events", "0.1.0")


def test_folder_edited_with_its_own_sums_is_detected_by_the_index(released):
    import casd

    folder = released / "build/releases/0.1.0"
    csv = folder / "events.csv"
    csv.write_text(csv.read_text().replace("CSTO summit", "Forged summit"))
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    digest = hashlib.sha256(csv.read_bytes()).hexdigest()
    (folder / "SHA256SUMS").write_text("".join((f"{digest}  events.csv" if line.endswith("  events.csv") else line) + "\n" for line in sums))
    with pytest.raises(IntegrityError, match="release index"):
        casd.load("events", "0.1.0")


def test_load_formats(released):
    import pyarrow as pa

    import casd

    assert isinstance(casd.load("actors", format="arrow"), pa.Table)
    df = casd.load("events", format="pandas")
    assert str(df["date_start"].dtype).startswith("date32")
    with pytest.raises(CasdError, match="no table"):
        casd.load("nope")


def test_a_release_interrupted_before_its_index_entry_is_discarded_and_redone(released):
    index = released / "build/releases/index.json"
    sums = (released / "build/releases/0.1.0/SHA256SUMS").read_bytes()
    index.write_text('{"releases": []}\n')  # as if the process died after placing the folder, before the commit point
    r = cli("release", "0.1.0", "-C", str(released))
    assert r.exit_code == 0, r.stdout + r.stderr
    entry = json.loads(index.read_text())["releases"][0]
    assert entry["version"] == "0.1.0" and entry["sums_sha256"] == hashlib.sha256(sums).hexdigest()
    assert (released / "build/releases/0.1.0/SHA256SUMS").read_bytes() == sums


def test_a_lost_index_stops_every_writer_instead_of_forking_the_history(released):
    (released / "build/releases/index.json").unlink()
    for args in (["release"], ["build"]):
        r = cli(*args, "-C", str(released))
        assert r.exit_code == 1 and "index.json is missing but releases are on disk (0.1.0, casd-0.1.0.tar.gz, casd-0.1.0.tar.gz.sha256)" in r.stderr
    assert (released / "build/releases/0.1.0").is_dir()


def test_follow_up_files_roll_forward_after_the_commit_point(released):
    """A kill after index.json was written leaves old follow-up files: the next command finishes them."""
    edit(released / "dataset/events/csto-summit-2014-12-23.yaml", "title: CSTO summit", "title: CSTO summit in Moscow")
    before = {name: (released / name).read_bytes() for name in ("CHANGELOG.md", "CITATION.cff", "src/casd/_version.py")}
    ok(cli("release", "-C", str(released)))
    for name, data in before.items():  # put them back, as if the process died right after the commit point
        (released / name).write_bytes(data)
    (released / "src/casd/_version.py").write_text('__version__ = "0.1')  # and a torn one
    r = cli("build", "-C", str(released))
    assert r.exit_code == 0, r.stderr
    assert "recovered: CHANGELOG.md gained the section of 0.1.1" in r.stderr
    assert (released / "src/casd/_version.py").read_text() == '__version__ = "0.1.1"\n'
    assert 'version: "0.1.1"' in (released / "CITATION.cff").read_text()
    assert "## 0.1.1" in (released / "CHANGELOG.md").read_text()
    assert json.loads((released / "datapackage.json").read_text())["version"] == "0.1.2-dev"


def test_a_release_smaller_than_its_changes_or_without_changes_is_refused(released):
    r = cli("release", "patch", "-C", str(released))
    assert r.exit_code == 2 and "nothing changed since 0.1.0" in r.stderr  # a usage error
    new = released / "dataset/places/osh.yaml"
    new.write_text("id: osh\nname: Bishkek\nkind: city\nevidence:\n  - source: kyrgyz-officials-foil-attacks\n    quote: In the Kyrgyz capital of Bishkek\n")
    r = cli("release", "0.1.1", "-C", str(released))
    assert r.exit_code == 2 and "0.1.1 is a patch release, but the changes since 0.1.0 call for a minor one" in r.stderr
    assert not (released / "build/releases/0.1.1").exists()
    r = cli("release", "-C", str(released))
    assert r.exit_code == 0 and "released 0.2.0" in r.stderr


def test_dry_run_proposes_and_writes_nothing(released):
    edit(released / "dataset/events/csto-summit-2014-12-23.yaml", "title: CSTO summit", "title: CSTO summit meeting")
    before = sorted(p.name for p in (released / "build/releases").iterdir())
    r = cli("release", "--dry-run", "-C", str(released))
    assert r.exit_code == 0 and "casd release 0.1.1:" in r.stdout and "Proposed bump: patch" in r.stdout
    assert sorted(p.name for p in (released / "build/releases").iterdir()) == before


def test_sha256sum_checks_a_release_folder(released):
    import shutil
    import subprocess

    if not shutil.which("sha256sum"):
        pytest.fail("sha256sum (coreutils) is not installed")
    r = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=released / "build/releases/0.1.0", capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_release_notes_head_the_changelog_and_ship_in_the_release(released, tmp_path):
    edit(released / "dataset/events/csto-summit-2014-12-23.yaml", "title: CSTO summit", "title: CSTO summit in Moscow")
    notes = tmp_path / "notes.md"
    notes.write_text("# Why\n\nThe title now names the city, as the seed does.\n")
    r = cli("release", "--notes", str(notes), "-C", str(released))
    assert r.exit_code == 0, r.stderr
    assert (released / "build/releases/0.1.1/NOTES.md").read_text() == notes.read_text()
    section = (released / "CHANGELOG.md").read_text().split("## 0.1.1", 1)[1]
    assert section.index("### Why") < section.index("The title now names the city") < section.index("Compared with 0.1.0")


def test_a_changed_inference_flags_every_record_resting_on_it(released):
    inf = released / "dataset/inferences/summit-year.yaml"
    inf.parent.mkdir()
    inf.write_text(
        "id: summit-year\nconclusion: The summit is in 2014.\nreasoning: The seed says December 23.\n"
        "evidence:\n  - source: rferl-putin-preventive-measures\n    quote: Speaking at a December 23 summit\n"
    )
    ev = released / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text(ev.read_text() + "inferences:\n  - inference_id: summit-year\n    fields: [date]\n")
    ok(cli("release", "-C", str(released)))
    inf.write_text(inf.read_text().replace("The summit is in 2014.", "The summit is in 2015."))
    out = ok(cli("diff", "0.2.0", "-C", str(released))).stdout
    assert "! inference summit-year changed: 1 record(s) rest on it, review them: events/csto-summit-2014-12-23" in out


def test_a_release_renders_byte_for_byte_the_same_twice(released):
    from casd.publish.release import plan

    edit(released / "dataset/events/csto-summit-2014-12-23.yaml", "title: CSTO summit", "title: CSTO summit in Moscow")
    first, second = plan(released, "patch"), plan(released, "patch")
    assert first.files == second.files and "croissant.json" in first.files and "annotations.jsonld" in first.files


def test_same_data_packaged_differently_is_a_patch_release(released, monkeypatch):
    """A release whose tables are unchanged but whose set of files grew: allowed, as a patch, and said so."""
    import casd.publish.release as rel

    folder = released / "build/releases/0.1.0"
    assert (folder / "croissant.json").is_file() and (folder / "annotations.jsonld").is_file()
    def more(source, out):
        (out / "more.json").write_text('{"more": true}\n')
        return ["more.json"]

    monkeypatch.setitem(rel.IN_RELEASE, "more.json", more)
    r = cli("release", "--dry-run", "-C", str(released))
    assert r.exit_code == 0 and "files added (same data, packaged differently): more.json" in r.stdout and "Proposed bump: patch" in r.stdout
    assert cli("release", "minor", "-C", str(released)).exit_code == 0  # a larger bump is allowed too
