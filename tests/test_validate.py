"""`casd validate` through the real entry point: every error at once, located."""

import json

from conftest import cli


def test_minimal_project_is_valid(project):
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 0, r.stdout + r.stderr
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
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert any(line.startswith("dataset/events/csto-summit-2014-12-23.yaml:3:7: invalid-value: kind: 'picnic' is not an allowed value (") for line in lines)
    assert any(line.startswith("dataset/events/csto-summit-2014-12-23.yaml:11:5: unknown-field: unknown field 'participants.1.extra'") for line in lines)
    assert any(line.startswith("dataset/places/nowhere.yaml:4:10: invalid-value: country:") for line in lines)
    assert "dataset/places/atlantis.yaml:4:12: dangling-reference: parent_id: no places record 'mu'" in lines
    assert any(line.startswith("dataset/places/atlantis.yaml:7:12: quote-not-found:") for line in lines)
    assert "4 problem(s)" not in r.stderr and "5 problem(s)" in r.stderr


def test_paths_filter_and_json_and_github_formats(project):
    _write(project, "dataset/places/bad.yaml", "id: other\nname: X\nkind: town\nevidence:\n  - source: nope\n    quote: x\n")
    r = cli("validate", "-C", str(project), "--format", "json")
    found = json.loads(r.stdout)
    assert {(i["path"], i["code"], i["line"]) for i in found} == {
        ("dataset/places/bad.yaml", "id-mismatch", 1),
        ("dataset/places/bad.yaml", "dangling-reference", 5),
    }
    r = cli("validate", "-C", str(project), "--format", "github")
    assert "::error file=dataset/places/bad.yaml,line=1,col=5,title=id-mismatch::" in r.stdout
    r = cli("validate", str(project / "dataset/events"), "-C", str(project))
    # a filter narrows what is printed, never the verdict
    assert r.exit_code == 1 and r.stdout == ""
    assert "2 of them outside the given paths" in r.stderr
    r = cli("validate", str(project / "dataset/places"), "-C", str(project))
    assert r.exit_code == 1 and r.stdout.count("dataset/places/bad.yaml") == 2


def test_yaml_pitfalls_reach_the_curator_with_positions(project):
    _write(project, "dataset/actors/norway.yaml", "id: norway\nname: Norway\nkind: state\ncountry: NO\nevidence:\n  - source: x\n    quote: y\n    quote: z\n")
    r = cli("validate", "-C", str(project))
    assert "dataset/actors/norway.yaml:8:5: yaml-duplicate-key: duplicate key 'quote' (first at line 7)" in r.stdout


def test_cross_record_rules(project):
    fig = project / "dataset/figures/bishkek-raid-killed-4-total.yaml"
    fig.write_text(fig.read_text().replace("alternatives: [bishkek-raid-killed-4]\n", "rank: preferred\nalternatives: [bishkek-raid-killed-4]\n"))
    seed = project / "seeds/004_88b129c3640cead4.txt"
    seed.write_bytes(seed.read_bytes() + b"\n")
    st = project / "dataset/statements/putin-csto-preventive-measures.yaml"
    st.write_text(st.read_text().replace("quote: Under these conditions", "quote: Under those conditions"))
    r = cli("validate", "-C", str(project))
    out = r.stdout
    assert "both preferred" in out
    assert "source-hash-mismatch" in out
    assert "dataset/statements/putin-csto-preventive-measures.yaml:3:8: statement-quote-unsupported" in out


def test_uncertain_date_needs_reasoning(project):
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text("\n".join(line for line in ev.read_text().splitlines() if not line.startswith("date_note")) + "\n")
    r = cli("validate", "-C", str(project))
    assert "csto-summit-2014-12-23.yaml:4:7: date-note-missing: date '2014-12-23?' is uncertain or has no year: give the reasoning in date_note" in r.stdout


def test_dates_must_agree_with_setting_and_whole(project):
    st = project / "dataset/statements/putin-csto-preventive-measures.yaml"
    st.write_text(st.read_text().replace("date: 2014-12-23?", "date: 2015-01"))
    ev = project / "dataset/events/bishkek-raid-2015-07-16.yaml"
    ev.write_text(ev.read_text().replace("relation: related", "relation: part-of"))
    out = cli("validate", "-C", str(project)).stdout
    assert "putin-csto-preventive-measures.yaml:5:7: date-outside-context: date '2015-01' lies outside 'csto-summit-2014-12-23' ('2014-12-23?'), its setting" in out
    assert "bishkek-raid-2015-07-16.yaml:4:7: date-outside-context: date '2015-07-16' lies outside 'csto-summit-2014-12-23' ('2014-12-23?'), which it is part of" in out


def test_runs_from_inside_the_project(project):
    r = cli("validate", cwd=project / "dataset" / "events")
    assert r.exit_code == 0 and "ok: 15 record file(s) valid" in r.stderr


def test_an_approximate_and_uncertain_date_needs_reasoning_too(project):
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    text = "\n".join(line for line in ev.read_text().splitlines() if not line.startswith("date_note")) + "\n"
    ev.write_text(text.replace("date: 2014-12-23?", "date: 2014-12-23%"))
    out = cli("validate", "-C", str(project)).stdout
    assert "csto-summit-2014-12-23.yaml:4:7: date-note-missing: date '2014-12-23%'" in out


def test_nested_uncertain_dates_need_a_note(project):
    base = project / "dataset/bases/kant-air-base.yaml"
    text = base.read_text()
    assert "operators:" in text
    base.write_text(text.replace('    since: "2003"\n', "    since: 2003?\n", 1))
    out = cli("validate", "-C", str(project)).stdout
    assert "kant-air-base.yaml" in out and "date-note-missing: operators.0.since '2003?' is uncertain or has no year: give the reasoning in operators.0.note" in out


def test_claims_are_typed_by_their_field(project):
    fig = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    claim = (
        "claims:\n  - field: value\n    value: \"4\"\n    rank: preferred\n    evidence:\n"
        "      - source: foreign-intrigue-kyrgyz-raids-askarov\n        quote: Four militants were reported killed in Bishkek\n"
    )
    fig.write_text(fig.read_text() + claim)
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 0, r.stdout  # '4' and 4.0 are the same number: no false mismatch
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text(
        ev.read_text()
        + "claims:\n  - field: date\n    value: the thirty-second of Smarch\n    evidence:\n"
        + "      - source: rferl-putin-preventive-measures\n        quote: Speaking at a December 23 summit\n"
        + "  - field: kind\n    value: picnic\n    evidence:\n"
        + "      - source: rferl-putin-preventive-measures\n        quote: Speaking at a December 23 summit\n"
        + "  - field: participants\n    value: x\n    evidence:\n"
        + "      - source: rferl-putin-preventive-measures\n        quote: Speaking at a December 23 summit\n"
    )
    out = cli("validate", "-C", str(project)).stdout
    assert "csto-summit-2014-12-23.yaml:17:12: claim-value-invalid: claim value 'the thirty-second of Smarch' is not a valid date" in out
    assert "csto-summit-2014-12-23.yaml:22:12: claim-value-invalid: claim value 'picnic' is not a valid kind" in out
    assert "csto-summit-2014-12-23.yaml:26:12: claim-field-unknown: claim field 'participants' is not a claimable field of events" in out


def test_preferred_claim_must_fill_its_field(project):
    fig = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    fig.write_text(
        fig.read_text()
        + "claims:\n  - field: value\n    value: \"5\"\n    rank: preferred\n    evidence:\n"
        + "      - source: foreign-intrigue-kyrgyz-raids-askarov\n        quote: Four militants were reported killed in Bishkek\n"
    )
    out = cli("validate", "-C", str(project)).stdout
    assert "claim-preferred-mismatch: the preferred claim '5' must fill 'value' (which is 4.0)" in out


def test_a_seed_that_is_not_utf8_is_a_located_issue_not_a_traceback(project):
    seed = project / "seeds/004_88b129c3640cead4.txt"
    seed.write_bytes(b"\xff\xfe broken" + seed.read_bytes())
    r = cli("validate", "-C", str(project))
    assert r.exit_code == 1 and r.exception is None or isinstance(r.exception, SystemExit)
    assert "kyrgyz-officials-foil-attacks.yaml" in r.stdout
    assert "source-unreadable: source file 'seeds/004_88b129c3640cead4.txt' cannot be read as UTF-8 text" in r.stdout
    assert "source-hash-mismatch" in r.stdout  # not lost


def test_outside_a_project_is_an_environment_error(tmp_path):
    for command in ("validate", "build", "coverage", "versions", "schema"):
        r = cli(command, cwd=tmp_path)
        assert r.exit_code == 2, (command, r.stdout, r.stderr)
        assert "not a casd project: no dataset/package.yaml" in r.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_every_rule_code_is_emitted_and_documented():
    from casd.curate.checks import RULES
    from casd.curate.issues import CODES

    codes = {c for r in RULES for c in r.codes}
    assert codes <= set(CODES)
    assert "rule-violation" not in CODES  # one code per rule, no catch-all
    assert all(r.doc for r in RULES)


def test_warnings_do_not_fail_and_are_github_warnings():
    from casd.curate.issues import errors, issue, render

    w = issue("coverage-ignore-stale", "dataset/coverage/x.yaml", 3, 5, kind="name", text="Atlantis")
    assert w.severity == "warning" and errors([w]) == []
    assert render([w], "github").startswith("::warning file=dataset/coverage/x.yaml,line=3,col=5,title=coverage-ignore-stale::")
    assert "coverage-ignore-stale (warning):" in render([w], "text")
