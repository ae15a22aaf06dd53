"""The strict YAML reader: no silent changes to curated data."""

import pytest

from casd.curate.yamlio import dump, parse


def codes(text):
    doc, issues = parse(text, "x.yaml")
    return [i.code for i in issues]


@pytest.mark.parametrize(
    "text,key,kept",
    [
        ("country: NO\n", "country", "NO"),  # the Norway problem
        ("flag: on\n", "flag", "on"),
        ("date: 2015-07-16\n", "date", "2015-07-16"),
        ("v: 1.10\n", "v", "1.10"),
        ("mode: 0755\n", "mode", "0755"),
        ("t: 1:30\n", "t", "1:30"),
        ("bad: 2024-13-40\n", "bad", "2024-13-40"),
        ("q: 'null'\n", "q", "null"),
        ('q: "~"\n', "q", "~"),
    ],
)
def test_scalars_stay_text(text, key, kept):
    doc, issues = parse(text, "x.yaml")
    assert issues == []
    assert doc.data[key] == kept


@pytest.mark.parametrize(
    "text,code,line,col",
    [
        ("a: 1\nb: 2\na: 3\n", "yaml-duplicate-key", 3, 1),
        ("a: &x hello\nb: *x\n", "yaml-anchor", 1, 4),
        ("a: [1]\nb: *x\n", "yaml-anchor", 2, 4),
        ("a: !!int 3\n", "yaml-tag", 1, 4),
        ("a: !!python/object:os.system x\n", "yaml-tag", 1, 4),
        ("a: 1\n---\na: 2\n", "yaml-multi-document", 2, 1),
        ("a: 1\nb: ~\n", "yaml-null", 2, 4),
        ("a: 1\nb: null\n", "yaml-null", 2, 4),
        ("a: 1\nb:\n", "yaml-null", 2, 3),
        ("- a\n- b\n", "yaml-not-mapping", 1, 1),
        ("a: [1, 2\n", "yaml-syntax", 2, 1),
    ],
)
def test_pitfalls_are_refused_with_a_position(text, code, line, col):
    doc, issues = parse(text, "dataset/events/x.yaml")
    assert [(i.code, i.line, i.col) for i in issues] == [(code, line, col)]
    assert issues[0].text().startswith(f"dataset/events/x.yaml:{line}:{col}: {code}: ")
    assert doc.data is None


def test_billion_laughs_is_refused_before_expansion():
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n"
    assert codes(bomb) == ["yaml-anchor"]


def test_crlf_and_bom_are_accepted_and_positions_kept():
    text = "\ufeffid: x\r\nevidence:\r\n  - source: s\r\n    quote: \"a: b\"\r\n"
    doc, issues = parse(text, "x.yaml")
    assert issues == []
    assert doc.data == {"id": "x", "evidence": [{"source": "s", "quote": "a: b"}]}
    assert doc.values[("evidence", 0, "quote")] == (4, 12)
    assert doc.keys[("evidence",)] == (2, 1)


def test_dump_round_trips_text_that_yaml_would_retype():
    data = {"country": "NO", "date": "2015-07-16", "v": "1.10", "empty": "", "q": "null", "multi": "a\nb"}
    doc, issues = parse(dump(data), "x.yaml")
    assert issues == [] and doc.data == data
