"""Property-based tests (Hypothesis): arbitrary text and mutations of real records give a clean
result or clean located errors, never an exception."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casd.curate.issues import CODES, Issue
from casd.curate.load import read_record
from casd.curate.yamlio import parse, parse_bytes, parse_fast
from casd.model.records import TABLES  # noqa: E402
from conftest import ROOT

RECORDS = sorted(p for p in (ROOT / "dataset").glob("*/*.yaml") if p.parent.name in TABLES)
TOKENS = ["&a ", "*a", "!!python/object ", "%YAML 1.2\n", "? ", "---\n", "\x00", "\x85", "\u2028", "\ufeff", "\u200b", "1e400", "nan", "0000", "=cmd|"]
TOKENS += ["[", "{", "- ", ": ", "\t", "'", '"', "\\", "~", "null"]


def _located(issues: list[Issue], path: str) -> None:
    for i in issues:
        assert i.code in CODES and i.path == path and i.line >= 1 and i.col >= 1 and i.message


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_the_yaml_reader_never_raises_on_any_text(text):
    doc, issues = parse(text, "x.yaml")
    _located(issues, "x.yaml")
    assert (doc.data is None) == bool(issues)


@st.composite
def mutated_record(draw):
    path = draw(st.sampled_from(RECORDS))
    text = path.read_text(encoding="utf-8")
    rnd = random.Random(draw(st.integers(0, 2**32)))
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        kind = rnd.randrange(6)
        i = rnd.randrange(len(lines))
        if kind == 0:
            lines[i] = lines[i][: rnd.randrange(len(lines[i]) + 1)] + rnd.choice(TOKENS) + lines[i][rnd.randrange(len(lines[i]) + 1) :]
        elif kind == 1:
            del lines[i]
        elif kind == 2:
            lines.insert(i, lines[rnd.randrange(len(lines))])
        elif kind == 3:
            lines[i] = " " * rnd.choice([1, 2, 4]) + lines[i]
        elif kind == 4:
            lines[i] = lines[i].lstrip()
        else:
            lines.insert(i, "notes: " + "[" * rnd.choice([10, 40, 2000]))
        if not lines:
            lines = [""]
    return path, "\n".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_record())
def test_mutated_real_records_give_clean_located_errors(case):
    path, text = case
    shown = Path(path).relative_to(ROOT).as_posix()
    item, issues = read_record(path.parent.name, path.stem, shown, text.encode("utf-8", "surrogatepass"))
    _located(issues, shown)
    assert (item.record is None) == bool(issues) or [i.code for i in issues] == ["id-mismatch"]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=60), st.text(max_size=200))
def test_anchoring_raises_only_anchor_errors_and_slices_exactly(quote, seed_text):
    from casd.curate.evidence import AnchorError, SeedText, normalise

    seed = SeedText(seed_text)
    try:
        a = seed.anchor(quote)
    except AnchorError as e:
        assert e.code in CODES
        return
    assert normalise(seed_text[a.start : a.end]).strip() == normalise(quote).strip() or normalise(quote) in normalise(seed_text[a.start : a.end])


#: the pieces hostile YAML is made of, for the fast path's equivalence with the exact reader
YAML_PIECES = TOKENS + ["a", "b", "a: ", "b: x", "\n", "  ", "\n  ", "\n- ", "|\n  ", ">-\n  ", "...\n", "#c", ",", "]", "}", "''", "Null", "NO", "0755", "\r\n", "&", "!", "*"]


def _same_reading(raw: bytes) -> None:
    """The fast strict path either leaves a file to the exact reader or reads exactly its data."""
    fast = parse_fast(raw, "x.yaml")
    if fast is None:
        return
    exact, issues = parse_bytes(raw, "x.yaml")
    assert issues == [], "the fast path read a file the exact reader refuses"
    assert fast.data == exact.data
    assert fast.where(()) == exact.where(()) and (fast.values, fast.keys) == (exact.values, exact.keys)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=40))
def test_the_fast_path_reads_generated_yaml_as_the_exact_reader_does(pieces):
    _same_reading("".join(pieces).encode("utf-8", "surrogatepass"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_record())
def test_the_fast_path_reads_mutated_records_as_the_exact_reader_does(case):
    _, text = case
    _same_reading(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_the_fast_path_reads_any_text_as_the_exact_reader_does(text):
    _same_reading(text.encode("utf-8", "surrogatepass"))
