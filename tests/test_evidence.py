"""Quote anchoring: exact offsets into the seed text."""

import pytest

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
