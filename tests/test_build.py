"""`casd build`: files every consumer tool accepts, byte-identical rebuilds, atomic failure."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from frictionless import validate as fl_validate
from hypothesis import given, settings
from hypothesis import strategies as st

import casd.packaging.build as building
from casd.curate.issues import ValidationFailed
from casd.model.relational import tables as layout
from casd.packaging.rows import ARROW_TYPES
from conftest import cli, running


def snapshot(root):
    files = sorted(p for p in (root / "build").rglob("*") if p.is_file()) + [root / "datapackage.json"]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def test_frictionless_reports_both_descriptors_valid(built):
    for path in ("datapackage.json", "build/current/datapackage.json"):
        report = fl_validate(str(built / path))
        assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])


def test_frictionless_catches_a_broken_enum_and_foreign_key(built):
    csv = built / "build/current/event_participants.csv"
    csv.write_text(csv.read_text().replace("vladimir-putin,speaker", "nobody,dancer"))
    report = fl_validate(str(built / "build/current/datapackage.json"))
    types = {e.type for task in report.tasks for e in task.errors}
    assert {"constraint-error", "foreign-key", "hash-count"} <= types


def test_descriptor_is_data_package_v2(built):
    dp = json.loads((built / "datapackage.json").read_text())
    assert dp["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert dp["version"] == "0.1.0-dev"
    for r in dp["resources"]:
        assert r["schema"].get("foreignKeys", ["absent"]) != [], r["name"]  # the v2 profile wants none or some
    names = [r["name"] for r in dp["resources"]]
    for t in ("sources", "places", "actors", "events", "bases", "statements", "figures", "evidence", "claims", "event_participants", "memberships"):
        assert t in names
    events = next(r for r in dp["resources"] if r["name"] == "events")
    kind = next(f for f in events["schema"]["fields"] if f["name"] == "kind")
    assert kind["constraints"]["enum"] == [c["value"] for c in kind["categories"]]
    assert events["path"] == "build/current/events.csv" and events["casd:parquet"]["path"] == "build/current/events.parquet"
    assert events["hash"].startswith("sha256:") and events["schema"]["primaryKey"] == ["id"]


def test_sha256sums_cover_every_file(built):
    import hashlib

    current = built / "build/current"
    lines = (current / "SHA256SUMS").read_text().splitlines()
    listed = {line.split("  ")[1]: line.split("  ")[0] for line in lines}
    assert set(listed) == {p.name for p in current.iterdir()} - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((current / name).read_bytes()).hexdigest() == digest


def test_parquet_types_match_the_declared_schema(built):
    for t in layout():
        path = built / f"build/current/{t.name}.parquet"
        schema = pq.read_schema(path)
        for c in t.columns:
            assert schema.field(c.name).type == ARROW_TYPES[c.type], (t.name, c.name)
        meta = pq.ParquetFile(path).metadata
        if meta.num_row_groups:
            assert meta.row_group(0).column(0).compression == "ZSTD", t.name
    ev = pl.read_parquet(built / "build/current/events.parquet")
    assert ev.schema["date_start"] == pl.Date and ev.schema["date_end"] == pl.Date
    actors = pl.read_parquet(built / "build/current/actors.parquet")
    assert actors.schema["aliases"] == pl.List(pl.String)
    assert actors.schema["external_latitude"] == pl.Float64  # 1.0.0 typed it as text: the model says float
    figures = pl.read_parquet(built / "build/current/figures.parquet")
    assert figures.schema["value"] == pl.Float64 and figures.schema["as_of_start"] == pl.Date


def test_csv_and_parquet_hold_the_same_rows(built):
    for t in layout():
        a = pl.read_parquet(built / f"build/current/{t.name}.parquet")
        b = pl.read_csv(built / f"build/current/{t.name}.csv", infer_schema=False)
        assert a.columns == b.columns and a.height == b.height, t.name
    raw = (built / "build/current/actors.csv").read_bytes()
    assert b"\r\n" not in raw and not raw.startswith(b"\xef\xbb\xbf")
    row = pl.read_csv(built / "build/current/actors.csv", infer_schema=False).filter(pl.col("id") == "state-committee-for-national-security")
    assert json.loads(row["aliases"][0]) == ["UKMK", "National Security Committee"]


def test_evidence_offsets_slice_the_seed(built):
    ev = pl.read_parquet(built / "build/current/evidence.parquet")
    sources = pl.read_parquet(built / "build/current/sources.parquet")
    files = dict(zip(sources["id"], sources["file"], strict=True))
    assert ev.height > 0
    for row in ev.iter_rows(named=True):
        text = (built / files[row["source_id"]]).read_text(encoding="utf-8")
        assert text[row["char_start"] : row["char_end"]] == row["quote"]
    kyrgyz = ev.filter(pl.col("record_id") == "state-committee-for-national-security", pl.col("ordinal") == 1)
    assert kyrgyz["quote"][0] == "Kyrgyzstan\u2019s State Committee for National Security (UKMK)"


def test_pandas_and_duckdb_read_the_parquet_files(built):
    df = pd.read_parquet(built / "build/current/events.parquet", dtype_backend="pyarrow")
    assert str(df["date_start"].dtype).startswith("date32")
    con = duckdb.connect()
    rows = con.execute(
        f"""select e.id, p.actor_id, a.name
            from '{built}/build/current/events.parquet' e
            join '{built}/build/current/event_participants.parquet' p on p.event_id = e.id
            join '{built}/build/current/actors.parquet' a on a.id = p.actor_id
            where e.id = 'csto-summit-2014-12-23' order by p.ordinal"""
    ).fetchall()
    assert rows == [
        ("csto-summit-2014-12-23", "collective-security-treaty-organization", "Collective Security Treaty Organization"),
        ("csto-summit-2014-12-23", "vladimir-putin", "Vladimir Putin"),
    ]


def test_rebuild_is_byte_identical(built, tmp_path):
    first = snapshot(built)
    (built / "build/current/events.csv").unlink()  # force a real rewrite
    r = cli("build", "-C", str(built))
    assert r.exit_code == 0 and "built" in r.stderr
    assert snapshot(built) == first
    r = cli("build", "-C", str(built))
    assert "up to date" in r.stderr and snapshot(built) == first


def test_failed_build_leaves_previous_build_intact(built):
    before = snapshot(built)
    bad = built / "dataset/events/csto-summit-2014-12-23.yaml"
    bad.write_text(bad.read_text().replace("kind: summit", "kind: picnic"))
    r = cli("build", "-C", str(built))
    assert r.exit_code == 1
    assert "csto-summit-2014-12-23.yaml:3:7: invalid-value" in r.stdout
    assert "nothing was written" in r.stderr
    assert snapshot(built) == before


def test_check_detects_a_stale_or_torn_build(built):
    assert cli("build", "--check", "-C", str(built)).exit_code == 0
    fig = built / "dataset/figures/bishkek-raid-killed-4.yaml"
    fig.write_text(fig.read_text().replace("notes: Two seeds", "notes: Two of the seeds"))
    r = cli("build", "--check", "-C", str(built))
    assert r.exit_code == 1 and "build/current/figures.csv" in r.stdout
    cli("build", "-C", str(built))
    (built / "build/current/claims.parquet").write_bytes(b"torn")  # a crash mid-write
    r = cli("build", "--check", "-C", str(built))
    assert r.exit_code == 1 and "claims.parquet" in r.stdout
    assert cli("build", "-C", str(built)).exit_code == 0
    assert cli("build", "--check", "-C", str(built)).exit_code == 0


def test_leftovers_of_a_crashed_build_are_cleaned(built):
    (built / "build/.current.tmp-999").mkdir()
    (built / "build/current/SHA256SUMS").unlink()
    assert cli("build", "-C", str(built)).exit_code == 0
    assert not (built / "build/.current.tmp-999").exists()


def test_a_first_build_after_a_release_validates_the_dataset_once(released, monkeypatch):
    """With build/current gone, recovery leaves it to the build (it used to validate and render twice)."""
    import shutil

    import casd.packaging.build as building

    shutil.rmtree(released / "build/current")
    calls = []
    real = building.validate
    monkeypatch.setattr(building, "validate", lambda project, *a, **k: calls.append(project) or real(project, *a, **k))
    r = cli("build", "-C", str(released))
    assert r.exit_code == 0, r.output
    assert len(calls) == 1
    dp = json.loads((released / "build/current/datapackage.json").read_text())
    assert dp["version"].endswith("-dev") and not dp["version"].startswith("0.1.0")
    assert cli("build", "--check", "-C", str(released)).exit_code == 0


def test_the_rows_make_the_same_files_however_they_are_chunked(monkeypatch, tmp_path):
    """A table's rows are gathered a chunk at a time and sorted by primary key at the end: the
    real dataset's files are byte for byte the same with chunks of 3 rows (the sort and the joining
    of chunks cross every table's chunk boundaries) as with the default, and so when the chunks are
    written to Arrow IPC files and read back (as a large build's child process and its parent do)."""
    from casd.curate.validate import validate
    from casd.packaging import rows
    from casd.packaging.build import render_tables
    from conftest import ROOT

    v = validate(ROOT, use_cache=False, records=False).valid()
    whole, counts = render_tables(v)
    monkeypatch.setattr(rows.Gathered, "CHUNK", 3)
    chunked, again = render_tables(v)
    assert counts == again and max(counts.values()) > 100
    assert chunked.keys() == whole.keys() and all(chunked[k] == whole[k] for k in whole)
    spilled = building.made_of(v, spill=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t.name}.arrows" for t in layout())
    assert render_tables(spilled) == (whole, counts)
    assert whole == {p.name: p.read_bytes() for p in (ROOT / "build/current").iterdir() if p.suffix in (".csv", ".parquet")}  # the committed build




@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.lists(st.text(max_size=5), max_size=4), max_size=30))
def test_a_column_of_lists_of_text_holds_each_list_none_and_empty_apart(values):
    """A list column is made from its items and offsets: each cell comes back as it was given,
    an absent list (None) apart from an empty one, whatever the mix."""
    from casd.packaging.rows import _text_lists

    made = _text_lists(values).cast(ARROW_TYPES["array"])
    assert made.to_pylist() == values and made.null_count == values.count(None)


def _spilled(project):
    return sorted((project / ".casd-cache").glob(f"{building.SPILL_PREFIX}*"))


def _apart(monkeypatch):
    """The real dataset is far smaller than what a build validates in a child process."""
    monkeypatch.setattr(building, "APART_FROM", 1)


def test_a_build_validates_in_a_child_process_and_renders_what_one_process_renders(project, monkeypatch):
    """For a large dataset, the validation and the rows run in a child process (its memory is the
    system's again before the render): the files are byte for byte those one process renders, and
    the child's rows are removed after."""
    alone = building.prepare(project)
    _apart(monkeypatch)
    apart = building.prepare(project)
    assert not _spilled(project)
    assert apart.files == alone.files and apart.root_descriptor == alone.root_descriptor and apart.counts == alone.counts
    assert cli("build", "-C", str(project)).exit_code == 0
    assert {p.name: p.read_bytes() for p in (project / "build/current").iterdir()} == apart.files


def test_only_a_large_dataset_is_validated_apart(project, monkeypatch):
    files = sum(1 for folder in (project / "dataset").iterdir() if folder.is_dir() for _ in folder.iterdir())
    assert files > 10
    monkeypatch.setattr(building, "APART_FROM", files)
    assert building._large(project)
    monkeypatch.setattr(building, "APART_FROM", files + 1)
    assert not building._large(project)


def test_a_failed_validation_in_the_child_gives_the_issues_one_process_gives(project, monkeypatch):
    event = next((project / "dataset/events").glob("*.yaml"))
    event.write_text(event.read_text().replace("\nkind: ", "\nkind: not-a-kind-", 1))
    with pytest.raises(ValidationFailed) as alone:
        building.prepare(project)
    _apart(monkeypatch)
    with pytest.raises(ValidationFailed) as apart:
        building.prepare(project)
    assert apart.value.issues == alone.value.issues
    assert [i.code for i in apart.value.issues] == ["invalid-value"]
    assert not _spilled(project)


def test_a_child_killed_for_real_fails_the_build_plainly_and_writes_nothing(project, monkeypatch):
    assert cli("build", "-C", str(project)).exit_code == 0
    (project / "build/current/events.csv").unlink()  # so that a build would write
    before = snapshot(project)
    _apart(monkeypatch)
    mine = set(_children())
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(cli("build", "-C", str(project))))
    thread.start()
    deadline = time.monotonic() + 60
    while not (new := [pid for pid in _children() if pid not in mine and b"spawn_main" in _cmdline(pid)]):
        assert time.monotonic() < deadline and thread.is_alive(), "no child process was started"
        time.sleep(0.01)
    os.kill(new[0], signal.SIGKILL)
    thread.join(60)
    r = outcome[0]
    assert r.exit_code == 2 and "stopped before it finished (exit code -9)" in r.output and "Traceback" not in r.output, r.output
    assert snapshot(project) == before and not _spilled(project)


def test_a_large_builds_parent_waits_and_its_child_validates_without_the_render_libraries():
    """pyarrow and polars (about 90 MiB at once) are imported when the render starts: what ``casd
    build`` runs before (its command, the build and the validation modules, what the child process
    imports) imports neither, which is the margin under 4 GiB at a million records."""
    modules = ["casd.cli.app", "casd.cli.build", "casd.packaging.build", "casd.curate.validate", "casd.publish.recover", "casd.read"]
    code = f"import sys; import {', '.join(modules)}; print(' '.join(m for m in ('pyarrow', 'polars') if m in sys.modules))"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert imported == []


KILLED_PARENT = """
import os, time
from pathlib import Path
import casd.packaging.build as building

def validating(*args, **kwargs):  # runs in the child (which imports this file too): it says so, then waits
    Path(os.environ["STARTED"]).write_text(str(os.getpid()))
    time.sleep(600)

building.validate = validating
if __name__ == "__main__":
    building.APART_FROM = 1
    building.prepare(Path(os.environ["PROJECT"]))
"""


def test_a_build_killed_for_real_takes_its_validating_child_with_it(project, tmp_path, monkeypatch):
    """A ``casd build`` killed while its child validates leaves no validation running: the child
    (here held in its validation for ten minutes) ends with its parent, and the next build removes
    its rows."""
    script, started = tmp_path / "parent.py", tmp_path / "started"
    script.write_text(KILLED_PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "PROJECT": str(project), "STARTED": str(started)})
    child = None
    try:
        deadline = time.monotonic() + 60
        while not started.exists() or not started.read_text():
            assert time.monotonic() < deadline and parent.poll() is None, "the child did not start validating"
            time.sleep(0.01)
        child = int(started.read_text())
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 30
        while running(child):
            assert time.monotonic() < deadline, "the child went on validating after its parent was killed"
            time.sleep(0.05)
        assert _spilled(project)  # what the killed build left...
        _apart(monkeypatch)
        building.prepare(project)
        assert not _spilled(project)  # ...the next one removes
    finally:
        parent.kill()
        if child is not None and running(child):
            os.kill(child, signal.SIGKILL)


def _children():
    return [int(pid) for task in os.listdir("/proc/self/task") for pid in open(f"/proc/self/task/{task}/children").read().split()]


def _cmdline(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return b""


def test_an_error_in_the_child_is_raised_as_it_was(project, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("a bug in the validation")

    monkeypatch.setattr(building, "validate", broken)  # seen by a forked child: it raises before using any library's threads
    with pytest.raises(RuntimeError, match="a bug in the validation"):
        building.made_apart(project, project / "rows", "fork")


def test_rows_left_by_a_killed_build_are_removed_and_a_running_builds_are_not(project, monkeypatch):
    _apart(monkeypatch)
    dead, running = project / ".casd-cache/rows-4194304-x", project / f".casd-cache/rows-{os.getppid()}-y"  # no pid is 2**22
    for folder in (dead, running):
        folder.mkdir(parents=True)
        (folder / "events.arrows").write_bytes(b"left")
    building.prepare(project)
    assert not dead.exists() and running.exists()


def test_a_build_whose_rows_folder_cannot_be_made_runs_in_one_process(project, monkeypatch):
    alone = building.prepare(project)
    _apart(monkeypatch)
    shutil.rmtree(project / ".casd-cache")
    (project / ".casd-cache").write_text("a file where the cache folder goes")
    monkeypatch.setattr(building, "made_apart", lambda *a, **k: pytest.fail("no folder for the rows: no child"))
    assert building.prepare(project).files == alone.files
