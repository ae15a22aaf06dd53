"""`casd fmt`: one canonical style; it never changes a value, is idempotent, and never drops a comment."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casd.curate.fmt import FormatRefused, canonical
from casd.curate.yamlio import parse
from casd.model.records import TABLES, Event
from conftest import ROOT, cli, ok

RECORDS = sorted(p for p in (ROOT / "dataset").glob("*/*.yaml") if p.parent.name in TABLES)


def test_every_real_record_keeps_its_values_and_formats_idempotently():
    for path in RECORDS:
        text = path.read_text(encoding="utf-8")
        out = canonical(text, TABLES[path.parent.name], path.name)
        assert parse(out)[0].data == parse(text)[0].data, path
        assert canonical(out, TABLES[path.parent.name]) == out, path


# text of every kind a curator might type: YAML-special words, numbers, dates, quotes, colons, hashes
WORDS = ["NO", "yes", "~", "null", "1.10", "0755", "2015", "2015-07-16", "1e3", ".inf", "@x", "-x", "a: b", "a #b", "'q'", '"q"', "x:"]
TRICKY = st.sampled_from(WORDS + ["[a]", "{a}", "%x", "*a", "&a", "!t", "|", ">"])
TEXT = st.one_of(TRICKY, st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufeff"), min_size=1, max_size=140))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TEXT, summary=TEXT, notes=TEXT, aliases=st.lists(TEXT, max_size=4))
def test_fmt_never_changes_a_value_and_is_idempotent(title, summary, notes, aliases):
    data = {"id": "x", "title": title, "summary": summary, "kind": "summit", "notes": notes, "evidence": [{"source": "s", "quote": summary, "fields": aliases or ["title"]}]}
    import yaml

    text = yaml.safe_dump(data, allow_unicode=True)
    doc, issues = parse(text)
    if issues:  # PyYAML wrote something casd's strict reader refuses (e.g. an empty string): not a record
        return
    out = canonical(text, Event)
    again, problems = parse(out)
    assert not problems and again.data == doc.data
    assert canonical(out, Event) == out


def test_a_file_with_a_comment_is_refused_not_stripped():
    text = "id: x  # the id\ntitle: 'a # not a comment'\n"
    try:
        canonical(text, Event, "x.yaml")
    except FormatRefused as e:
        assert "x.yaml:1: has a comment, which casd fmt would lose" in str(e)
    else:
        raise AssertionError("a comment was not detected")
    assert canonical("id: x\ntitle: 'a # not a comment'\n", Event) == "id: x\ntitle: 'a # not a comment'\n"


def test_fmt_check_prints_the_diff_and_fmt_rewrites(project):
    path = project / "dataset/events/csto-summit-2014-12-23.yaml"
    path.write_text("kind: summit\n" + path.read_text().replace("kind: summit\n", ""))
    r = cli("fmt", "--check", "-C", str(project))
    assert r.exit_code == 1 and "-kind: summit" in r.stdout and "would reformat" in r.stderr
    ok(cli("fmt", "-C", str(project)))
    assert path.read_text().startswith("id: csto-summit-2014-12-23\ntitle: CSTO summit\nkind: summit\n")
    assert ok(cli("fmt", "--check", "-C", str(project))).stdout == ""
    ok(cli("validate", "-C", str(project)))
    path.write_text(path.read_text() + "# a comment\n")
    r = cli("fmt", "-C", str(project))
    assert r.exit_code == 1 and "has a comment, which casd fmt would lose" in r.stderr
