"""The ledger: a one-shot ``casd validate`` after a few edits answers from what the last whole run
found, and that answer is exactly what a run without any cache gives, edit after edit; whatever
the ledger cannot vouch for makes the whole validation run."""

from __future__ import annotations

import os
import pickle
import shutil
import time
from dataclasses import fields, replace
from pathlib import Path

import pytest

from casd.curate import cache as cache_mod
from casd.curate import graph, ledger
from casd.curate.issues import Issue
from casd.curate.validate import validate
from casd.fs import STATUS
from casd.paths import CACHE_DIR
from conftest import cli
from edits import FOUND, SECOND_RING, _edit, edits


@pytest.fixture(autouse=True)
def trusted_at_once(monkeypatch):
    """The files a test makes are milliseconds old: trust their status at once (the racily-clean
    rule has a test of its own, with the real window)."""
    monkeypatch.setattr(ledger, "RACY_NS", 0)


def whole(project: Path) -> list[Issue]:
    """What a run without any cache finds."""
    return validate(project, use_cache=False).issues


def run(project: Path) -> tuple[list[Issue], bool]:
    """What ``casd validate`` does: the ledger's answer if it has one (True), else the whole
    validation with its cache, which writes the ledger (False). A ledger patched by an answer
    holds what the ledger of a whole run would hold."""
    quick = ledger.answer(project)
    if quick is not None:
        assert quick.count == len(validate(project, use_cache=False).dataset)
        patched, graph = ledger.path_of(project).read_bytes(), ledger.graph_folder(project)
        shutil.copytree(graph, project.parent / "graph", dirs_exist_ok=True)
        ledger.path_of(project).unlink()  # (else the whole run would take its graph again: no record changed since)
        validate(project, records=False)  # (writes the ledger of a whole run)
        whole_run = comparable(project, ledger.read(project))  # type: ignore[arg-type]
        shutil.rmtree(graph)
        shutil.copytree(project.parent / "graph", graph)  # the next step goes on from the patched ledger
        shutil.rmtree(project.parent / "graph")
        ledger.path_of(project).write_bytes(patched)
        assert whole_run == comparable(project, ledger.read(project))  # type: ignore[arg-type]
        return quick.issues, True
    return validate(project, records=False).issues, False


def comparable(project: Path, written: ledger.Ledger) -> dict[str, object]:
    """What a ledger holds, but when it was written and which statuses it trusts (a matter of when:
    :func:`untrusted_as_they_should_be`); its issues and who refers to each record, in no order."""
    parts = {(kind, table): [pickle.loads((ledger.graph_folder(project) / name).read_bytes()) for name in names] for (kind, table), names in written.graph.items()}
    nodes = {table: {rid: node for part in found for rid, node in part.items()} for (kind, table), found in parts.items() if kind == "nodes"}
    into = {table: {rid: keys for part in found for rid, keys in part.items()} for (kind, table), found in parts.items() if kind == "into"}
    return {
        **{f.name: getattr(written, f.name) for f in fields(written) if f.name not in ("written_ns", "folders_status", "racy", "other", "graph")},
        "other": sorted(set(written.other)),
        "nodes": {t: v for t, v in nodes.items() if v},
        "into": {t: {rid: sorted(set(keys)) for rid, keys in v.items()} for t, v in into.items() if v},
    }


# the statuses taken in this process (where it cannot fork) replay the same edits: slow, the forking path stays in the fast set
@pytest.mark.parametrize("fork", [pytest.param(True, id="statuses-in-a-child"), pytest.param(False, id="statuses-here", marks=pytest.mark.slow)])
def test_each_edit_is_answered_as_a_run_without_cache(released, monkeypatch, fork):
    project = released  # (every record published: a record removed lacks its tombstone)
    monkeypatch.setattr(ledger, "_may_fork", lambda: fork)
    monkeypatch.setattr(graph, "PART", 2)  # each table's graph in parts of about two records
    assert run(project) == (whole(project), False)  # no ledger yet
    steps = edits(project)
    answered, seen, seen_messages = [], set(), set()
    for n, (act, _) in enumerate(steps):
        act()
        issues, quick = run(project)
        assert issues == whole(project), n
        answered.append(quick)
        seen.update(i.code for i in issues)
        seen_messages.update(i.message for i in issues)
    # what the steps make the rules across records find, each answered by the ledger somewhere
    assert FOUND <= seen
    assert SECOND_RING in "".join(seen_messages)
    assert answered == [quick for _, quick in steps], [(n, got) for n, (got, (_, want)) in enumerate(zip(answered, steps, strict=True)) if got != want]


def test_every_other_input_makes_the_whole_validation_run(released):
    project = released
    run(project)
    assert ledger.answer(project) is not None
    seed = next((project / "seeds").iterdir())
    release_file = next(p for p in (project / "build/releases").rglob("*") if p.is_file())
    changes = [
        lambda: os.utime(project / "dataset/package.yaml"),
        lambda: (project / "dataset/tombstones.yaml").write_text("retired: []\n"),
        lambda: os.utime(seed),  # a seed touched: its status differs
        lambda: (project / "seeds/new.txt").write_text("a new seed\n"),
        lambda: os.utime(release_file),  # a published file touched
        lambda: (project / "dataset/notes.txt").write_text("a stray file\n"),  # dataset/'s names
        lambda: (project / "dataset/events/Bad Name.yml").write_text("x\n"),  # a table folder's names
        lambda: os.chmod(project / "dataset/package.yaml", 0o600),  # its ctime
    ]
    for n, change in enumerate(changes):
        change()
        assert ledger.answer(project) is None, n
        assert run(project) == (whole(project), False), n
        assert ledger.answer(project) is not None, n  # written again


def test_a_damaged_or_foreign_ledger_is_not_used(project, monkeypatch):
    run(project)
    path = ledger.path_of(project)
    good = path.read_bytes()
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # one bit flipped
    assert ledger.answer(project) is None
    path.write_bytes(good[:40])  # cut short
    assert ledger.answer(project) is None
    path.write_bytes(good)
    assert ledger.answer(project) is not None
    monkeypatch.setattr(ledger.codekey, "key", lambda: "other code")  # casd edited since
    assert ledger.answer(project) is None
    monkeypatch.undo()
    monkeypatch.setattr(ledger, "RACY_NS", 0)
    raid = project / "dataset/events/bishkek-raid-2015-07-16.yaml"
    slots = [(where, n) for where, names in ledger.read(project).graph.items() for n in range(len(names))]  # type: ignore[union-attr]
    assert slots
    fell = []
    for where, n in slots:  # the graph's parts, each damaged in turn: an answer that reads it does not use it
        part = ledger.graph_folder(project) / ledger.read(project).graph[where][n]  # type: ignore[union-attr]
        good = part.read_bytes()
        part.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
        _edit(raid, "related\n", "part-of\n")  # a fact edit reads the nodes of events, and of who refers to them
        answered = ledger.answer(project)
        part.write_bytes(good)
        assert answered is None or answered.issues == whole(project), part
        fell.append(answered is None)
        _edit(raid, "part-of\n", "related\n")
        assert run(project)[0] == whole(project)
    assert any(fell)
    part = ledger.graph_folder(project) / ledger.read(project).graph["nodes", "events"][0]  # type: ignore[union-attr]
    part.unlink()
    _edit(raid, "related\n", "part-of\n")
    assert ledger.answer(project) is None


def test_the_ledger_holds_what_it_compares_with_whatever_the_cache_holds_since(project, monkeypatch):
    """A run that wrote the cache but no ledger (``casd serve``, say) leaves the ledger as it was:
    it compares each edit with its own graph of the records, not with the cache's entries now."""
    fig = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    run(project)
    for old, new in [("notes: Two seeds count the dead differently.", "notes: Two seeds differ."), ('value: "4"', "value: [4]"), ('value: [4]', 'value: "4"')]:
        _edit(fig, old, new)
        monkeypatch.setattr(ledger, "write", lambda *a: None)
        validate(project, records=False)  # the cache now has the edit
        monkeypatch.undo()
        monkeypatch.setattr(ledger, "RACY_NS", 0)
        assert run(project) == (whole(project), True), (old, new)


def test_a_run_whose_cache_was_not_written_leaves_no_ledger(project, monkeypatch):
    run(project)
    assert ledger.answer(project) is not None
    _edit(project / "dataset/package.yaml", "\n", "\n\n")  # an input that makes the whole validation run
    _edit(project / "dataset/figures/bishkek-raid-killed-4.yaml", 'value: "4"', "value: [4]")  # and a file whose entry it must write

    def full(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_mod, "write_atomic", full)
    assert run(project) == (whole(project), False)
    assert not ledger.path_of(project).exists()  # the old one is gone too: it would not hold


def test_a_file_changed_within_the_status_clock_is_checked_again(project, monkeypatch):
    """Git's racily-clean rule: a file changed again right after its status was taken, within the
    same clock tick and to the same size, has the status it had; such a file is checked on every
    run until its status is old enough to be trusted."""
    monkeypatch.setattr(ledger, "RACY_NS", 2_000_000_000)  # the real window
    time.sleep(2.1)  # the project's files are old enough to be trusted
    assert run(project)[1] is False
    assert ledger.read(project).racy == frozenset()  # type: ignore[union-attr]
    (project / "dataset/places/draft.yaml").write_text("id: draft\n")
    (project / "dataset/places/draft.yaml").unlink()  # a folder whose status is not to be trusted yet: listed on every run
    assert run(project)[1] is True
    assert ledger.read(project).folders_status["dataset/places/"] is None  # type: ignore[union-attr]
    raid = project / "dataset/events/bishkek-raid-2015-07-16.yaml"
    _edit(raid, "title: Security forces raid militants in Bishkek", "title: Security forces raid militants in Bishkek!")
    assert run(project) == (whole(project), True)
    written = ledger.read(project)
    assert written is not None and len(written.racy) == 1  # the file just checked
    (position,) = written.racy
    _edit(raid, "title: Security forces raid militants in Bishkek!", "title: '=1+1 Security forces raid militants'")
    size = STATUS.size
    now = ledger.status(os.lstat(raid))  # what the ledger would have taken, had the change fallen in the same tick
    ledger._save(ledger.path_of(project), replace(written, stats=written.stats[: position * size] + now + written.stats[(position + 1) * size :]))
    quick = ledger.answer(project)
    assert quick is not None and quick.issues == whole(project)
    assert "formula-like-text" in {i.code for i in quick.issues}
    untrusted_as_they_should_be(project)
    (project / "dataset/events/a-draft.yaml").write_text("id: a-draft\n")  # added before the raid: the statuses after it move
    assert run(project) == (whole(project), True)
    assert untrusted_as_they_should_be(project) >= {"events/a-draft.yaml"}
    (project / "dataset/events/a-draft.yaml").unlink()
    assert run(project) == (whole(project), True)
    untrusted_as_they_should_be(project)


def untrusted_as_they_should_be(project: Path) -> set[str]:
    """The record files whose status the ledger does not trust, checked to be those changed within
    the window before it was written."""
    written = ledger.read(project)
    assert written is not None
    names = [f"{table}/{stem}.yaml" for table, joined in written.folders for stem in joined.split("\0") if joined]
    assert written.stats == b"".join(ledger.status(os.lstat(project / "dataset" / name)) for name in names)
    recent = {name for name in names if max(os.lstat(project / "dataset" / name).st_mtime_ns, os.lstat(project / "dataset" / name).st_ctime_ns) >= written.written_ns - ledger.RACY_NS}
    assert {names[i] for i in written.racy} == recent
    return recent


def test_casd_validate_prints_the_ledgers_answer_as_a_run_without_cache(project, monkeypatch):
    run(project)
    _edit(project / "dataset/events/bishkek-raid-2015-07-16.yaml", "title: Security forces raid militants in Bishkek", "title: '=1+1'")
    import casd.curate.validate as whole_run

    def never(*a, **k):
        raise AssertionError("the whole validation ran")

    for args in (["validate"], ["validate", "-f", "json"], ["validate", "-f", "github"], ["validate", "dataset/figures"]):
        monkeypatch.setattr(whole_run, "validate", never)
        quick = cli(*args, "-C", str(project), cwd=project)
        monkeypatch.undo()
        monkeypatch.setattr(ledger, "RACY_NS", 0)
        monkeypatch.setenv("CASD_NO_CACHE", "1")
        alone = cli(*args, "-C", str(project), cwd=project)
        monkeypatch.delenv("CASD_NO_CACHE")
        assert (quick.exit_code, quick.stdout, quick.stderr) == (alone.exit_code, alone.stdout, alone.stderr), args
        assert ("formula-like-text" in quick.stdout) is (args[-1] != "dataset/figures"), args
    junit = cli("validate", "-f", "junit", "-C", str(project), cwd=project)  # it names every file: the whole validation
    assert junit.stdout.count("<testcase") == 15


def test_a_held_cache_answers_instead(project):
    run(project)
    cache_mod.hold(project)
    try:
        assert ledger.answer(project) is None
    finally:
        cache_mod.release(project)
    assert ledger.answer(project) is not None


@pytest.mark.parametrize("fork", [True, False], ids=["statuses-in-a-child", "statuses-here"])
def test_statuses_taken_by_a_child_that_fails_make_the_whole_validation_run(project, monkeypatch, fork):
    monkeypatch.setattr(ledger, "_may_fork", lambda: fork)
    run(project)
    assert ledger.answer(project) is not None
    monkeypatch.setattr(ledger, "_take", lambda *a: None)  # a file gone while they were taken
    assert ledger.answer(project) is None
    good = ledger.read(project).stats  # type: ignore[union-attr]
    monkeypatch.setattr(ledger, "_take", lambda *a: good[:-1])  # cut short
    assert ledger.answer(project) is None


def test_a_child_not_waited_for_is_ended(project, monkeypatch):
    monkeypatch.setattr(ledger, "_may_fork", lambda: True)  # (other tests may leave threads behind)
    run(project)
    (project / "dataset/notes.txt").write_text("a stray file\n")  # the answer is known before the statuses are
    children = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(ledger.os, "fork", fork)
    assert ledger.answer(project) is None
    assert len(children) == ledger.CHILDREN
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped already


@pytest.mark.parametrize("children", [1, 2, 3, 7, 20])
def test_the_children_take_every_status_in_order(project, monkeypatch, children):
    run(project)
    written = ledger.read(project)
    assert written is not None and written.count == 15
    sizes = [sum(len(stems) for _, stems in part) for part in ledger._parts(written, children)]
    assert sum(sizes) == 15 and max(sizes) == -(-15 // children)  # as even as they can be
    monkeypatch.setattr(ledger, "CHILDREN", children)
    monkeypatch.setattr(ledger, "_may_fork", lambda: True)
    taking = ledger._Taking(project, written)
    assert len(taking.children) == children
    assert taking.result() == written.stats


def test_a_folder_is_listed_again_only_when_its_status_changed(project, monkeypatch):
    run(project)
    events = project / "dataset/events"
    listed = []
    real = ledger._names
    monkeypatch.setattr(ledger, "_names", lambda folder: listed.append(folder.name) or real(folder))
    assert ledger.answer(project) is not None
    assert "events" not in listed  # its status is the one the ledger has
    (events / "draft.yaml").write_text("id: draft\n")
    (events / "draft.yaml").unlink()  # the same names, another status
    assert ledger.answer(project) is not None
    assert listed.count("events") == 1
    assert ledger.read(project).folders_status["dataset/events/"] == ledger.status(os.stat(events))  # type: ignore[union-attr]
    assert ledger.answer(project) is not None
    assert listed.count("events") == 1  # not listed again


def test_the_ledger_lives_in_the_cache_folder_and_goes_with_it(project):
    run(project)
    assert ledger.path_of(project).parent == project / CACHE_DIR
    shutil.rmtree(project / CACHE_DIR)
    assert ledger.answer(project) is None
    assert run(project) == (whole(project), False)


def test_a_seed_changed_behind_the_same_status_is_not_used(project):
    """Its sha256 is checked when an edited record first cites it (the status of a seed can only
    look the same within the clock's tick: forged here)."""
    run(project)
    written = ledger.read(project)
    assert written is not None
    rel, _ = written.seeds["foreign-intrigue-kyrgyz-raids-askarov"]
    seed = project / rel
    seed.write_bytes(seed.read_bytes() + b"\nA line more.\n")
    forged = {**written.inputs, rel: ledger.status(os.lstat(seed))}
    ledger._save(ledger.path_of(project), replace(written, inputs=forged))
    _edit(project / "dataset/events/bishkek-raid-2015-07-16.yaml", "title: Security forces raid militants in Bishkek", "title: Security forces raid militants")
    assert ledger.answer(project) is None
    assert run(project) == (whole(project), False)


def test_statuses_and_listings_that_disagree_make_the_whole_validation_run(project, monkeypatch):
    """A file removed or added while its status and its folder's names were being taken: the two
    disagree, and the ledger does not guess."""
    run(project)
    written = ledger.read(project)
    assert written is not None
    monkeypatch.setattr(ledger, "_may_fork", lambda: False)
    bishkek = project / "dataset/places/bishkek.yaml"
    text = bishkek.read_text()
    bishkek.unlink()
    assert ledger.answer(project) is not None  # (as taken: answered)
    ledger._save(ledger.path_of(project), written)
    monkeypatch.setattr(ledger._Taking, "result", lambda self: written.stats)  # its status taken before it went, the listing after
    assert ledger.answer(project) is None
    names = [f"{table}/{stem}" for table, joined in written.folders for stem in joined.split("\0")]
    at = names.index("places/bishkek") * STATUS.size
    other = STATUS.pack(1, 2, 3, 4)
    monkeypatch.setattr(ledger._Taking, "result", lambda self: written.stats[:at] + other + written.stats[at + STATUS.size :])  # made again before its status was taken
    assert ledger.answer(project) is None
    bishkek.write_text(text)
    monkeypatch.setattr(ledger._Taking, "result", lambda self: written.stats[:at] + ledger.GONE + written.stats[at + STATUS.size :])  # gone as its status was taken, but listed
    assert ledger.answer(project) is None


def test_a_rule_across_records_that_does_not_say_what_it_reads_makes_the_whole_validation_run(project, monkeypatch):
    """The ledger patches the issues of rules that declare what they read (``near``, ``ids``, or the
    references rule); a rule across records that declares neither could read anything."""
    from casd.curate import checks

    raid = project / "dataset/events/bishkek-raid-2015-07-16.yaml"
    run(project)
    _edit(raid, "title: Security forces raid militants in Bishkek", "title: Security forces raid militants")
    assert ledger.answer(project) is not None
    undeclared = replace(next(r for r in checks.RULES if r.near), near=False)
    monkeypatch.setattr(checks, "RULES", [r for r in checks.RULES if r.check is not undeclared.check] + [undeclared])
    _edit(raid, "title: Security forces raid militants", "title: Security forces raid")
    assert ledger.answer(project) is None


def test_near_and_ids_are_declared_with_what_they_need():
    from casd.curate.checks import rule

    with pytest.raises(ValueError, match="near rule declares the facts"):
        rule("dangling-reference", near=True)
    with pytest.raises(ValueError, match="only ids declares no facts"):
        rule("dangling-reference", ids=True, reads={"events": ("date",)})
    with pytest.raises(ValueError, match="local rule"):
        rule("dangling-reference", local=True, near=True)


def test_a_whole_run_with_no_record_changed_keeps_the_graph(project, monkeypatch):
    """A seed or a side file changed: the whole validation runs, but the graph is the last one's (no
    part made again); a part found damaged is removed, and the next whole run makes the graph anew."""
    run(project)
    first = ledger.read(project)
    assert first is not None
    parts = {p.name: p.stat().st_mtime_ns for p in ledger.graph_folder(project).iterdir()}
    monkeypatch.setattr(graph.Graph, "of", lambda *a: pytest.fail("the graph made again"))
    _edit(project / "dataset/package.yaml", "\n", "\n\n")
    assert run(project) == (whole(project), False)
    assert ledger.read(project).graph == first.graph  # type: ignore[union-attr]
    assert {p.name: p.stat().st_mtime_ns for p in ledger.graph_folder(project).iterdir()} == parts
    monkeypatch.undo()
    monkeypatch.setattr(ledger, "RACY_NS", 0)
    events = ledger.graph_folder(project) / first.graph["nodes", "events"][0]
    events.write_bytes(events.read_bytes()[:-1] + b"\0")
    _edit(project / "dataset/events/bishkek-raid-2015-07-16.yaml", "related\n", "part-of\n")
    assert ledger.answer(project) is None and not events.exists()  # damaged: not used, and removed
    _edit(project / "dataset/events/bishkek-raid-2015-07-16.yaml", "part-of\n", "related\n")
    assert run(project) == (whole(project), False)
    (ledger.graph_folder(project) / ledger.read(project).graph["nodes", "events"][0]).unlink()  # type: ignore[union-attr]  # a part gone, then a whole run with no record changed: the graph is made anew
    _edit(project / "dataset/package.yaml", "\n\n", "\n")
    assert run(project) == (whole(project), False)
    assert ledger._present(project, ledger.read(project).graph)  # type: ignore[union-attr]
    _edit(project / "dataset/events/bishkek-raid-2015-07-16.yaml", "related\n", "part-of\n")
    assert run(project) == (whole(project), True)


def test_a_neighbourhood_too_large_or_too_many_referrers_make_the_whole_validation_run(released, monkeypatch):
    project = released
    raid = project / "dataset/events/bishkek-raid-2015-07-16.yaml"
    run(project)
    monkeypatch.setattr(graph, "NEAR_LIMIT", 1)  # the raid, the summit it names: two records
    _edit(raid, "relation: related", "relation: part-of")
    assert ledger.answer(project) is None
    monkeypatch.undo()
    monkeypatch.setattr(ledger, "RACY_NS", 0)
    assert run(project) == (whole(project), True)
    monkeypatch.setattr(ledger, "MAX_REFERRING", 0)
    bishkek = project / "dataset/places/bishkek.yaml"
    _edit(bishkek, "kind: city", "kind: [city]")  # untyped, its id still there: the raid that refers to it needs no new look
    assert run(project) == (whole(project), True)
    _edit(bishkek, "kind: [city]", "kind: city")
    assert run(project) == (whole(project), True)
    bishkek.unlink()  # gone: the raid that refers to it is checked again, one file more than allowed
    assert ledger.answer(project) is None
    monkeypatch.setattr(ledger, "MAX_REFERRING", 64)
    assert run(project) == (whole(project), True)


def test_more_files_changed_than_the_ledger_checks_make_the_whole_validation_run(project, monkeypatch):
    """At most :data:`ledger.MAX_CHANGED` record files edited, added or removed (the README's 16),
    each kind counted."""
    run(project)
    assert ledger.MAX_CHANGED == 16
    monkeypatch.setattr(ledger, "MAX_CHANGED", 2)
    raid, kant = project / "dataset/events/bishkek-raid-2015-07-16.yaml", project / "dataset/bases/kant-air-base.yaml"
    _edit(raid, "title: Security forces raid militants in Bishkek", "title: Security forces raid militants")
    _edit(kant, "name: Kant Air Base", "name: Kant air base")
    assert run(project) == (whole(project), True)  # two
    _edit(kant, "name: Kant air base", "name: Kant Air Base")
    (project / "dataset/places/osh.yaml").write_text("id: osh\nname: Osh\nkind: city\ncountry: KGZ\n")
    (project / "dataset/places/bishkek.yaml").unlink()
    assert ledger.answer(project) is None  # an edit, an addition, a removal: three
    assert run(project) == (whole(project), False)
