"""``casd serve``: a validation held in memory answers exactly as a one-shot run, edit after edit,
and a server that is gone, stale or busy elsewhere never gives a wrong answer."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casd.client import at_socket
from casd.codekey import key
from casd.curate import cache as cache_mod
from casd.curate import checks, watch
from casd.curate import graph as graph_mod
from casd.curate.graph import Held
from casd.curate.load import Listing, folder_files, record_files, relist
from casd.curate.resident import Resident, Stale
from casd.curate.validate import validate
from casd.fs import MAX_RECORD_BYTES
from casd.model.relational import layout
from casd.paths import CACHE_DIR, SERVER_SOCKET
from edits import FOUND, edits

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="UNIX sockets and inotify: the server is tested where CI runs it, on Linux")

EXE = Path(sys.executable).parent / "casd"


def casd(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed console script (the client), with extra environment."""
    full = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CASD_SERVER", "CASD_NO_CACHE")} | env
    return subprocess.run([str(EXE), *args], cwd=cwd, capture_output=True, text=True, env=full, timeout=120)


def served_as_alone(project: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``casd validate`` answered by the server, checked equal to a run with no server and no cache."""
    here = cwd or project
    served = casd("validate", *args, cwd=here, CASD_SERVER="require")
    alone = casd("validate", *args, cwd=here, CASD_NO_CACHE="1")
    assert (served.returncode, served.stdout, served.stderr) == (alone.returncode, alone.stdout, alone.stderr), args
    return served


class Server:
    def __init__(self, project: Path, log: Path):
        self.project, self.log = project, log
        self.proc = subprocess.Popen([str(EXE), "serve", "-C", str(project)], stdout=subprocess.DEVNULL, stderr=log.open("w"), env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
        deadline = time.monotonic() + 120
        while "serving" not in log.read_text():
            assert self.proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)

    def answered(self, wait_for: int = 0) -> list[str]:
        """The server's log line of each answer (waiting for ``wait_for`` of them: it logs each once
        it has answered and kept what the run checked, before it takes the next request)."""
        deadline = time.monotonic() + 60
        while True:
            lines = [line for line in self.log.read_text().splitlines() if line.startswith("validate: ")]
            if len(lines) >= wait_for or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


@pytest.fixture
def server(project, tmp_path):
    s = Server(project, tmp_path / "serve.log")
    yield s
    s.stop()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.slow  # a long series of edits; the fast set keeps the server's single-edit tests
def test_the_server_answers_as_a_one_shot_run_edit_after_edit(project, server):
    places, events = project / "dataset/places", project / "dataset/events"
    served_as_alone(project)
    _edit(places / "bishkek.yaml", "kind: city", "kind: citty")  # an error in one file
    assert served_as_alone(project).returncode == 1
    tmp = places / ".bishkek.yaml.swp"  # an editor's save: a temporary file renamed over the record
    tmp.write_text((places / "bishkek.yaml").read_text().replace("kind: citty", "kind: city"))
    os.replace(tmp, places / "bishkek.yaml")
    assert served_as_alone(project).returncode == 0
    (places / "bishkek.yaml").rename(places / "bishkek-city.yaml")  # renamed: an id mismatch, and references to "bishkek" dangle in unchanged files
    r = served_as_alone(project)
    assert "id-mismatch" in r.stdout and "dangling-reference" in r.stdout
    (places / "bishkek-city.yaml").rename(places / "bishkek.yaml")
    assert served_as_alone(project).returncode == 0
    os.utime(events / "bishkek-raid-2015-07-16.yaml")  # touched, not changed
    assert served_as_alone(project).returncode == 0
    seed = project / "seeds/004_88b129c3640cead4.txt"
    kept = seed.read_bytes()
    seed.write_bytes(kept.replace(b"Bishkek", b"Bishkec", 1))  # a seed changed: its hash, and every quote in it
    r = served_as_alone(project)
    assert "source-hash-mismatch" in r.stdout
    seed.write_bytes(kept)
    (project / "dataset/bogus").mkdir()  # a folder appears: the watcher cannot vouch, every file is looked at
    (project / "dataset/bogus/x.yaml").write_text("id: x\n")
    assert "unknown-table" in served_as_alone(project).stdout
    shutil.rmtree(project / "dataset/bogus")
    (places / "osh.yaml").write_text("id: osh\nname: Osh\nkind: city\ncountry: KGZ\nlocated_in_id: nowhere\n")  # a new file
    served_as_alone(project)
    served_as_alone(project, "--format", "json", "places/osh.yaml", cwd=project / "dataset")  # from a subfolder, with paths
    (places / "osh.yaml").unlink()
    _edit(project / "dataset/package.yaml", "title:", "titel:")
    assert served_as_alone(project).returncode == 1
    _edit(project / "dataset/package.yaml", "titel:", "title:")
    assert served_as_alone(project).returncode == 0
    answered = server.answered(wait_for=12)
    assert len(answered) == 12, server.log.read_text()
    assert all("(0 file(s) read again" in line for line in (answered[0], answered[5]))  # nothing changed; a touch only
    assert "(1 file(s) read again, the rest as in the last run; rules across records: run around the changed records)" in answered[1]  # one edit: one file read, whatever the size of the dataset
    assert "rules across records: run around the changed records" in answered[3]  # renamed: a file gone, and one added
    assert all("the rest as in the last run" in line for line in answered[2:5])  # saved by renaming a new file over it; renamed
    assert "the rest as in the last run" not in answered[6]  # a seed changed: every record is anchored again


def test_other_commands_and_projects_are_not_served(project, server, tmp_path):
    other = shutil.copytree(project, tmp_path / "other", ignore=shutil.ignore_patterns(".casd-cache"))
    r = casd("validate", "-C", str(other), cwd=project, CASD_SERVER="require")  # the client finds no server of that project
    assert r.returncode == 2 and "no `casd serve` answered" in r.stderr
    assert casd("validate", "-C", str(other), cwd=project).returncode == 0  # ... and by default runs it itself
    assert casd("stats", cwd=project).returncode == 0
    assert casd("validate", cwd=project, CASD_SERVER="0").returncode == 0  # told to work alone
    assert casd("validate", cwd=project, CASD_SERVER="require").returncode == 0
    assert len(server.answered(wait_for=1)) == 1  # only the last: the server logs each answer before it takes the next call


def test_a_killed_server_is_never_trusted(project, tmp_path):
    s = Server(project, tmp_path / "serve.log")
    s.proc.kill()
    s.proc.wait()
    assert (project / SERVER_SOCKET).exists()  # left behind
    _edit(project / "dataset/places/bishkek.yaml", "kind: city", "kind: citty")
    r = casd("validate", cwd=project)  # no answer on the socket: the work is done here
    assert r.returncode == 1 and "invalid-value" in r.stdout
    assert casd("validate", cwd=project, CASD_SERVER="require").returncode == 2
    again = Server(project, tmp_path / "again.log")  # a new server replaces the dead socket
    try:
        assert served_as_alone(project).returncode == 1
    finally:
        assert again.stop() == 0
    assert not (project / SERVER_SOCKET).exists()  # removed on SIGTERM


def _asking(project: Path, k: str | None = None) -> socket.socket:
    """A client's socket that has sent ``casd validate``'s request (with casd's key, or ``k``)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    at_socket(project / SERVER_SOCKET, sock.connect)
    sock.sendall(json.dumps({"argv": ["validate"], "cwd": str(project), "project": str(project), "key": k or key()}).encode())
    sock.shutdown(socket.SHUT_WR)
    return sock


def _answer(sock: socket.socket) -> dict:
    with sock:
        return json.loads(b"".join(iter(lambda: sock.recv(65536), b"")))


def test_a_client_running_other_casd_code_is_refused(project, server):
    """A client from another environment (a pre-commit hook's casd, say) is not answered by a
    server running other code: it is refused, and does the work itself."""
    assert "refused" in _answer(_asking(project, "another casd")) and server.answered() == []
    assert _answer(_asking(project))["code"] == 0 and len(server.answered(wait_for=1)) == 1


def _written(log: Path, answers: int) -> list[str]:
    """The server's log lines after ``answers`` answers have had their cache written (waiting for it)."""
    deadline = time.monotonic() + 60
    while True:
        lines = log.read_text().splitlines()
        if sum(int(line.rsplit("after ", 1)[1].split()[0]) for line in lines if line.startswith("cache written in ")) >= answers or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def test_a_burst_of_requests_is_answered_before_the_cache_is_written(project, server):
    """The saves of a burst are each answered at once; the cache is written once, after them, and
    holds what the last one found."""
    bishkek = project / "dataset/places/bishkek.yaml"
    _edit(bishkek, "kind: city", "kind: citty")
    first, second = _asking(project), _asking(project)  # the second waits while the first is answered
    assert (_answer(first)["code"], _answer(second)["code"]) == (1, 1)
    lines = _written(server.log, 2)
    after = lines[next(i for i, line in enumerate(lines) if line.startswith("serving ")) + 1 :]
    assert len(after) == 3 and all(line.startswith("validate: exit 1,") for line in after[:2]), lines
    assert after[2].startswith("cache written in ") and after[2].endswith("after 2 answer(s)"), lines
    assert on_disk(project)["dataset/places/bishkek.yaml"] == hashlib.sha256(bishkek.read_bytes()).digest()


def test_the_cache_is_written_after_16_answers_however_closely_they_follow(project, server):
    for _ in range(17):  # each asked the moment the last is answered
        assert _answer(_asking(project))["code"] == 0
    lines = [line for line in _written(server.log, 17) if line.startswith("cache written in ")]
    assert lines[0].endswith("after 16 answer(s)") and lines[1].endswith("after 1 answer(s)"), lines


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_server_stopped_before_it_wrote_its_cache_writes_it_first(project, server, stop):
    bishkek = project / "dataset/places/bishkek.yaml"
    _edit(bishkek, "kind: city", "kind: citty")
    assert _answer(_asking(project))["code"] == 1
    server.proc.send_signal(stop)  # within the second it waits for another request (Ctrl-C sends SIGINT)
    assert server.proc.wait(timeout=60) == 0
    lines = server.log.read_text().splitlines()
    assert lines[-2:] == ["stopped", lines[-1]] and lines[-1].startswith("cache written in ") and lines[-1].endswith("after 1 answer(s)"), lines
    assert on_disk(project)["dataset/places/bishkek.yaml"] == hashlib.sha256(bishkek.read_bytes()).digest()


def test_one_server_per_project(project, server, tmp_path):
    second = subprocess.run([str(EXE), "serve", "-C", str(project)], capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and "another `casd serve` already answers" in second.stderr
    assert served_as_alone(project).returncode == 0  # the first one still answers


def test_a_deep_project_folder_still_gets_a_socket(tmp_path):
    from conftest import make_project

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    project = make_project(deep / "proj")
    assert len(str(project / SERVER_SOCKET)) > 108  # longer than a UNIX socket address may be
    s = Server(project, tmp_path / "serve.log")
    try:
        assert served_as_alone(project).returncode == 0
        assert len(s.answered(wait_for=1)) == 1
    finally:
        s.stop()


# --- in this process: the resident validation itself ------------------------------------------


@pytest.fixture
def resident(project):
    r = Resident(project)
    yield r
    r.close()


def resident_run(r: Resident) -> object:
    """One run as the server makes it: get ready, validate, keep what it checked, write the cache."""
    r.before()
    v = validate(r.project, records=False)
    r.after(True)
    r.settle()
    return v


def same_as_cold(v, project) -> bool:
    return v.issues == validate(project, use_cache=False).issues


def test_a_resident_run_looks_only_at_what_the_kernel_saw_change(project, resident):
    assert same_as_cold(resident_run(resident), project)
    c = resident.cache
    assert c.fresh == set(c.entries) and len(c.fresh) == 15
    fig = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    _edit(fig, "notes: Two seeds count the dead differently.", "notes: Two seeds count the dead in different ways.")
    resident.before()
    assert c.fresh == set(c.entries) - {"dataset/figures/bishkek-raid-killed-4.yaml"}
    assert c.suspect == {"dataset/figures/bishkek-raid-killed-4.yaml"}
    assert c.seeds is not None and c.listed  # no seed changed; no name in a folder changed
    again = validate(project, records=False)
    resident.after(True)
    assert c.reread == 1 and same_as_cold(again, project)
    places = c.listed["dataset/places"]
    (project / "dataset/figures/new-figure.yaml").write_text("id: new-figure\n")
    resident.before()
    assert "new-figure" in [stem for _, stem, _ in c.listed["dataset/figures"][0]] and c.listed["dataset/places"] is places  # only that folder is listed again
    assert c.appeared == {"dataset/figures/new-figure.yaml"} and c.went == set()
    assert same_as_cold(validate(project, records=False), project)
    resident.after(True)
    resident.close()
    assert cache_mod.open_cache(project).held is False  # released


def test_a_folder_listed_again_is_patched_with_the_files_that_came_and_went(project):
    listed: dict[str, Listing] = {}
    record_files(project, listed)
    places, shown = project / "dataset/places", "dataset/places"

    def again() -> tuple[set[str], set[str]] | None:
        moved = relist(project, listed, [shown])
        assert listed[shown][:2] == folder_files("places", os.path.join(project, shown), shown)  # as if listed anew
        return moved

    (places / "aaa.yaml").write_text("id: aaa\n")
    (places / "zzz.yaml").write_text("id: zzz\n")
    (places / "bishkek.yaml").unlink()
    assert again() == ({f"{shown}/aaa.yaml", f"{shown}/zzz.yaml"}, {f"{shown}/bishkek.yaml"})
    assert again() == (set(), set())
    (places / ".aaa.yaml.swp").write_text("")  # a hidden file: its issue
    (places / "kyrgyzstan.yaml").unlink()
    assert again() == (set(), {f"{shown}/kyrgyzstan.yaml"}) and listed[shown].misplaced
    (places / ".aaa.yaml.swp").unlink()
    (places / "mmm.yaml").write_text("id: mmm\n")
    assert again() == ({f"{shown}/mmm.yaml"}, set()) and not listed[shown].misplaced
    (places / "Bad Name.yaml").write_text("id: x\n")
    assert again() == (set(), set()) and listed[shown].misplaced


def test_a_folder_whose_names_the_kernel_saw_come_and_go_is_not_listed_again(project, resident, monkeypatch):
    resident_run(resident)
    c, places, shown = resident.cache, project / "dataset/places", "dataset/places"
    bishkek = (places / "bishkek.yaml").read_text()

    def swap(path: Path, text: str) -> None:  # an editor's save: a new file renamed over the record
        temp = path.with_name(f".{path.name}.swp")
        temp.write_text(text)
        os.replace(temp, path)

    steps = [
        lambda: (places / "osh.yaml").write_text("id: osh\nname: Osh\nkind: city\ncountry: KGZ\n"),
        lambda: (places / "bishkek.yaml").unlink(),
        lambda: ((places / "bishkek.yaml").write_text(bishkek), (places / "osh.yaml").unlink(), (places / "osh.yaml").write_text("id: osh\n")),
        lambda: swap(places / "osh.yaml", "id: osh\nname: Osh\n"),
        lambda: (places / "notes.txt").write_text("a stray file\n"),  # a misplaced name: the listing is made anew, from the names
        lambda: ((places / "notes.txt").unlink(), (places / "osh.yaml").unlink()),
    ]
    real, listings = os.listdir, []
    for n, act in enumerate(steps):
        act()
        listings.clear()
        monkeypatch.setattr(os, "listdir", lambda path=".": listings.append(str(path)) or real(path))
        resident.before()
        monkeypatch.undo()
        assert not [path for path in listings if path.endswith(shown)], n
        assert c.listed[shown][:2] == folder_files("places", os.path.join(project, shown), shown), n
        v = validate(project, records=False)
        resident.after(True)
        assert everything(v) == everything(validate(project, use_cache=False)), n


def everything(v) -> tuple[object, ...]:
    """All a validation found: its issues, each table's ids in order with their typed records, the anchors."""
    tables = {table: [(rid, item.record) for rid, item in rows.items()] for table, rows in v.dataset.tables.items()}
    return v.issues, tables, dict(v.anchors.records)


def test_a_run_after_a_few_edits_patches_the_last_one_and_equals_a_cold_run(project, resident):
    c = resident.cache
    resident_run(resident)
    events, figures, places = project / "dataset/events", project / "dataset/figures", project / "dataset/places"
    raid, fig, source = events / "bishkek-raid-2015-07-16.yaml", figures / "bishkek-raid-killed-4.yaml", project / "dataset/sources/kyrgyz-officials-foil-attacks.yaml"
    bishkek = (places / "bishkek.yaml").read_text()
    big = "#" + "x" * MAX_RECORD_BYTES + "\n"

    def by_rename(path: Path, old: str, new: str) -> None:  # an editor's save: a new file renamed over the record
        temp = path.with_name(f".{path.name}.swp")
        temp.write_text(path.read_text().replace(old, new))
        os.replace(temp, path)

    steps = [  # (what is done, the file it touches, whether the run patches the last one to the end)
        (lambda: _edit(fig, "notes: Two seeds count the dead differently.", "notes: Two seeds differ."), fig, True),  # text only
        (lambda: _edit(fig, "notes: Two seeds differ.", "notes: '=1+1'"), fig, True),  # what a local rule faults
        (lambda: _edit(fig, "notes: '=1+1'", "notes: Two seeds differ."), fig, True),
        (lambda: _edit(raid, "quote: the July 16 raid", "quote: the July 17 raid"), raid, True),  # a quote that no longer anchors
        (lambda: _edit(fig, 'value: "4"', "value: [4]"), fig, True),  # a typing error
        (lambda: _edit(fig, "value: [4]", 'value: "4"'), fig, True),
        (lambda: _edit(fig, "subject_id: bishkek-raid-2015-07-16", "subject_id: nowhere"), fig, True),  # a reference that dangles
        (lambda: _edit(fig, "subject_id: nowhere", "subject_id: bishkek-raid-2015-07-16"), fig, True),
        (lambda: _edit(raid, "title: Security forces raid", big + "title: Security forces raid"), raid, True),  # unreadable: too large
        (lambda: _edit(fig, "notes: Two seeds differ.", "notes: Two seeds count the dead differently."), fig, True),  # ... and still read on every run
        (lambda: _edit(raid, big, ""), raid, True),  # readable again: back in its place in id order
        (lambda: _edit(raid, "quote: the July 17 raid", "quote: the July 16 raid"), raid, True),
        (lambda: by_rename(fig, "rank: preferred", "rank: alternative"), fig, True),  # saved by renaming a new file over it
        (lambda: (places / "bishkek.yaml").unlink(), places / "bishkek.yaml", True),  # a file removed: the references to it dangle
        (lambda: (places / "osh.yaml").write_text("id: osh\nname: Osh\nkind: city\ncountry: KGZ\n"), places / "osh.yaml", True),  # one added
        (lambda: (places / "bishkek.yaml").write_text(bishkek), places / "bishkek.yaml", True),  # back, in its place in id order
        (lambda: fig.rename(figures / "bishkek-raid-killed-four.yaml"), fig, True),  # renamed: its id no longer its name
        (lambda: (figures / "bishkek-raid-killed-four.yaml").rename(fig), fig, True),
        (lambda: _edit(source, "title:", "title: A"), source, False),  # a source: the seeds are read again, every record anchored again
    ]
    for act, path, patched in steps:
        act()
        resident.before()
        assert c.patch is not None  # no seed changed: it patches the last run's results
        v = validate(project, records=False)
        assert path.relative_to(project).as_posix() in c.todo and c.patching is patched
        resident.after(True)
        assert everything(v) == everything(validate(project, use_cache=False)), (path.name, c.todo)


def test_the_rules_across_records_find_again_around_the_records_changed(released):
    """The ledger's edits, each answered by a resident run equal to a run without any cache; the
    rules across records ran on every record only around a symbolic link (the cache keeps no
    entry for it), and the graph carried from run to run is the graph of the dataset."""
    project = released
    r = Resident(project)
    try:
        resident_run(r)
        found, by, carried = set(), [], []
        for n, (act, _) in enumerate(edits(project, whole=lambda: None)):
            act()
            v = resident_run(r)
            assert everything(v) == everything(validate(project, use_cache=False)), n
            found.update(i.code for i in v.issues)
            by.append(r.cache.across_by)
            held = r.cache.last.graph  # type: ignore[union-attr]
            if held is not None:
                if all(g is not held for g in carried):
                    carried.append(held)  # (kept alive: ids are not reused)
                assert referred(held) == referred(Held(v.dataset, layout())), n
    finally:
        r.close()
    assert FOUND <= found
    assert [n for n, how in enumerate(by) if how == "every"] == [50, 51], by  # (the link made, then a file again)
    assert by.count("near") > 30
    assert len(carried) == 3  # made after the first run, then carried; made again after the link is gone (no run with a link carries it) and after the source changed (a run that patches nothing)


def test_too_many_files_changed_or_too_large_a_neighbourhood_run_the_rules_on_every_record(project, resident, monkeypatch):
    resident_run(resident)
    raid = project / "dataset/events/bishkek-raid-2015-07-16.yaml"
    fig = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    for limit, value in ((checks, "PATCH_MAX"), (graph_mod, "NEAR_LIMIT")):
        monkeypatch.setattr(limit, value, 0)
        _edit(raid, "relation: related", "relation: part-of")  # a fact a rule across records compares
        assert same_as_cold(resident_run(resident), project) and resident.cache.across_by == "every"
        monkeypatch.undo()
        _edit(raid, "relation: part-of", "relation: related")
        assert same_as_cold(resident_run(resident), project) and resident.cache.across_by == "near"
    monkeypatch.setattr(graph_mod, "NEAR_LIMIT", 0)
    fig.write_text("# a comment\n" + fig.read_text())  # text only: nothing they read changed
    assert same_as_cold(resident_run(resident), project) and resident.cache.across_by == "kept"


def referred(graph: Held) -> dict[object, list[object]]:
    return {key: sorted(keys) for key, keys in graph.into.items() if keys}


def test_a_save_by_renaming_keeps_the_folders_listing(project, resident):
    resident_run(resident)
    c = resident.cache
    listing = c.listed["dataset/places"]
    path = project / "dataset/places/bishkek.yaml"
    temp = path.with_name(".bishkek.yaml.swp")  # an editor's save: a new file renamed over the record
    temp.write_text(path.read_text().replace("kind: city", "kind: citty"))
    os.replace(temp, path)
    resident.before()
    assert c.listed["dataset/places"].files is listing.files and c.appeared == c.went == set()  # the same names: not sorted and checked again
    v = validate(project, records=False)
    resident.after(True)
    assert everything(v) == everything(validate(project, use_cache=False))


def test_a_run_asked_for_and_never_made_leaves_no_file_unseen(project, resident):
    resident_run(resident)
    (project / "dataset/places/osh.yaml").write_text("id: osh\nname: Osh\nkind: city\ncountry: KGZ\n")
    resident.before()  # ... and no run (the server refuses a client whose folder is gone)
    _edit(project / "dataset/places/bishkek.yaml", "kind: city", "kind: citty")
    v = resident_run(resident)
    assert everything(v) == everything(validate(project, use_cache=False))


def on_disk(project: Path) -> dict[str, bytes]:
    """The entries the cache's shards hold on disk: the sha256 of each file's content, by path."""
    found: dict[str, bytes] = {}
    for shard in (project / CACHE_DIR / cache_mod.FOLDER).glob("[0-9]*.pickle"):
        found |= {shown: entry.sha256 for shown, entry in cache_mod._payload(shard.read_bytes())["entries"].items()}
    return found


def test_the_shards_a_held_cache_writes_hold_its_entries(project, resident):
    c = resident.cache
    places, seed = project / "dataset/places", project / "seeds/004_88b129c3640cead4.txt"
    edits = [
        lambda: None,
        lambda: (places / "osh.yaml").write_text("id: osh\nname: Osh\nkind: city\ncountry: KGZ\n"),  # a file added
        lambda: _edit(places / "bishkek.yaml", "kind: city", "kind: citty"),  # one changed
        lambda: (places / "osh.yaml").unlink(),  # one removed
        lambda: (places / "osh.yaml").write_text("id: osh\nname: Osh\nkind: city\ncountry: KGZ\n"),
        lambda: ((places / "osh.yaml").unlink(), seed.write_bytes(seed.read_bytes() + b"\n")),  # removed while a seed changed: a run over every file
    ]
    for edit in edits:
        edit()
        resident_run(resident)
        assert on_disk(project) == {shown: entry.sha256 for shown, entry in c.entries.items()}
        assert set(c.entries) == {p.relative_to(project).as_posix() for p in (project / "dataset").glob("*/*.yaml")}


def test_the_cache_is_written_when_the_server_settles_and_only_after_a_run_that_ended_well(project, resident):
    resident_run(resident)
    bishkek = project / "dataset/places/bishkek.yaml"
    for old, new, ok in (("kind: city", "kind: citty", True), ("kind: citty", "kind: cityy", False), ("kind: cityy", "kind: city", True)):
        before = on_disk(project)["dataset/places/bishkek.yaml"]
        _edit(bishkek, old, new)
        resident.before()
        validate(project, records=False)
        resident.after(ok)
        assert on_disk(project)["dataset/places/bishkek.yaml"] == before and resident.unsettled == 1  # answered: not written yet
        resident.settle()
        now = hashlib.sha256(bishkek.read_bytes()).digest()
        assert (on_disk(project)["dataset/places/bishkek.yaml"] == now) is ok and resident.unsettled == 0  # a run that failed vouches for nothing
    assert on_disk(project) == {shown: entry.sha256 for shown, entry in resident.cache.entries.items()}


def test_a_resident_cache_goes_stale_when_casd_changes(resident, monkeypatch):
    monkeypatch.setattr("casd.codekey.compute", lambda package: "another casd")
    with pytest.raises(Stale):
        resident.before()


def test_a_lost_event_queue_makes_every_file_looked_at(resident):
    resident_run(resident)
    w = resident.watcher
    assert w is not None
    overflow = watch._EVENT.pack(-1, watch.IN_Q_OVERFLOW, 0, 0)  # what the kernel writes when its queue overflowed
    assert watch.parse(overflow) == [(-1, watch.IN_Q_OVERFLOW, "")]
    real = w._drain
    w._drain = lambda: overflow  # type: ignore[method-assign]
    resident.before()
    w._drain = real  # type: ignore[method-assign]
    assert resident.cache.fresh == set() and resident.cache.listed == {} and resident.cache.seeds is None


def test_a_server_without_inotify_takes_every_status(project, monkeypatch):
    monkeypatch.setattr("casd.curate.resident.watcher", lambda project: None)
    r = Resident(project)
    try:
        for old, new in (("kind: city", "kind: citty"), ("kind: citty", "kind: city")):
            r.before()
            assert r.cache.fresh == set()
            _edit(project / "dataset/places/bishkek.yaml", old, new)
            assert same_as_cold(validate(project, records=False), project)
            r.after(True)
    finally:
        r.close()


def test_a_table_folder_linked_in_is_watched_through_its_link(project, tmp_path):
    outside = tmp_path / "places-elsewhere"
    shutil.move(project / "dataset/places", outside)
    (project / "dataset/places").symlink_to(outside, target_is_directory=True)
    r = Resident(project)
    try:
        resident_run(r)
        _edit(outside / "bishkek.yaml", "kind: city", "kind: citty")  # edited where it really is
        r.before()
        assert "dataset/places/bishkek.yaml" not in r.cache.fresh
        assert same_as_cold(validate(project, records=False), project)
        r.after(True)
        (project / "dataset/places").unlink()  # the link itself replaced: nothing is vouched for
        shutil.copytree(outside, project / "dataset/places")
        r.before()
        assert r.cache.fresh == set() and r.cache.listed == {}
    finally:
        r.close()


def test_a_table_folder_made_unreadable_is_seen(project, resident):
    resident_run(resident)
    places = project / "dataset/places"
    places.chmod(0o000)  # an event on the folder itself: nothing in it is vouched for
    try:
        resident.before()
        assert resident.cache.fresh == set() and resident.cache.listed == {}
    finally:
        places.chmod(0o755)
