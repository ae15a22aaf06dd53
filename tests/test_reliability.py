"""Hostile input and damaged releases: located errors or clean refusals, never a traceback, a hang or
unbounded memory; every reader of a release verifies what it reads."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile

import pytest

from conftest import cli, ok


def write(project, rel, text):
    path = project / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PLACE = "id: {id}\nname: {name}\nkind: town\nevidence:\n  - source: kyrgyz-officials-foil-attacks\n    quote: {quote}\n"


def test_a_fifo_record_or_seed_is_refused_without_hanging(project):
    os.mkfifo(project / "dataset/places/osh.yaml")
    seed = project / "seeds/004_88b129c3640cead4.txt"
    seed.unlink()
    os.mkfifo(seed)
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 1
    assert "dataset/places/osh.yaml:1:1: file-unreadable: cannot read file: not a regular file" in r.stdout
    assert "source-unreadable: source file 'seeds/004_88b129c3640cead4.txt' cannot be read as UTF-8 text: not a regular file" in r.stdout


def test_a_device_or_oversized_file_is_refused_not_read(project):
    (project / "dataset/places/zero.yaml").symlink_to("/dev/zero")
    big = project / "dataset/places/big.yaml"
    big.write_bytes(b"id: big\nnotes: " + b"x" * (9 * 2**20) + b"\n")
    out = cli("validate", "-C", str(project)).stdout
    assert "dataset/places/zero.yaml:1:1: file-unreadable: cannot read file: not a regular file" in out
    assert "dataset/places/big.yaml:1:1: file-unreadable: cannot read file:" in out and "more than the limit of 8388608" in out


@pytest.mark.parametrize("nesting", ["[" * 1000, "[{a: " * 500])
def test_deep_nesting_is_a_located_error(project, nesting):
    write(project, "dataset/places/deep.yaml", f"id: deep\nnotes: {nesting}\n")
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 1 and r.exception is None or isinstance(r.exception, SystemExit)
    assert "dataset/places/deep.yaml:2:" in r.stdout and "yaml-too-deep: lists and mappings nested deeper than 32 levels" in r.stdout


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("value", "nan", "Input should be a finite number"),
        ("value", "1e400", "Input should be a finite number"),
        ("notes", '"Bish\\x00kek"', "character U+0000"),
        ("notes", '"Bishkek\\u202e"', "character U+202E"),
        ("notes", '"   "', "must not be empty or white space only"),
    ],
)
def test_values_that_are_never_data_are_refused(project, field, value, message):
    fig = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    text = fig.read_text()
    text = text.replace('value: "4"\n', "") + f"{field}: {value}\n" if field == "value" else text.replace("notes: Two seeds count the dead differently.\n", f"{field}: {value}\n")
    fig.write_text(text)
    out = cli("validate", "-C", str(project)).stdout
    assert "bishkek-raid-killed-4.yaml" in out and message in out, out


def test_a_whitespace_quote_is_refused(project):
    write(project, "dataset/places/osh.yaml", PLACE.format(id="osh", name="Osh", quote='" "') + "    occurrence: 7\n")
    assert "dataset/places/osh.yaml:6:12: invalid-value: evidence.0.quote: Value error, text must not be empty or white space only" in cli("validate", "-C", str(project)).stdout


def test_a_quote_may_not_cut_a_letter_from_its_accent_and_normalisation_is_explained(project):
    seed = project / "seeds/004_88b129c3640cead4.txt"
    seed.write_bytes(seed.read_bytes() + "\nCafe\u0301 Osh and Café Bishkek\n".encode())
    src = project / "dataset/sources/kyrgyz-officials-foil-attacks.yaml"
    src.write_text(src.read_text().replace(src.read_text().split("sha256: ")[1].split("\n")[0], hashlib.sha256(seed.read_bytes()).hexdigest()))
    write(project, "dataset/places/cafe.yaml", PLACE.format(id="cafe", name="Cafe", quote="Cafe"))
    write(project, "dataset/places/osh.yaml", PLACE.format(id="osh", name="Osh", quote="Café Osh"))  # NFC quote, NFD seed
    out = cli("validate", "-C", str(project)).stdout
    assert "dataset/places/cafe.yaml:6:12: quote-splits-character: quote in 'kyrgyz-officials-foil-attacks' ends or starts inside a character (a base letter and its combining mark U+0301)" in out
    assert "dataset/places/osh.yaml:6:12: quote-not-found:" in out and "it differs from the seed only in Unicode normalisation" in out


def test_stray_and_hidden_files_in_dataset_are_reported(project):
    write(project, "dataset/osh.yaml", PLACE.format(id="osh", name="Osh", quote="Bishkek"))
    write(project, "dataset/places/.osh.yaml", PLACE.format(id="osh", name="Osh", quote="Bishkek"))
    r = cli("validate", "-C", str(project))
    assert "dataset/osh.yaml:1:1: stray-file: 'osh.yaml' is not a record file or a declared side file of dataset/" in r.stdout
    assert "dataset/places/.osh.yaml:1:1: hidden-file (warning): hidden file '.osh.yaml' is not read" in r.stdout
    assert r.exit_code == 1


def test_a_symlinked_seed_is_refused(project, tmp_path):
    seed = project / "seeds/004_88b129c3640cead4.txt"
    outside = tmp_path / "elsewhere.txt"
    shutil.copy(seed, outside)
    seed.unlink()
    seed.symlink_to(outside)
    out = cli("validate", "-C", str(project)).stdout
    assert "source-unreadable: source file 'seeds/004_88b129c3640cead4.txt' cannot be read as UTF-8 text: a symbolic link, not a file" in out


def test_curator_text_that_a_spreadsheet_would_run_is_a_warning(project):
    fig = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    fig.write_text(fig.read_text().replace("notes: Two seeds count the dead differently.", "notes: '=HYPERLINK(\"x\")'"))
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 0  # a warning: the data is never altered
    assert "formula-like-text (warning): notes begins with '='" in r.stdout


def test_github_annotations_escape_the_path():
    from casd.curate.issues import issue

    line = issue("stray-file", "dataset/a,b::c\nd.yaml", name="x").github()
    assert line.startswith("::error file=dataset/a%2Cb%3A%3Ac%0Ad.yaml,line=1,col=1,title=stray-file::")


# --- damaged releases ------------------------------------------------------------------------


def test_every_reader_refuses_a_damaged_release_and_verify_says_what(released):
    import casd
    from casd.errors import IntegrityError

    folder = released / "build/releases/0.1.0"
    path = folder / "events.parquet"
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(IntegrityError, match="events.parquet"):
        casd.load("events", "0.1.0")
    for args in (["diff", "0.1.0"], ["release", "--dry-run"], ["validate"]):
        r = cli(*args, "-C", str(released))
        assert r.exit_code == 1 and "events.parquet: sha256" in r.stderr, args
    r = cli("verify", "-C", str(released))
    assert r.exit_code == 1 and "0.1.0: " in r.stdout and "events.parquet: sha256" in r.stdout


def test_verify_finds_extra_missing_symlinked_files_bad_paths_and_a_damaged_archive(released):
    assert ok(cli("verify", "-C", str(released))).stderr.startswith("ok: 0.1.0")
    folder = released / "build/releases/0.1.0"
    (folder / "evil.parquet").write_bytes(b"x")
    (folder / "actors.csv").unlink()
    shutil.move(folder / "places.csv", released / "places.csv")
    (folder / "places.csv").symlink_to(released / "places.csv")
    archive = released / "build/releases/casd-0.1.0.tar.gz"
    archive.write_bytes(archive.read_bytes()[:-5])
    (released / "build/releases/.0.2.0.tmp-77").mkdir()
    out = cli("verify", "-C", str(released)).stdout
    assert "0.1.0: evil.parquet: not listed in SHA256SUMS" in out
    assert "0.1.0: actors.csv: listed in SHA256SUMS but missing" in out
    assert "0.1.0: places.csv: a symbolic link (release files are regular files)" in out
    assert "0.1.0: casd-0.1.0.tar.gz: sha256" in out and "the release index says" in out
    assert "build/releases: .0.2.0.tmp-77: not part of any published release" in out


def test_descriptor_paths_that_leave_the_release_are_refused(released):
    folder = released / "build/releases/0.1.0"
    desc = json.loads((folder / "datapackage.json").read_text())
    desc["resources"][0]["casd:parquet"]["path"] = "../../../outside.parquet"
    (folder / "datapackage.json").write_text(json.dumps(desc))
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    digest = hashlib.sha256((folder / "datapackage.json").read_bytes()).hexdigest()
    (folder / "SHA256SUMS").write_text("".join((f"{digest}  datapackage.json" if line.endswith("  datapackage.json") else line) + "\n" for line in sums))
    index = released / "build/releases/index.json"
    entries = json.loads(index.read_text())
    entries["releases"][0]["sums_sha256"] = hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest()
    index.write_text(json.dumps(entries))
    out = cli("verify", "0.1.0", "-C", str(released)).stdout
    assert "resource 'sources' has path '../../../outside.parquet', not a file of this release" in out


def test_a_second_trust_anchor_held_outside_the_repository(released):
    import casd
    from casd.errors import IntegrityError

    pinned = json.loads((released / "build/releases/index.json").read_text())["releases"][0]["sums_sha256"]
    assert casd.load("events", "0.1.0", sums_sha256=pinned).height == 2
    ok(cli("verify", "--expect", f"0.1.0={pinned}", "-C", str(released)))
    with pytest.raises(IntegrityError, match="not the one you pinned"):
        casd.load("events", "0.1.0", sums_sha256="0" * 64)
    r = cli("verify", "--expect", f"0.1.0={'0' * 64}", "-C", str(released))
    assert r.exit_code == 1 and "not the one you pinned" in r.stderr


@pytest.mark.parametrize("damage", ["<<<<<<< HEAD\n", '{"releases": [{"version": "0.1.0"}]}', '{"releases": [{"version": "zero"'])
def test_a_broken_index_is_a_clear_error_everywhere(released, damage):
    import casd
    from casd.errors import IntegrityError

    (released / "build/releases/index.json").write_text(damage)
    with pytest.raises(IntegrityError, match="not a readable release index"):
        casd.load("events")
    for args in (["validate"], ["versions"], ["release"], ["verify"]):
        r = cli(*args, "-C", str(released))
        assert r.exit_code == 1 and "not a readable release index" in r.stderr, (args, r.stderr)


def test_a_garbled_sums_file_is_an_integrity_error(released):
    import casd
    from casd.errors import IntegrityError

    folder = released / "build/releases/0.1.0"
    (folder / "SHA256SUMS").write_text((folder / "SHA256SUMS").read_text() + "garbage\n")
    index = released / "build/releases/index.json"
    entries = json.loads(index.read_text())
    entries["releases"][0]["sums_sha256"] = hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest()
    index.write_text(json.dumps(entries))
    with pytest.raises(IntegrityError, match="not a `<sha256>  <name>` line"):
        casd.load("events", "0.1.0")


def test_load_parses_the_very_bytes_it_verified(released, monkeypatch):
    """No window between check and read: the Parquet reader gets the verified buffer, not a path."""
    import pyarrow.parquet as pq

    import casd

    seen = []
    real = pq.ParquetFile

    def spy(source, *args, **kwargs):
        seen.append(type(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(pq, "ParquetFile", spy)
    casd.load("events", "0.1.0", format="arrow")
    casd.load("events", "0.1.0", format="pandas")
    assert seen == [io.BytesIO, io.BytesIO]

    import polars as pl

    seen.clear()
    read_parquet = pl.read_parquet
    monkeypatch.setattr(pl, "read_parquet", lambda source, *a, **k: seen.append(type(source)) or read_parquet(source, *a, **k))
    casd.load("events", "0.1.0")  # polars reads the verified bytes itself
    assert seen == [io.BytesIO]


def test_a_missing_release_file_is_an_integrity_error_not_a_traceback(released):
    import casd
    from casd.errors import IntegrityError

    (released / "build/releases/0.1.0/events.parquet").unlink()
    with pytest.raises(IntegrityError, match="missing or unreadable"):
        casd.load("events", "0.1.0")


def test_the_wheel_build_ships_only_indexed_verified_releases(released):
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec and spec.loader
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    (released / "build/releases/.0.2.0.tmp-1").mkdir()
    assert hook.published(released) == ["0.1.0"]
    path = released / "build/releases/0.1.0/events.csv"
    path.write_text(path.read_text() + "x\n")
    with pytest.raises(ValueError, match="refusing to ship it"):
        hook.published(released)


def test_archive_members_are_the_release_files(released):
    archive = released / "build/releases/casd-0.1.0.tar.gz"
    with tarfile.open(archive) as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers()}
    assert names == {p.relative_to(released / "build/releases/0.1.0").as_posix() for p in (released / "build/releases/0.1.0").rglob("*") if p.is_file()}


def test_a_full_disk_is_an_environment_error_and_the_previous_build_stays(built, monkeypatch):
    import errno

    import casd.fs

    before = {p: p.read_bytes() for p in (built / "build/current").iterdir()}
    edit = built / "dataset/events/csto-summit-2014-12-23.yaml"
    edit.write_text(edit.read_text().replace("title: CSTO summit", "title: CSTO summit in Moscow"))

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(casd.fs, "write_durable", full)
    monkeypatch.setattr("casd.packaging.build.write_durable", full)
    r = cli("build", "-C", str(built))
    assert r.exit_code == 2 and "No space left on device" in r.stderr and "Traceback" not in r.stderr
    assert {p: p.read_bytes() for p in (built / "build/current").iterdir()} == before
    monkeypatch.undo()
    ok(cli("build", "-C", str(built)))  # the next build cleans the leftover and succeeds
    assert not list((built / "build").glob(".current.*"))
