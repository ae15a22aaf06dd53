"""`casd validate` through the real entry point: every error at once, located."""

import json

from conftest import run_casd


def test_minimal_project_is_valid(project):
    r = run_casd("validate", "-C", str(project))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok: 15 record file(s) valid" in r.stderr


def _write(project, rel, text):
    path = project / rel
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_records_are_all_reported_at_file_line_col(project):
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text(ev.read_text().replace("kind: summit", "kind: picnic").replace("role: speaker", "role: speaker\n    extra: 1"))
    _write(
        project,
        "dataset/places/nowhere.yaml",
        "id: nowhere\nname: Nowhere\nkind: town\ncountry: XYZ\nevidence:\n  - source: rferl-putin-preventive-measures\n    quote: x\n",
    )
    _write(
        project,
        "dataset/places/atlantis.yaml",
        "id: atlantis\nname: Atlantis\nkind: town\nparent_id: mu\nevidence:\n  - source: rferl-putin-preventive-measures\n    quote: not in the seed at all\n",
    )
    r = run_casd("validate", "-C", str(project))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert "dataset/events/csto-summit-2014-12-23.yaml:3:7: invalid-value: kind: Input should be" in "\n".join(lines)
    assert any(l.startswith("dataset/events/csto-summit-2014-12-23.yaml:11:5: unknown-field: unknown field 'participants.1.extra'") for l in lines)
    assert any(l.startswith("dataset/places/nowhere.yaml:4:10: invalid-value: country:") for l in lines)
    assert "dataset/places/atlantis.yaml:4:12: dangling-reference: parent_id: no places record 'mu'" in lines
    assert any(l.startswith("dataset/places/atlantis.yaml:7:12: quote-not-found:") for l in lines)
    assert "4 problem(s)" not in r.stderr and "5 problem(s)" in r.stderr


def test_paths_filter_and_json_and_github_formats(project):
    _write(project, "dataset/places/bad.yaml", "id: other\nname: X\nkind: town\nevidence:\n  - source: nope\n    quote: x\n")
    r = run_casd("validate", "-C", str(project), "--format", "json")
    found = json.loads(r.stdout)
    assert {(i["path"], i["code"], i["line"]) for i in found} == {
        ("dataset/places/bad.yaml", "id-mismatch", 1),
        ("dataset/places/bad.yaml", "dangling-reference", 5),
    }
    r = run_casd("validate", "-C", str(project), "--format", "github")
    assert "::error file=dataset/places/bad.yaml,line=1,col=5,title=id-mismatch::" in r.stdout
    r = run_casd("validate", str(project / "dataset/events"), "-C", str(project))
    assert r.returncode == 0 and r.stdout == ""


def test_yaml_pitfalls_reach_the_curator_with_positions(project):
    _write(project, "dataset/actors/norway.yaml", "id: norway\nname: Norway\nkind: state\ncountry: NO\nevidence:\n  - source: x\n    quote: y\n    quote: z\n")
    r = run_casd("validate", "-C", str(project))
    assert "dataset/actors/norway.yaml:8:5: yaml-duplicate-key: duplicate key 'quote' (first at line 7)" in r.stdout


def test_cross_record_rules(project):
    fig = project / "dataset/figures/bishkek-raid-killed-4-total.yaml"
    fig.write_text(fig.read_text().replace("alternatives: [bishkek-raid-killed-4]\n", "rank: preferred\nalternatives: [bishkek-raid-killed-4]\n"))
    seed = project / "seeds/004_88b129c3640cead4.txt"
    seed.write_bytes(seed.read_bytes() + b"\n")
    st = project / "dataset/statements/putin-csto-preventive-measures.yaml"
    st.write_text(st.read_text().replace("quote: Under these conditions", "quote: Under those conditions"))
    r = run_casd("validate", "-C", str(project))
    out = r.stdout
    assert "both preferred" in out
    assert "source-hash-mismatch" in out
    assert "dataset/statements/putin-csto-preventive-measures.yaml:3:8: statement-quote-unsupported" in out


def test_uncertain_date_needs_reasoning(project):
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text("\n".join(l for l in ev.read_text().splitlines() if not l.startswith("date_note")) + "\n")
    r = run_casd("validate", "-C", str(project))
    assert "csto-summit-2014-12-23.yaml:4:7: rule-violation: date '2014-12-23?' is uncertain" in r.stdout


def test_help_lists_every_command():
    r = run_casd("--help")
    assert r.returncode == 0
    for cmd in ("validate", "build", "schema"):
        assert cmd in r.stdout


def test_dates_must_agree_with_setting_and_whole(project):
    st = project / "dataset/statements/putin-csto-preventive-measures.yaml"
    st.write_text(st.read_text().replace("date: 2014-12-23?", "date: 2015-01"))
    ev = project / "dataset/events/bishkek-raid-2015-07-16.yaml"
    ev.write_text(ev.read_text().replace("relation: related", "relation: part-of"))
    out = run_casd("validate", "-C", str(project)).stdout
    assert "putin-csto-preventive-measures.yaml:5:7: rule-violation: date '2015-01' lies outside its setting 'csto-summit-2014-12-23'" in out
    assert "bishkek-raid-2015-07-16.yaml:4:7: rule-violation: date '2015-07-16' lies outside 'csto-summit-2014-12-23'" in out


def test_runs_from_inside_the_project(project):
    r = run_casd("validate", cwd=project / "dataset" / "events")
    assert r.returncode == 0 and "ok: 15 record file(s) valid" in r.stderr
