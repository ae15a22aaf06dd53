"""Nothing lost, nothing torn trusted: durable writes, real SIGKILLs at every kind of point, and two
writers at once. The kill and concurrency tests are slow (subprocesses): ``pytest -m slow``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import cli, ok
from crash_harness import count_ops, run


def test_every_rename_follows_an_fsync_of_the_file_and_precedes_an_fsync_of_its_folder(built, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append(("rename", str(Path(src).resolve()), str(Path(dst).resolve())))  # type: ignore[arg-type]
        real_replace(src, dst)

    def rename(src: str, dst: str) -> None:
        events.append(("rename", str(Path(src).resolve()), str(Path(dst).resolve())))  # type: ignore[arg-type]
        real_rename(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)
    edit = built / "dataset/events/csto-summit-2014-12-23.yaml"
    edit.write_text(edit.read_text().replace("title: CSTO summit", "title: CSTO summit in Moscow"))
    ok(cli("build", "-C", str(built)))
    ok(cli("release", "-C", str(built)))
    renames = [(i, e) for i, e in enumerate(events) if e[0] == "rename"]
    assert len(renames) >= 8  # the build, the archive, the release folder, the index, the follow-up files
    for i, (_, src, dst) in renames:
        synced = {e[1] for e in events[:i] if e[0] == "fsync"}
        if Path(dst).is_dir():  # a folder: each of its files was synced, and the folder itself
            files = [str(p) for p in Path(dst).rglob("*") if p.is_file()]
            assert all(f.replace(dst, src, 1) in synced for f in files), dst
            assert src in synced, src
        else:
            assert src in synced, f"{src} renamed to {dst} before it was fsynced"
        later = {e[1] for e in events[i + 1 :] if e[0] == "fsync"}
        assert str(Path(dst).parent) in later, f"the folder of {dst} was not fsynced after the rename"


def consistent(project: Path) -> list[str]:
    """What is wrong with a project after a command: verify, the build check, follow-up files."""
    problems = []
    r = cli("verify", "-C", str(project))
    if r.exit_code:
        problems.append("verify: " + r.stdout + r.stderr)
    r = cli("build", "--check", "-C", str(project))
    if r.exit_code:
        problems.append("build --check: " + r.stdout + r.stderr)
    entries = json.loads((project / "build/releases/index.json").read_text())["releases"]
    latest = entries[-1]["version"]
    if (project / "src/casd/_version.py").read_text() != f'__version__ = "{latest}"\n':
        problems.append("_version.py: " + (project / "src/casd/_version.py").read_text())
    if f"## {latest}\n" not in (project / "CHANGELOG.md").read_text():
        problems.append(f"CHANGELOG.md lacks {latest}")
    if f'version: "{latest}"' not in (project / "CITATION.cff").read_text():
        problems.append("CITATION.cff is not at the latest release")
    return problems


def kill_points(total: int, most: int) -> list[int]:
    """Up to ``most`` kill points spread over 1..total, the first and last always included."""
    step = max(1, total // most)
    return sorted({*range(1, total + 1, step), total})


@pytest.mark.slow
@pytest.mark.parametrize("command,most", [("build", 25), ("release", 45)])
def test_killed_at_many_points_the_next_command_leaves_a_consistent_verified_state(released, tmp_path, command, most):
    template = tmp_path / "template"
    shutil.copytree(released, template)
    edit = template / "dataset/events/csto-summit-2014-12-23.yaml"
    edit.write_text(edit.read_text().replace("title: CSTO summit", "title: CSTO summit in Moscow"))
    probe = tmp_path / "probe"
    shutil.copytree(template, probe)
    total = count_ops(probe, [command])
    points = kill_points(total, most)
    outcomes = []
    for n in points:
        proj = tmp_path / f"kill-{n}"
        shutil.copytree(template, proj)
        r = run(proj, [command], n)
        assert r.returncode == -9, (n, r.stderr)  # it really died there
        again = cli(command, "-C", str(proj))  # the next command repairs or finishes
        assert again.exit_code in (0, 2), (n, again.stderr)  # 2: "nothing changed" after a committed release
        assert "Traceback" not in again.stderr
        outcomes.append((n, consistent(proj)))
        shutil.rmtree(proj)
    broken = [(n, p) for n, p in outcomes if p]
    print(f"\n{command}: {total} file-system changes, {len(points)} kill points, {len(points) - len(broken)} ended consistent")
    assert not broken, broken[:3]


@pytest.mark.slow
def test_two_writers_at_once_are_serialised(released):
    edit = released / "dataset/events/csto-summit-2014-12-23.yaml"
    edit.write_text(edit.read_text().replace("title: CSTO summit", "title: CSTO summit in Moscow"))
    exe = Path(sys.executable).parent / "casd"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cmds = [[str(exe), "release", "patch", "-C", str(released)], [str(exe), "release", "minor", "-C", str(released)], [str(exe), "build", "-C", str(released)]]
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for c in cmds]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = [code for code, _, _ in results]
    assert all("Traceback" not in err for _, _, err in results), results
    released_lines = [err for code, _, err in results[:2] if code == 0 and "released" in err]
    assert len(released_lines) == 1, results  # one release wins; the other finds nothing left to release
    assert sorted(codes[:2]) == [0, 2] and codes[2] == 0, results
    assert [e["version"] for e in json.loads((released / "build/releases/index.json").read_text())["releases"]][0] == "0.1.0"
    assert consistent(released) == []
