"""`casd tag`: a git tag only where git's tree holds the release exactly as published."""

from __future__ import annotations

import subprocess

from conftest import cli, ok


def git(project, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=project, capture_output=True, text=True, check=True).stdout.strip()


def test_tags_each_release_at_the_first_commit_that_holds_it(released):
    assert ok(cli("tag", "-C", str(released))).stdout.strip() == "not a git checkout: nothing to tag"
    git(released, "init", "-q")
    git(released, "add", "-A")
    git(released, "commit", "-qm", "0.1.0")
    first = git(released, "rev-parse", "HEAD")
    path = released / "dataset/events/csto-summit-2014-12-23.yaml"
    path.write_text(path.read_text().replace("title: CSTO summit", "title: CSTO summit in Moscow"))
    ok(cli("release", "-C", str(released)))
    r = cli("tag", "0.1.1", "-C", str(released))
    assert r.exit_code == 2 and "HEAD does not hold release 0.1.1 exactly as published" in r.stderr
    git(released, "add", "-A")
    git(released, "commit", "-qm", "0.1.1")
    out = ok(cli("tag", "-C", str(released))).stdout
    assert f"v0.1.0: tagged {first[:12]}" in out and "v0.1.1: tagged" in out
    assert git(released, "rev-parse", "v0.1.0^{commit}") == first
    assert "v0.1.0: already tagged" in ok(cli("tag", "-C", str(released))).stdout


def test_load_accepts_a_tag_name(released):
    import casd

    assert casd.load("events", "v0.1.0").equals(casd.load("events", "0.1.0"))
