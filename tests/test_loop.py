"""The curators' editing loop: new -> edit -> validate -> fmt -> show, and stats."""

from __future__ import annotations

import json

from conftest import cli, ok, run_casd

FILLED = """id: osh
name: Osh
kind: city
country: KGZ
parent_id: kyrgyzstan
evidence:
  - source: foreign-intrigue-kyrgyz-raids-askarov
    quote: Osh
    occurrence: 1
"""


def test_new_writes_a_commented_template_that_validate_then_explains(project):
    r = ok(cli("new", "places", "--id", "osh", "-C", str(project)))
    path = project / r.stdout.strip()
    assert path == project / "dataset/places/osh.yaml"
    text = path.read_text()
    assert text.startswith("# A place the sources name") and "kind: <PlaceKind>" in text and "# one of: country, region" in text
    out = cli("validate", "-C", str(project)).stdout
    assert "dataset/places/osh.yaml" in out  # the placeholders are refused until filled in
    assert cli("new", "places", "--id", "osh", "-C", str(project)).exit_code == 2  # never overwrites
    assert "did you mean 'places'" in cli("new", "place", "-C", str(project)).stderr


def test_show_puts_evidence_in_context_and_lists_what_refers_to_the_record(project):
    out = ok(cli("show", "actors/vladimir-putin", "-C", str(project))).stdout
    assert out.startswith("actors/vladimir-putin  (dataset/actors/vladimir-putin.yaml)")
    assert "»" in out and "«" in out
    assert "events/csto-summit-2014-12-23 (participants.1.actor_id)" in out
    data = json.loads(ok(cli("show", "vladimir-putin", "--format", "json", "-C", str(project))).stdout)
    assert data["table"] == "actors" and data["evidence"][0]["quote"] in data["evidence"][0]["before"] + data["evidence"][0]["quote"]
    assert {"table": "statements", "id": "putin-csto-preventive-measures", "field": "speaker_id"} in data["referenced_by"]


def test_show_asks_which_record_when_an_id_is_in_two_tables(project):
    from conftest import ROOT

    r = cli("show", "kyrgyzstan", "-C", str(ROOT))
    assert r.exit_code == 2 and "names 2 records (places/kyrgyzstan, actors/kyrgyzstan" in r.stderr
    assert "did you mean 'vladimir-putin'" in cli("show", "vladimir-puttin", "-C", str(project)).stderr


def test_stats_counts_tables_kinds_dates_sources_and_open_conflicts(project):
    out = ok(cli("stats", "-C", str(project))).stdout
    assert "  events: 2" in out and "dates covered: 2014-12-23 to 2015-07-16" in out
    data = json.loads(ok(cli("stats", "--format", "json", "-C", str(project))).stdout)
    assert data["records"]["figures"] == 2 and data["conflicts"] == {"all": 1, "open": 0, "open_ids": []}  # ranked: one side preferred


def test_the_whole_loop_through_the_installed_entry_point(project):
    r = run_casd("new", "places", "--id", "osh", cwd=project)
    assert r.returncode == 0, r.stderr
    (project / "dataset/places/osh.yaml").write_text(FILLED.replace("name: Osh\n", "name: Osh\nkind: city\n").replace("kind: city\ncountry", "country", 1))
    assert run_casd("validate", cwd=project / "dataset").returncode == 0
    (project / "dataset/places/osh.yaml").write_text("country: KGZ\n" + FILLED.replace("country: KGZ\n", ""))
    assert run_casd("fmt", "--check", cwd=project).returncode == 1
    assert run_casd("fmt", cwd=project).returncode == 0
    assert (project / "dataset/places/osh.yaml").read_text() == FILLED
    shown = run_casd("show", "places/osh", cwd=project)
    assert shown.returncode == 0 and "»Osh«" in shown.stdout
