"""Edits in a row on the released minimal project, for the tests that check a run after a few
edits against a run without any cache (:mod:`test_ledger`, :mod:`test_serve`): text, typing,
references, facts the rules across records compare, files added, removed, renamed, hidden or
linked, a source."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from casd.curate.validate import validate
from casd.fs import MAX_RECORD_BYTES

#: the rules across records each step is meant to make find something (the tests check they did)
FOUND = {"dangling-reference", "missing-tombstone", "date-outside-context", "aggregate-unmarked", "figure-alternative-one-way", "attribution-unhedged"}
#: a message only the second ring of a rule's neighbourhood gives (an unchanged part of an event)
SECOND_RING = "events bishkek-raid-2015-07-16, csto-side-meeting are part of this event"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def edits(project: Path, whole: Callable[[], object] | None = None) -> list[tuple[Callable[[], object], bool]]:
    """The steps, each with whether a one-shot run answers it from the ledger (project: a copy of
    the ``released`` fixture: every record published, so a record removed lacks its tombstone;
    ``whole``: what makes a whole validation run in one step, by default a run with the cache)."""
    if whole is None:
        whole = lambda: validate(project, records=False)  # noqa: E731
    events, figures, places = project / "dataset/events", project / "dataset/figures", project / "dataset/places"
    raid, fig, source = events / "bishkek-raid-2015-07-16.yaml", figures / "bishkek-raid-killed-4.yaml", project / "dataset/sources/kyrgyz-officials-foil-attacks.yaml"
    kant, summit = project / "dataset/bases/kant-air-base.yaml", events / "csto-summit-2014-12-23.yaml"
    committee = project / "dataset/actors/state-committee-for-national-security.yaml"
    bishkek, held = (places / "bishkek.yaml").read_text(), summit.read_text()
    part = (
        "id: csto-side-meeting\ntitle: A side meeting\nkind: summit\ndate: 2014-12-23?\ndate_note: As the summit.\n"
        "related:\n  - event_id: csto-summit-2014-12-23\n    relation: part-of\n"
        "evidence:\n  - source: rferl-putin-preventive-measures\n    quote: Speaking at a December 23 summit meeting\n"
    )
    big = "#" + "x" * MAX_RECORD_BYTES + "\n"
    title = "title: Security forces raid militants in Bishkek"

    def by_rename(path: Path, old: str, new: str) -> None:  # an editor's save: a new file renamed over the record
        temp = path.with_name(f".{path.name}.swp")
        temp.write_text(path.read_text().replace(old, new))
        os.replace(temp, path)

    def linked(path: Path) -> None:
        shutil.copy(path, project / path.name)
        path.unlink()
        path.symlink_to(project / path.name)

    return [  # (what is done, whether the ledger answers)
        (lambda: _edit(raid, title, "title: Security forces raid militants"), True),  # text only
        (lambda: _edit(raid, "title: Security forces raid militants", "title: '=1+1'"), True),  # what a local rule faults
        (lambda: _edit(kant, "name: Kant Air Base", "name: Kant air base"), True),  # a second file, the first still changed
        (lambda: _edit(raid, "title: '=1+1'", title), True),
        (lambda: _edit(raid, "quote: the July 16 raid", "quote: the July 17 raid"), True),  # a quote that no longer anchors: its hint searches every seed
        (lambda: _edit(fig, "notes: Two seeds count the dead differently.", "notes: Two seeds differ."), True),  # a fact a rule across records reads
        (lambda: _edit(fig, 'value: "4"', "value: [4]"), True),  # a typing error
        (lambda: _edit(fig, "value: [4]", "value: [5]"), True),  # still untyped: nothing changed for the rules across records
        (lambda: _edit(fig, "value: [5]", "value: [5"), True),  # nor when it no longer parses
        (lambda: _edit(fig, "value: [5", 'value: "4"'), True),
        (lambda: _edit(fig, "subject_id: bishkek-raid-2015-07-16", "subject_id: nowhere"), True),  # a reference that dangles (and a fact)
        (lambda: fig.write_text("# a line more\n" + fig.read_text()), True),  # the dangling reference's line moves
        (lambda: _edit(fig, "subject_id: nowhere", "subject_id: bishkek-raid-2015-07-16"), True),
        (lambda: _edit(raid, title, big + title), False),  # unreadable: too large
        (lambda: _edit(kant, "name: Kant air base", "name: Kant Air Base"), False),  # a file unread: no ledger was written
        (lambda: _edit(raid, big, ""), False),
        (lambda: _edit(raid, "quote: the July 17 raid", "quote: the July 16 raid"), True),
        (lambda: _edit(raid, "place_id: bishkek", "place_id: bishkekk"), True),  # a reference that dangles: no rule but its own reads it
        (lambda: raid.write_text("# a line more\n" + raid.read_text()), True),  # its issue's line moves
        (lambda: _edit(raid, "place_id: bishkekk", "place_id: kyrgyzstan"), True),  # another record
        (lambda: _edit(raid, "place_id: kyrgyzstan", "place_id: bishkek"), True),
        (lambda: (_edit(raid, "place_id: bishkek", "place_id: bishkekk"), whole()), True),  # a whole run saw it dangle
        (lambda: raid.write_text("# one more\n" + raid.read_text()), True),  # the same references as the cache has: the line moves
        (lambda: _edit(raid, "place_id: bishkekk", "place_id: bishkek"), True),
        (lambda: _edit(raid, "place_id: bishkek", "place_id: bishkekk"), True),  # as the cache has it again, though the ledger had it fixed
        (lambda: _edit(raid, "place_id: bishkekk", "place_id: bishkek"), True),
        (lambda: by_rename(raid, title, "title: Bishkek raid"), True),  # a save by renaming: the same names
        (lambda: (places / "bishkek.yaml").unlink(), True),  # a file removed: the raid's place dangles, its tombstone is missing
        (lambda: (places / "osh.yaml").write_text("id: osh\nname: Osh\nkind: city\ncountry: KGZ\n"), True),  # one added: another id to suggest
        (lambda: (places / "bishkek.yaml").write_text(bishkek), True),
        (lambda: fig.rename(figures / "bishkek-raid-killed-four.yaml"), True),  # renamed: its alternative's alternative dangles
        (lambda: (figures / "bishkek-raid-killed-four.yaml").rename(fig), True),
        (lambda: _edit(raid, "title: Bishkek raid", title), True),
        (lambda: _edit(summit, "date: 2014-12-23?", "date: 2013-12-23?"), True),  # a date a rule compares: the statement set in it falls outside
        (lambda: _edit(summit, "date: 2013-12-23?", "date: 2014-12-23?"), True),
        (lambda: _edit(raid, "relation: related", "relation: part-of"), True),  # the summit has a part: unmarked, and the raid falls outside it
        (lambda: summit.write_text("# a line more\n" + summit.read_text()), True),  # the summit's issue moves, its facts the same
        (lambda: _edit(raid, "relation: part-of", "relation: related"), True),
        (lambda: _edit(fig, "alternatives: [bishkek-raid-killed-4-total]", "alternatives: []"), True),  # the other figure's alternative is one way
        (lambda: _edit(fig, "alternatives: []", "alternatives: [bishkek-raid-killed-4-total]"), True),
        (lambda: _edit(raid, "role: agent", "role: agent\n    attributed_by_id: russia"), True),  # an attributed role, not an alleged one
        (lambda: _edit(committee, "aliases: [UKMK, National Security Committee]", "aliases: [UKMK]"), True),  # an actor's names, which the rule reads for each event it is in
        (lambda: _edit(raid, "role: agent\n    attributed_by_id: russia", "role: agent"), True),
        (lambda: (events / ".csto-side-meeting.yaml").write_text(part), False),  # a hidden file: the listing's issue
        (lambda: (events / ".csto-side-meeting.yaml").rename(events / "csto-side-meeting.yaml"), False),  # a part added to the summit, and the listing's issue gone
        (lambda: _edit(raid, "relation: related", "relation: part-of"), True),  # a second part: the summit's issue names both, one unchanged
        (lambda: _edit(raid, "relation: part-of", "relation: related"), True),
        (lambda: summit.unlink(), True),  # the summit removed: the part, the raid and the statement refer to nothing; its tombstone is missing
        (lambda: summit.write_text(held), True),
        (lambda: (events / "csto-side-meeting.yaml").unlink(), True),
        (lambda: linked(kant), False),  # a symbolic link: the cache keeps no entry for it
        (lambda: (kant.unlink(), kant.write_text((project / kant.name).read_text())), False),
        (lambda: _edit(kant, "name: Kant Air Base", "name: Kant air base"), True),
        (lambda: _edit(source, "title:", "title: A"), False),  # a source: its seed
        (lambda: None, True),  # nothing changed
    ]
