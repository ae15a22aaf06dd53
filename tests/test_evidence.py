"""Quote anchoring: exact offsets into the seed text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casd.curate.evidence import AnchorError, SeedText

TEXT = "Caption here\nCaption here\n\nHe said \u201cgo\u00a0now\u201d and   left.\nKyrgyzstan\u2019s State Committee"


def test_offsets_are_exact_slices_of_the_original():
    seed = SeedText(TEXT)
    a = seed.anchor('He said "go now" and left.')
    assert TEXT[a.start : a.end] == "He said \u201cgo\u00a0now\u201d and   left."


def test_typographic_apostrophe_matches_straight_and_curly():
    seed = SeedText(TEXT)
    for q in ("Kyrgyzstan's State", "Kyrgyzstan\u2019s State"):
        a = seed.anchor(q)
        assert TEXT[a.start : a.end] == "Kyrgyzstan\u2019s State"


def test_line_breaks_match_a_space():
    seed = SeedText(TEXT)
    a = seed.anchor("left. Kyrgyzstan")
    assert TEXT[a.start : a.end] == "left.\nKyrgyzstan"


def test_repeated_caption_needs_a_disambiguator():
    seed = SeedText(TEXT)
    with pytest.raises(AnchorError) as e:
        seed.anchor("Caption here")
    assert e.value.code == "quote-ambiguous" and e.value.params["count"] == 2
    first, second = seed.anchor("Caption here", occurrence=1), seed.anchor("Caption here", occurrence=2)
    assert (first.start, second.start) == (0, 13)
    assert seed.anchor("Caption here", suffix="He said").start == 13
    assert seed.anchor("Caption here", prefix="Caption here").start == 13
    with pytest.raises(AnchorError) as e:
        seed.anchor("Caption here", occurrence=3)
    assert e.value.code == "quote-occurrence"


def test_missing_quote_and_case_are_not_forgiven():
    seed = SeedText(TEXT)
    for q in ("he said", "Gone"):
        with pytest.raises(AnchorError) as e:
            seed.anchor(q)
        assert e.value.code == "quote-not-found"


def _reference_map(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, its original position: character by character."""
    norm, index, i, t = [], [], 0, text.translate(str.maketrans({"‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"'}))
    while i < len(t):
        j = i + 1
        if t[i].isspace():
            while j < len(t) and t[j].isspace():
                j += 1
        norm.append(" " if t[i].isspace() else t[i])
        index.append(i)
        i = j
    return "".join(norm), index


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab'“”’\n\t \u00a0\u2003\u3000\r\x1c\x85é\u0301", max_size=40))
def test_the_compact_position_map_agrees_with_a_character_by_character_map(text):
    import bisect

    from casd.curate.evidence import SeedText

    seed = SeedText(text)
    norm, index = _reference_map(text)
    assert seed.norm == norm
    assert [seed.original(k) for k in range(len(norm))] == index
    assert [seed.norm_position(o) for o in range(len(text) + 1)] == [bisect.bisect_left(index, o) for o in range(len(text) + 1)]


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from(list("ab '\"‘’‚′“”„″\t\n\r\x0b\x0c\u00a0\u2009\u3000\u2028x")), max_size=60))
def test_normalising_is_the_plain_definition(text):
    """What the fast path computes (lone spaces left alone, quotes replaced one kind at a time) is
    the module's definition: every run of white space one space, typographic quotes straight."""
    import re

    from casd.curate.evidence import _QUOTES, normalise

    plain = re.sub(r"\s+", " ", text.translate(str.maketrans(_QUOTES)))
    assert normalise(text) == plain
    assert SeedText(text).norm == plain
