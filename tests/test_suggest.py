"""Errors that suggest the fix: the closest field, value, id, table, passage or date form."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from casd.curate.anchors import Library
from casd.curate.evidence import SeedText
from conftest import cli


def out(project):
    return cli("validate", "-C", str(project)).stdout


def test_a_misspelt_field_value_id_or_table_gets_the_closest_few(project):
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text(ev.read_text().replace("kind: summit", "kind: sumit").replace("role: host", "role: host\n    rol: x").replace("title:", "titel:"))
    st = project / "dataset/statements/putin-csto-preventive-measures.yaml"
    st.write_text(st.read_text().replace("speaker_id: vladimir-putin", "speaker_id: vladimir-puttin"))
    (project / "dataset/event").mkdir()
    text = out(project)
    assert "invalid-value: kind: 'sumit' is not an allowed value (did you mean 'summit'" in text
    assert "unknown-field: unknown field 'titel' (did you mean 'title'?)" in text
    assert "unknown-field: unknown field 'participants.0.rol' (did you mean 'role'?)" in text
    assert "dangling-reference: speaker_id: no actors record 'vladimir-puttin' (did you mean 'vladimir-putin'?)" in text
    assert "dataset/event:1:1: unknown-table: 'event' is not a table (did you mean 'events'?)" in text


def test_a_quote_not_in_its_seed_shows_the_closest_passage_or_the_seed_that_holds_it(project):
    fig = project / "dataset/figures/bishkek-raid-killed-4.yaml"
    fig.write_text(fig.read_text().replace("    quote: Four militants were reported killed in Bishkek", "    quote: Four militants were reportedly killed in Bishkek"))
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text(ev.read_text().replace("  - source: rferl-putin-preventive-measures\n    quote: Speaking", "  - source: kyrgyz-officials-foil-attacks\n    quote: Speaking"))
    text = out(project)
    assert "quote-not-found" in text and "closest passage: 'Four militants were reported killed in Bishkek a'" in text
    assert "first difference at character 29: the seed has ' ', the quote 'l'" in text
    assert "it is found verbatim in 'rferl-putin-preventive-measures': is `source` wrong?" in text


_TEXT = st.text(alphabet="ab c\u00e9\u0431\u2014\U0001f600", max_size=12)  # ASCII, Latin-1, Cyrillic, a dash, an emoji


@given(seeds=st.lists(_TEXT, min_size=1, max_size=6), needle=_TEXT, pick=st.integers(min_value=0))
def test_the_seeds_holding_a_quote_are_found_in_one_search_as_one_search_per_seed_finds_them(seeds, needle, pick):
    """The search across every seed (its text joined as UTF-8 bytes) finds exactly the seeds whose
    text holds the needle: not a match across two seeds, not a match inside a character."""
    texts = {f"s{i}": SeedText(text) for i, text in enumerate(seeds)}
    if pick % 2:  # a needle cut from a seed, so that found is often not empty
        norm = texts[f"s{pick % len(seeds)}"].norm
        needle = norm[pick % (len(norm) + 1) :][: 1 + pick % 7]
    assert Library(texts).holding(needle) == sorted(sid for sid, seed in texts.items() if seed.occurrences(needle))


def test_an_ambiguous_quote_says_where_its_occurrences_are(project):
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text(ev.read_text() + "  - source: rferl-putin-preventive-measures\n    quote: CSTO\n")
    assert "quote-ambiguous: quote occurs" in out(project) and "(on lines " in out(project)


def test_a_date_in_another_form_gets_its_edtf_form(project):
    ev = project / "dataset/events/bishkek-raid-2015-07-16.yaml"
    ev.write_text(ev.read_text().replace("date: 2015-07-16", "date: 16/07/2015"))
    assert "is not an EDTF date (YYYY, YYYY-MM, YYYY-MM-DD, optional ? ~ %); did you mean 2015-07-16?" in out(project)


def test_a_large_pool_is_indexed_yet_suggests_exactly_what_difflib_suggests():
    """The indexed search (character-count bounds, branch and bound) against difflib over the whole pool."""
    import difflib
    import random

    from casd.curate.suggest import INDEX_FROM, Names

    rng = random.Random(7)
    stems = ["-".join("".join(rng.choice("abcdeiklmnorstuyz") for _ in range(rng.randint(2, 8))) for _ in range(rng.randint(1, 3))) for _ in range(400)]
    pool = stems + [f"{s}-c{k}" for s in stems[:60] for k in range(40)]  # copies, as a scaled dataset has them
    assert len(set(pool)) >= INDEX_FROM
    names = Names(pool)
    everything = sorted(set(pool))
    probes = [w[:-1] for w in rng.sample(pool, 30)] + [w[:2] + w[3:] for w in rng.sample(pool, 30)] + [w.replace("a", "e") for w in rng.sample(pool, 30)] + ["zz", "q", "c1", "-"]
    for word in probes:
        expected = difflib.get_close_matches(word, everything, n=3, cutoff=0.6) or [c for c in everything if c.startswith(word) or word in c][:3]
        assert names.closest(word) == expected, word
    long = ["a" * 300 + "-" + s for s in stems]  # counts above 255: the index counts in wider integers
    assert Names(pool + long).closest("a" * 299 + "-" + stems[0]) == difflib.get_close_matches("a" * 299 + "-" + stems[0], sorted(set(pool + long)), n=3, cutoff=0.6)
