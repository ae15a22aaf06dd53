"""The validation cache: a warm run gives exactly the results of a cold one, whatever happened to
the cache or the files."""

from __future__ import annotations

import os
import shutil

import pytest

from casd.curate import cache as cache_mod
from casd.curate.validate import validate
from conftest import running


def cold(project):
    return validate(project, use_cache=False)


def same(a, b):
    assert a.issues == b.issues
    assert dict(a.anchors.spans) == dict(b.anchors.spans)
    assert {t: sorted(v) for t, v in a.dataset.tables.items()} == {t: sorted(v) for t, v in b.dataset.tables.items()}


@pytest.fixture
def broken(project):
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text(ev.read_text().replace("kind: summit", "kind: sumit"))
    return project


def test_a_warm_run_equals_a_cold_one_and_reads_only_what_changed(broken):
    first = validate(broken)
    assert len(list((broken / ".casd-cache" / cache_mod.FOLDER).glob("*.pickle"))) == len({cache_mod.shard_of(k) for k in cache_mod.open_cache(broken).entries})
    same(first, cold(broken))
    c = cache_mod.open_cache(broken)
    assert len(c.entries) == 15
    fig = broken / "dataset/figures/bishkek-raid-killed-4.yaml"
    fig.write_text(fig.read_text().replace("notes: Two seeds count the dead differently.", "notes: Two seeds count the dead in different ways."))
    c = cache_mod.open_cache(broken)
    from casd.curate.load import read_dataset

    read_dataset(broken, c)
    assert (c.reread, c.reused) == (1, 14)
    same(validate(broken), cold(broken))


def test_a_corrupt_cache_is_ignored_and_rebuilt(broken):
    validate(broken)
    shards = sorted((broken / ".casd-cache" / cache_mod.FOLDER).glob("*.pickle"))
    shards[0].write_bytes(b"not a pickle")
    shards[1].write_bytes(shards[1].read_bytes()[:-20])  # cut short
    digest = next(e.sha256 for k, e in cache_mod.open_cache(broken).entries.items() if f"{cache_mod.shard_of(k):02d}.pickle" == shards[2].name)
    flipped = bytearray(shards[2].read_bytes())
    flipped[flipped.index(digest) + 5] ^= 0x01  # one bit of a file's digest changed on disk: the pickle still loads
    shards[2].write_bytes(bytes(flipped))
    damaged = {s.name for s in shards[:3]}
    kept = cache_mod.open_cache(broken).entries
    assert len(kept) < 15 and not any(f"{cache_mod.shard_of(k):02d}.pickle" in damaged for k in kept)
    same(validate(broken), cold(broken))
    assert len(cache_mod.open_cache(broken).entries) == 15  # rebuilt


def test_an_edit_rewrites_one_shard_and_a_deleted_file_leaves_the_cache(broken):
    validate(broken)
    folder = broken / ".casd-cache" / cache_mod.FOLDER
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pickle")}
    fig = broken / "dataset/figures/bishkek-raid-killed-4.yaml"
    fig.write_text(fig.read_text().replace("notes: Two seeds count the dead differently.", "notes: Two seeds count the dead in different ways."))
    same(validate(broken), cold(broken))
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pickle")}
    assert [n for n in after if after[n] != before.get(n)] == [f"{cache_mod.shard_of('dataset/figures/bishkek-raid-killed-4.yaml'):02d}.pickle"]
    gone = "dataset/places/bishkek.yaml"
    (broken / gone).unlink()
    warm = validate(broken)
    same(warm, cold(broken))
    assert gone not in cache_mod.open_cache(broken).entries


def test_a_cache_of_other_code_is_ignored(broken, monkeypatch, tmp_path):
    validate(broken)
    package = tmp_path / "casd"
    shutil.copytree(cache_mod.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache_mod.key(package)
    rule = package / "curate/checks/figures.py"
    rule.write_text(rule.read_text().replace("low <= value <= high", "low <= value <= high (edited)"))
    assert cache_mod.key(package) != before  # editing a rule, same casd version, changes the key
    monkeypatch.setattr(cache_mod, "key", lambda package=None: "another casd")
    assert cache_mod.open_cache(broken).entries == {}
    same(validate(broken), cold(broken))


def test_a_changed_seed_re_anchors_the_evidence_that_cites_it(project):
    validate(project)
    seed = project / "seeds/004_88b129c3640cead4.txt"
    seed.write_bytes(b"A new first line.\n" + seed.read_bytes())
    warm = validate(project)
    assert any(i.code == "source-hash-mismatch" for i in warm.issues)
    same(warm, cold(project))
    key = next(k for k in warm.anchors.spans if k[0] == "places" and k[1] == "bishkek")
    assert warm.anchors.spans[key] != validate(project, use_cache=False).anchors.spans.get(key) or True
    assert dict(warm.anchors.spans) == dict(cold(project).anchors.spans)


def test_a_file_changed_within_the_clock_granularity_is_read_again(project):
    validate(project)
    path = project / "dataset/places/bishkek.yaml"
    st = os.stat(path)
    text = path.read_text()
    path.write_text(text.replace("kind: city", "kind: ctiy"))  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same mtime
    warm = validate(project)
    assert any("ctiy" in i.message for i in warm.issues)
    same(warm, cold(project))


def test_no_cache_when_asked(project, monkeypatch):
    monkeypatch.setenv("CASD_NO_CACHE", "1")
    validate(project)
    assert not (project / ".casd-cache").exists()


def test_long_runs_report_progress_and_quiet_ones_do_not(project):
    base = (project / "dataset/places/bishkek.yaml").read_text()
    for i in range(1000):
        (project / f"dataset/places/copy-{i:04d}.yaml").write_text(base.replace("id: bishkek", f"id: copy-{i:04d}"))
    seen = []
    validate(project, use_cache=False, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(500, 1015), (1000, 1015)]
    from conftest import cli

    r = cli("validate", "-C", str(project))  # not a terminal: no bar, nothing extra
    assert r.stderr == "ok: 1015 record file(s) valid\n"


def test_local_rules_read_nothing_but_their_record_and_their_cached_results_equal_a_cold_run(project):
    """A rule marked local gives, on a one-record view, exactly what it gives that record on the whole
    dataset (what makes caching its results per record sound); then a warm run after edits that
    change those results equals a cold one."""
    from dataclasses import replace

    from casd.curate import checks
    from casd.curate.load import Dataset
    from casd.model.relational import layout

    fig = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    fig.write_text(fig.read_text().replace("text: Four militants were reported killed in Bishkek", "text: Five militants\nlow: \"9\"").replace("notes: Two seeds", "notes: =Two seeds"))
    st = project / "dataset/statements/putin-csto-preventive-measures.yaml"
    st.write_text(st.read_text().replace("quote: ", "quote: Not in the evidence ", 1))
    v = cold(project)
    ctx = checks.Context(v.dataset, v.anchors, layout(), v.tombstones)
    local = [r for r in checks.RULES if r.local]
    emitted = set()
    for r in local:
        whole = sorted(r.check(ctx))
        one_by_one = []
        for item in v.dataset.all():
            view = Dataset(v.dataset.root)
            view.tables[item.table][item.id] = item
            one_by_one += r.check(replace(ctx, dataset=view))
        assert whole == sorted(one_by_one), r.name
        emitted |= {i.code for i in whole}
    assert {"figure-text-unsupported", "figure-bounds-order", "formula-like-text"} <= emitted
    validate(project)  # fills the cache
    fig.write_text(fig.read_text().replace("notes: =Two seeds", "notes: Two seeds"))
    same(validate(project), cold(project))
    same(validate(project), cold(project))  # every result from the cache


def test_a_run_after_an_edit_unpickles_no_record_but_the_edited_ones(broken):
    """The rules across records read the cached facts of the other records, never their typed
    records (a rule reading a record it did not declare would unpickle it, and fail this test)."""
    from casd.curate import checks

    validate(broken)
    ev = broken / "dataset/events/bishkek-raid-2015-07-16.yaml"
    ev.write_text(ev.read_text().replace("kind: ", "kind: s", 1))  # an error in the record
    fig = broken / "dataset/figures/bishkek-raid-killed-4.yaml"
    fig.write_text(fig.read_text().replace("subject_id: bishkek-raid-2015-07-16", "subject_id: csto-summit-2014-12-23"))  # an error across records
    warm = validate(broken, records=False)  # as `casd validate` runs it: only the issues are wanted
    same(warm, cold(broken))
    assert {"figure-alternative-mismatch", "invalid-value"} <= {i.code for i in warm.issues}
    unpickled = {item.path for item in warm.dataset.all() if item.typed and not isinstance(item.stored, bytes)}
    sources = {item.path for item in warm.dataset.tables["sources"].values()}  # their seeds are read on every run
    assert unpickled == sources  # the edited figure, typed in this process, is held packed as a worker's would be
    declared = {name for r in checks.RULES for name in r.reads.get("figures", ())} | {"id"}
    figure = checks.facts(warm.dataset.tables["figures"]["bishkek-raid-killed-4"])
    assert set(figure.__slots__) == declared
    with pytest.raises(AttributeError, match="declare it"):
        figure.text  # noqa: B018 - read by no rule across records: not kept


def test_parsing_in_worker_processes_gives_exactly_the_serial_results(broken, monkeypatch):
    from casd.curate import load

    serial = cold(broken)
    monkeypatch.setattr(load, "PARALLEL_FROM", 1)
    monkeypatch.setattr(load, "BATCH", 4)  # several batches, each spread over the workers
    monkeypatch.setenv("CASD_WORKERS", "2")
    started = []
    start = load.Parser._start
    monkeypatch.setattr(load.Parser, "_start", lambda self: started.append(1) or start(self))
    parallel = cold(broken)
    assert started == [1]  # the batches really went to worker processes
    same(parallel, serial)
    assert [i.path for i in parallel.issues] == [i.path for i in serial.issues]
    assert [list(t) for t in parallel.dataset.tables.values()] == [list(t) for t in serial.dataset.tables.values()]
    for records in (False, True):  # with a cache, each file is anchored and checked in the worker that parsed it
        shutil.rmtree(broken / ".casd-cache", ignore_errors=True)
        started.clear()
        checked = validate(broken, records=records)
        assert started == [1]  # the sources (too few for a pool) were parsed here, the rest in workers
        same(checked, serial)
        entries = cache_mod.open_cache(broken).entries
        assert all(e.rule_issues is not None and e.cites is not None for e in entries.values() if e.item.typed)
        # one object each, not a copy per use (a million records held 0.2 GB of copies)
        assert all(e.item.doc.digest is e.sha256 for e in entries.values())
        for table in checked.dataset.tables.values():
            assert all(item.id is key and (item.facts is None or item.facts.id is key) for key, item in table.items())
        same(validate(broken), serial)  # and the cache they filled gives the same
    import threading

    stop = threading.Event()
    bar = threading.Thread(target=stop.wait)  # as a progress bar's thread: the workers come from a fork server
    bar.start()
    try:
        same(cold(broken), serial)
        shutil.rmtree(broken / ".casd-cache")
        same(validate(broken, records=False), serial)  # the seeds reach workers started by the server
    finally:
        stop.set()
        bar.join()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_run_that_reads_only_the_issues_holds_every_record_packed_with_or_without_workers(project, monkeypatch, workers):
    """A validation in one process (``CASD_WORKERS=1``, or a machine with one CPU) holds its typed
    records as a run with workers does: as bytes (held as objects, a million records took 5.5 GB;
    packed, 3.2 GB)."""
    from casd.curate import load

    monkeypatch.setattr(load, "PARALLEL_FROM", 1)
    monkeypatch.setattr(load, "BATCH", 8)
    monkeypatch.setenv("CASD_WORKERS", workers)
    checked = validate(project, records=False)
    held = {type(item.stored) for t, table in checked.dataset.tables.items() if t != "sources" for item in table.values() if item.typed}  # (sources are read first, for their seeds)
    assert held == {bytes}
    same(checked, cold(project))
    assert not any(type(item.stored) is bytes for item in validate(project, records=True).dataset.all())  # asked for, every record is unpickled


def test_the_number_of_parsing_processes_is_checked(monkeypatch):
    from casd.curate.load import workers
    from casd.errors import CasdError

    monkeypatch.setenv("CASD_WORKERS", "3")
    assert workers() == 3
    monkeypatch.delenv("CASD_WORKERS")
    assert 1 <= workers() <= 4
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("CASD_WORKERS", bad)
        with pytest.raises(CasdError, match="CASD_WORKERS"):
            workers()


KILLED_VALIDATION = """
import os, sys, threading, time
from pathlib import Path
import casd.curate.load as load

load.PARALLEL_FROM, load.BATCH = 1, 1  # a pool for this small project

def receiving(*args, **kwargs):  # where this process takes a worker's result back: it says so, then waits
    Path(os.environ["STARTED"]).write_text(str(os.getpid()))
    time.sleep(600)

load._receive = receiving
if __name__ == "__main__":  # (a fork server imports this file again)
    if sys.argv[1] == "forkserver":  # a thread runs (as a progress bar's): the workers come from a fork server
        threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    from casd.curate.validate import validate

    validate(Path(os.environ["PROJECT"]))
"""


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_a_validation_killed_for_real_leaves_no_worker_running(project, tmp_path, method):
    """``casd validate`` (or a build's child) killed while its workers are up takes them with it,
    instead of leaving them waiting for ever for work: a forked worker asks Linux for SIGKILL when
    its parent ends, a fork server's worker watches the process that started the pool."""
    import signal
    import subprocess
    import sys
    import time

    script, started = tmp_path / "validation.py", tmp_path / "started"
    script.write_text(KILLED_VALIDATION)
    env = {**os.environ, "PROJECT": str(project), "STARTED": str(started), "CASD_WORKERS": "2"}
    main = subprocess.Popen([sys.executable, str(script), method], env=env)
    below: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not started.exists() or not started.read_text():
            assert time.monotonic() < deadline and main.poll() is None, "no result was taken back from a worker"
            time.sleep(0.01)
        below = _descendants(main.pid)
        assert len(below) >= 2  # the workers (and, for forkserver, the server)
        main.kill()
        main.wait()
        deadline = time.monotonic() + 30
        while left := [pid for pid in below if running(pid)]:
            assert time.monotonic() < deadline, f"processes {left} went on after their parent was killed"
            time.sleep(0.05)
    finally:
        main.kill()
        for pid in below:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        for child in open(f"/proc/{pid}/task/{task}/children").read().split():
            found += [int(child), *_descendants(int(child))]
    return found




def test_published_ids_are_decoded_once_and_releases_still_verified_every_run(released, monkeypatch):
    """The ids of each published Parquet file are kept by its sha256: a later run gives the same
    issues without decoding (nor importing pyarrow), a damaged file of them is decoded again, and
    a tampered release still stops the validation."""
    from casd.curate.checks import ids
    from casd.errors import IntegrityError

    event = next((released / "dataset/events").glob("*.yaml"))
    event.unlink()  # a published id now missing: the rule reads the releases' ids
    kept = released / ".casd-cache" / ids.KNOWN_IDS
    kept.unlink(missing_ok=True)
    first = validate(released, use_cache=False)
    assert "missing-tombstone" in [i.code for i in first.issues] and not kept.exists()  # without the cache, nothing kept
    monkeypatch.setenv("CASD_NO_CACHE", "1")
    assert validate(released).issues == first.issues and not kept.exists()
    monkeypatch.delenv("CASD_NO_CACHE")
    assert validate(released).issues == first.issues and kept.is_file()
    from casd.read.releases import Release

    monkeypatch.setattr(Release, "table", lambda *a, **k: pytest.fail("decoded again"))
    assert validate(released).issues == first.issues
    monkeypatch.undo()
    for damage in (b"not a pickle", kept.read_bytes()[:-9]):
        kept.write_bytes(damage)
        assert validate(released).issues == first.issues
    path = sorted((released / "build/releases").glob("*/events.parquet"))[0]
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(IntegrityError, match="SHA256SUMS says"):
        validate(released)


def test_a_run_after_an_edit_imports_no_pyarrow(released):
    """``casd validate`` of a project with releases, run again after an edit: the releases' ids
    come from the cache."""
    import subprocess
    import sys

    from casd.curate.checks import ids

    (released / ".casd-cache" / ids.KNOWN_IDS).unlink(missing_ok=True)
    code = "import sys; from casd.curate.validate import validate; validate(sys.argv[1]); print('pyarrow' in sys.modules)"
    first = subprocess.run([sys.executable, "-c", code, str(released)], capture_output=True, text=True, check=True).stdout.split()
    event = next((released / "dataset/events").glob("*.yaml"))
    event.write_text(event.read_text() + "# edited\n")
    again = subprocess.run([sys.executable, "-c", code, str(released)], capture_output=True, text=True, check=True).stdout.split()
    assert (first, again) == (["True"], ["False"])  # the first run decoded the releases' ids


def test_the_rules_across_records_run_again_only_when_what_they_read_changed(project, monkeypatch):
    """The issues of the rules across records that read only ids, facts and references are kept
    with the cache: an edit that changes none of those reuses them; any that does (a reference, a
    file added or removed), or an edit of a file one of them lies in (its line moves), runs the rules
    again. Every run equals a cold one. Kept issues found for other shards than those on disk (a run
    in between, from another editor) or damaged are not trusted."""
    from dataclasses import replace

    from casd.curate import checks

    runs = []

    def counted(check):
        def check_and_count(ctx):
            runs.append(check.__name__)
            return check(ctx)

        return check_and_count

    monkeypatch.setattr(checks, "RULES", [replace(r, check=counted(r.check)) if r.kept else r for r in checks.RULES])
    kept = sum(r.kept for r in checks.RULES)
    assert kept >= 5

    def step(again):
        runs.clear()
        warm = validate(project)
        ran = len(runs)
        same(warm, cold(project))
        assert ran == (kept if again else 0)
        return warm

    st = project / "dataset/statements/putin-csto-preventive-measures.yaml"
    text = st.read_text()
    step(again=True)  # nothing kept yet
    step(again=False)
    st.write_text(text.replace("see that event for the year.", "the event gives the year."))  # no fact changed
    step(again=False)
    st.write_text(text.replace("setting_id: csto-summit-2014-12-23", "setting_id: csto-summit-2014-12-24"))
    assert any(i.code == "dangling-reference" for i in step(again=True).issues)
    st.write_text("# a comment line moves every issue of the file down\n" + st.read_text())
    step(again=True)
    st.write_text(text)
    step(again=True)
    across = project / ".casd-cache" / cache_mod.FOLDER / cache_mod.ACROSS
    valid = across.read_bytes()
    st.write_text(text.replace("setting_id: csto-summit-2014-12-23", "setting_id: csto-summit-2014-12-24"))
    step(again=True)
    across.write_bytes(valid)  # what was kept before the shard of the statement was written again
    step(again=True)
    across.write_bytes(valid[:-9] + b"damaged!!")
    step(again=True)
    st.write_text(text)
    step(again=True)
    (project / "dataset/figures/bishkek-raid-killed-4-total.yaml").unlink()
    step(again=True)
    step(again=False)
    place = project / "dataset/places/bishkek.yaml"
    (project / "dataset/places/bishkek-city.yaml").write_text(place.read_text().replace("id: bishkek\n", "id: bishkek-city\n"))
    step(again=True)
    step(again=False)


def test_the_cache_keeps_facts_as_their_values_until_a_rule_reads_them(project):
    from dataclasses import replace

    from casd.curate import checks

    validate(project)  # writes the cache
    entries = cache_mod.open_cache(project).entries
    for shown, record_first in (("dataset/events/bishkek-raid-2015-07-16.yaml", False), ("dataset/figures/bishkek-raid-killed-4.yaml", True)):
        item = entries[shown].item
        assert type(item.facts) is tuple  # as read back: values, no facts object made yet
        if record_first:
            item.record  # noqa: B018 - unpickled before the facts are made
        made = checks.facts(item)
        rec = item.record
        assert isinstance(made, checks.Facts) and item.facts is made and made.id == item.id
        assert checks.values_of(made) == checks.values_of(checks.facts(replace(item, facts=None)))  # as made from the record itself
        assert all(getattr(made, name) is getattr(rec, name) for name in made.__slots__ if name in type(rec).model_fields)  # the record's values, not copies
