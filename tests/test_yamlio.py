"""The strict YAML reader: no silent changes to curated data."""

import subprocess
import sys

import pytest

from casd.curate.load import read_record
from casd.curate.yamlio import dump, parse, parse_bytes, parse_fast
from conftest import ROOT, make_project


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


PITFALLS = [
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
]


@pytest.mark.parametrize("text,code,line,col", PITFALLS)
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


RECORD_FILES = sorted((ROOT / "dataset").glob("*/*.yaml"))


def test_the_fast_path_reads_every_real_file_as_the_exact_reader_does():
    """Both paths over the real dataset: the same data and, once asked, the same positions; and
    the fast path reads nearly all of it (else it would only be a slower way to the exact reader)."""
    fast_read = 0
    for path in RECORD_FILES:
        raw = path.read_bytes()
        exact, issues = parse_bytes(raw, path.name)
        assert issues == []
        fast = parse_fast(raw, path.name)
        if fast is None:
            continue
        fast_read += 1
        assert fast.data == exact.data and fast.raw == raw and not fast.values
        assert fast.where(("id",)) == exact.where(("id",))
        assert (fast.values, fast.keys, fast.raw) == (exact.values, exact.keys, None)
    assert fast_read >= 0.9 * len(RECORD_FILES)


@pytest.mark.parametrize(
    "text",
    [case[0] for case in PITFALLS]
    + [
        "a: ! x\n",  # the non-specific tag: libyaml's composer resolves it as if untagged
        "! a: x\n",
        "a: &x\n  b: c\n",  # an anchor no alias uses
        "a: b\nc: [*x]\n",
        "? - k\n: v\n",
        "a: {b: ~}\n",
        "a: 'x'\nb: ''\nc:\n",
        "a: b\n...\n---\nc: d\n",
        "x: " + "[" * 40 + "]" * 40 + "\n",  # deeper than MAX_DEPTH
    ],
)
def test_the_fast_path_leaves_every_refused_file_to_the_exact_reader(text):
    raw = text.encode()
    assert parse_bytes(raw, "x.yaml")[1] != []
    assert parse_fast(raw, "x.yaml") is None


@pytest.mark.parametrize("opener", ["- ", "[", "{a: ", "? ", "- a: "])
def test_the_fast_path_never_lets_the_c_composer_overflow_its_stack(opener):
    """libyaml's composer recurses in C with no limit (30,000 levels end the process with a
    segmentation fault): a deeply nested file goes to the exact reader, which refuses it (at
    MAX_DEPTH, or sooner). Run in a child process, so that a crash fails this test rather than the
    run; with FAST_NESTING out of the way, the first case crashes."""
    code = f"""
from casd.curate.yamlio import parse_bytes, parse_fast
raw = ({opener!r} * 200_000 + "x\\n").encode()
assert parse_fast(raw, "x.yaml") is None
assert parse_bytes(raw, "x.yaml")[1]
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_record_read_by_the_fast_path_locates_its_issues_as_the_exact_reader_would():
    raw = b"id: e-1\nkind: attack\nsummary: x\nsumary: y\n"
    fast = parse_fast(raw, "dataset/events/e-1.yaml")
    assert fast is not None
    item, issues = read_record("events", "e-1", "dataset/events/e-1.yaml", raw)
    unknown = [i for i in issues if i.code == "unknown-field"]
    assert [(i.line, i.col) for i in unknown] == [(4, 1)]
    assert "summary" in unknown[0].message  # the suggested fix


def test_a_validation_gives_the_same_issues_with_and_without_the_fast_path(tmp_path, monkeypatch):
    """End to end, over a copy of the real dataset with files broken in many ways (typing, YAML and
    rule issues, in files either path reads): every issue, with its position, and every record is
    the same when every file takes the exact reader."""
    import random
    import shutil

    from casd.curate import yamlio
    from casd.curate.validate import validate

    project = make_project(tmp_path / "p")
    shutil.rmtree(project / "dataset")
    shutil.copytree(ROOT / "dataset", project / "dataset")
    rnd = random.Random(7)
    files = sorted((project / "dataset").glob("*/*.yaml"))
    for path in rnd.sample(files, 40):
        lines = path.read_text(encoding="utf-8").split("\n")
        i = rnd.randrange(1, len(lines))
        lines[i] = rnd.choice(["  ", "", "x"]) + lines[i] + rnd.choice(["", "x", " ~", " &a", "'"])
        lines.insert(rnd.randrange(len(lines)), rnd.choice(["sumary: x", "summary: =1+1", "id: other", "kind: sumit"]))
        path.write_text("\n".join(lines), encoding="utf-8")
    fast = validate(project, use_cache=False)
    monkeypatch.setattr(yamlio, "parse_fast", lambda raw, path: None)
    exact = validate(project, use_cache=False)
    assert len(fast.issues) > 40 and fast.issues == exact.issues
    assert {t: {k: v.record for k, v in items.items()} for t, items in fast.dataset.tables.items()} == {t: {k: v.record for k, v in items.items()} for t, items in exact.dataset.tables.items()}
