"""casd.publish.diff: schema changes and their SemVer level, record diffs by natural key, rendering."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow as pa
import pytest

from casd.publish.diff import Change, Diff, Side, TableDiff, as_csv, as_markdown, as_text, compare, natural_key, schema_changes

# --- helpers ---------------------------------------------------------------------------------


def fld(name: str, type: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type, **extra}


def res(name: str, fields: list[dict[str, Any]], pk: list[str] | None = None, fks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": fields, "primaryKey": pk or ["id"]}
    if fks is not None:
        schema["foreignKeys"] = fks
    return {"name": name, "schema": schema}


def pkg(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resources": list(resources)}


def events(*fields: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return res("events", [fld("id"), *fields], **kw)


# --- schema changes --------------------------------------------------------------------------


def test_identical_descriptors_have_no_changes() -> None:
    d = pkg(events(fld("title", description="Headline.", constraints={"required": True, "enum": ["a"]})))
    assert schema_changes(d, json.loads(json.dumps(d))) == []


def test_field_added_is_major() -> None:
    old = pkg(events(fld("title")))
    new = pkg(events(fld("title"), fld("kind")))
    assert schema_changes(old, new) == [Change("major", "events.kind added")]


def test_field_removed_is_major() -> None:
    old = pkg(events(fld("title"), fld("kind")))
    new = pkg(events(fld("kind")))
    assert schema_changes(old, new) == [Change("major", "events.title removed")]


def test_field_retyped_is_major() -> None:
    old = pkg(events(fld("title")))
    new = pkg(events(fld("title", "integer")))
    assert schema_changes(old, new) == [Change("major", "events.title retyped string -> integer")]


def test_fields_reordered_is_major() -> None:
    old = pkg(events(fld("title"), fld("kind")))
    new = pkg(events(fld("kind"), fld("title")))
    assert schema_changes(old, new) == [Change("major", "events: fields re-ordered")]


def test_field_added_in_the_middle_is_not_a_reorder() -> None:
    old = pkg(events(fld("title"), fld("kind")))
    new = pkg(events(fld("title"), fld("status"), fld("kind")))
    assert schema_changes(old, new) == [Change("major", "events.status added")]


def test_enum_tightened_is_major() -> None:
    old = pkg(events(fld("kind", constraints={"enum": ["raid", "attack", "visit"]})))
    new = pkg(events(fld("kind", constraints={"enum": ["raid", "visit"]})))
    assert schema_changes(old, new) == [Change("major", "events.kind allowed values tightened (removed: attack)")]


def test_enum_introduced_is_major() -> None:
    old = pkg(events(fld("kind")))
    new = pkg(events(fld("kind", constraints={"enum": ["raid"]})))
    assert schema_changes(old, new) == [Change("major", "events.kind allowed values restricted to: raid")]


def test_enum_widened_is_minor() -> None:
    old = pkg(events(fld("kind", constraints={"enum": ["raid"]})))
    new = pkg(events(fld("kind", constraints={"enum": ["visit", "raid", "attack"]})))
    assert schema_changes(old, new) == [Change("minor", "events.kind allowed values added: attack, visit")]


def test_enum_reordered_is_no_change() -> None:
    old = pkg(events(fld("kind", constraints={"enum": ["raid", "visit"]})))
    new = pkg(events(fld("kind", constraints={"enum": ["visit", "raid"]})))
    assert schema_changes(old, new) == []


def test_field_became_required_is_major() -> None:
    old = pkg(events(fld("title")))
    new = pkg(events(fld("title", constraints={"required": True})))
    assert schema_changes(old, new) == [Change("major", "events.title became required")]


def test_field_no_longer_required_is_minor() -> None:
    old = pkg(events(fld("title", constraints={"required": True})))
    new = pkg(events(fld("title", constraints={"required": False})))
    assert schema_changes(old, new) == [Change("minor", "events.title no longer required")]


def test_description_changed_is_patch() -> None:
    old = pkg(events(fld("title", description="The headline.")))
    new = pkg(events(fld("title", description="The headline, as printed.")))
    assert schema_changes(old, new) == [Change("patch", "events.title description changed")]


def test_resource_added_is_minor() -> None:
    old = pkg(events(fld("title")))
    new = pkg(events(fld("title")), res("places", [fld("id"), fld("name")]))
    assert schema_changes(old, new) == [Change("minor", "resource places added")]


def test_resources_removed_are_major_in_sorted_order() -> None:
    old = pkg(res("zeta", [fld("id")]), events(fld("title")), res("alpha", [fld("id")]))
    new = pkg(events(fld("title")))
    expected = [Change("major", "resource alpha removed"), Change("major", "resource zeta removed")]
    assert schema_changes(old, new) == expected
    assert schema_changes(old, new) == expected  # stable


def test_primary_key_changed_is_major() -> None:
    old = pkg(res("links", [fld("event_id"), fld("ordinal", "integer"), fld("actor_id")], pk=["event_id", "ordinal"]))
    new = pkg(res("links", [fld("event_id"), fld("ordinal", "integer"), fld("actor_id")], pk=["event_id", "actor_id"]))
    assert schema_changes(old, new) == [Change("major", "links: primary key changed")]


FK = {"fields": ["place_id"], "reference": {"resource": "places", "fields": ["id"]}}


@pytest.mark.parametrize(("old_fks", "new_fks"), [([], None), (None, []), ([], [])])
def test_missing_foreign_keys_equal_an_empty_list(old_fks: list[Any] | None, new_fks: list[Any] | None) -> None:
    old = pkg(events(fld("place_id"), fks=old_fks))
    new = pkg(events(fld("place_id"), fks=new_fks))
    assert schema_changes(old, new) == []


def test_foreign_key_added_is_major() -> None:
    old = pkg(events(fld("place_id"), fks=[]))
    new = pkg(events(fld("place_id"), fks=[FK]))
    assert schema_changes(old, new) == [Change("major", "events: foreign keys changed")]


def test_changes_are_listed_removed_resources_first_then_per_resource() -> None:
    old = pkg(res("gone", [fld("id")]), events(fld("title"), fld("kind")))
    new = pkg(events(fld("kind", description="What happened."), fld("title", "integer")), res("places", [fld("id")]))
    assert schema_changes(old, new) == [
        Change("major", "resource gone removed"),
        Change("minor", "resource places added"),
        Change("major", "events: fields re-ordered"),
        Change("patch", "events.kind description changed"),
        Change("major", "events.title retyped string -> integer"),
    ]


@pytest.mark.parametrize(
    ("levels", "bump"),
    [
        (["patch", "major", "minor"], "major"),
        (["patch", "minor", "patch"], "minor"),
        (["patch"], "patch"),
        ([], "none"),
    ],
)
def test_bump_is_the_highest_level(levels: list[str], bump: str) -> None:
    d = Diff("1.0.0", "1.0.1-dev", [Change(level, f"change {i}") for i, level in enumerate(levels)], [])
    assert d.bump == bump


def test_bump_counts_record_reasons() -> None:
    patch_only = Diff("1.0.0", "x", [Change("patch", "a.b description changed")], [TableDiff("events", entity=True, added=["e2"])])
    assert patch_only.bump == "minor"
    removed_id = Diff("1.0.0", "x", [], [TableDiff("events", entity=True, removed=["e2"])])
    assert removed_id.bump == "major"
    removed_link = Diff("1.0.0", "x", [], [TableDiff("event_participants", entity=False, removed=["e1/a1"])])
    assert removed_link.bump == "patch"


# --- records ---------------------------------------------------------------------------------

EVIDENCE = res(
    "evidence",
    [
        fld("record_table"),
        fld("record_id"),
        fld("ordinal", "integer"),
        fld("claim_ordinal", "integer"),
        fld("source_id"),
        fld("quote"),
        fld("char_start", "integer"),
        fld("char_end", "integer"),
    ],
    pk=["record_table", "record_id", "ordinal"],
    fks=[{"fields": ["source_id"], "reference": {"resource": "sources", "fields": ["id"]}}],
)
EVENTS = events(fld("title"))
DESCRIPTOR = pkg(EVENTS, EVIDENCE)

EVIDENCE_COLUMNS = {
    "record_table": pa.string(),
    "record_id": pa.string(),
    "ordinal": pa.int64(),
    "claim_ordinal": pa.int64(),
    "source_id": pa.string(),
    "quote": pa.string(),
    "char_start": pa.int64(),
    "char_end": pa.int64(),
}


def evidence(*rows: tuple[Any, ...]) -> pa.Table:
    return pa.table({c: pa.array([r[i] for r in rows], t) for i, (c, t) in enumerate(EVIDENCE_COLUMNS.items())})


def entities(**titles: str) -> pa.Table:
    return pa.table({"id": list(titles), "title": list(titles.values())})


EV_1 = ("events", "e1", 1, None, "s1", "alpha", 0, 5)
EV_2 = ("events", "e1", 2, 1, "s1", "beta", 10, 14)
EV_OTHER = ("events", "e2", 1, None, "s1", "delta", 30, 35)


def test_natural_keys() -> None:
    assert natural_key(EVENTS) == ["id"]
    assert natural_key(EVIDENCE) == ["record_table", "record_id", "claim_ordinal", "source_id", "char_start", "char_end"]
    link = res(
        "event_participants",
        [fld("event_id"), fld("ordinal", "integer"), fld("actor_id"), fld("role")],
        pk=["event_id", "ordinal"],
        fks=[{"fields": ["actor_id"], "reference": {"resource": "actors", "fields": ["id"]}}, {"fields": ["event_id"], "reference": {"resource": "events", "fields": ["id"]}}],
    )
    assert natural_key(link) == ["event_id", "actor_id"]


def test_inserting_at_the_top_of_a_list_is_one_added_row() -> None:
    """Every later row's ordinal shifts, but rows are matched by content, not position."""
    old = Side("1.0.0", DESCRIPTOR, {"events": entities(e1="A", e2="B"), "evidence": evidence(EV_1, EV_2, EV_OTHER)})
    shifted = [(*r[:2], r[2] + 1, *r[3:]) for r in (EV_1, EV_2)]
    new_row = ("events", "e1", 1, None, "s2", "gamma", 3, 8)
    new = Side("1.1.0-dev", DESCRIPTOR, {"events": entities(e1="A", e2="B"), "evidence": evidence(new_row, *shifted, EV_OTHER)})
    d = compare(old, new)
    ev = next(t for t in d.tables if t.name == "evidence")
    assert (ev.added, ev.removed, ev.changed) == (["events/e1//s2/3/8"], [], [])
    assert next(t for t in d.tables if t.name == "events").empty
    assert d.schema == []
    assert d.bump == "minor"


def test_moving_a_row_within_its_list_is_no_change() -> None:
    old = Side("1.0.0", DESCRIPTOR, {"events": entities(e1="A"), "evidence": evidence(EV_1, EV_2)})
    swapped = evidence((*EV_2[:2], 1, *EV_2[3:]), (*EV_1[:2], 2, *EV_1[3:]))
    d = compare(old, Side("x", DESCRIPTOR, {"events": entities(e1="A"), "evidence": swapped}))
    assert d.empty
    assert d.bump == "none"


def _title_change() -> Diff:
    old = Side("1.0.0", DESCRIPTOR, {"events": entities(e1="A", e2="X"), "evidence": evidence(EV_1)})
    new = Side("1.0.1-dev", DESCRIPTOR, {"events": entities(e1="B", e2="X"), "evidence": evidence(EV_1)})
    return compare(old, new)


def test_changed_value_is_reported_with_old_and_new() -> None:
    d = _title_change()
    ev, evidence_diff = d.tables
    assert (ev.name, ev.entity, ev.added, ev.removed) == ("events", True, [], [])
    assert ev.changed == [("e1", [("title", "A", "B")])]
    assert evidence_diff.empty
    assert d.bump == "patch"


def test_as_text() -> None:
    assert as_text(_title_change()) == (
        "casd diff 1.0.0 -> 1.0.1-dev\n"
        "\n"
        "Schema changes: none\n"
        "\n"
        "Records:\n"
        "  events: +0 added, -0 removed, ~1 changed\n"
        "    ~ e1: title\n"
        '        title: "A" -> "B"\n'
        "\n"
        "Proposed bump: patch\n"
        "  because [patch] events: 1 row(s) corrected\n"
    )


def test_as_csv_has_old_and_new_values_as_json() -> None:
    rows = list(csv.DictReader(io.StringIO(as_csv(_title_change()).decode("utf-8"))))
    assert rows == [{"table": "events", "key": "e1", "change": "changed", "fields": '["title"]', "values": '{"title": ["A", "B"]}'}]
    assert json.loads(rows[0]["values"]) == {"title": ["A", "B"]}


def test_as_csv_lists_added_and_removed_rows() -> None:
    old = Side("1.0.0", DESCRIPTOR, {"events": entities(e1="A"), "evidence": evidence(EV_1)})
    new = Side("x", DESCRIPTOR, {"events": entities(e2="B"), "evidence": evidence(EV_1)})
    assert as_csv(compare(old, new)).decode("utf-8").splitlines() == [
        "table,key,change,fields,values",
        "events,e2,added,[],{}",
        "events,e1,removed,[],{}",
    ]


def test_removed_entity_id_is_major() -> None:
    old = Side("1.0.0", DESCRIPTOR, {"events": entities(e1="A", e2="B"), "evidence": evidence(EV_1)})
    new = Side("x", DESCRIPTOR, {"events": entities(e1="A"), "evidence": evidence(EV_1)})
    d = compare(old, new)
    assert d.tables[0].removed == ["e2"]
    assert d.bump == "major"
    assert Change("major", "events: 1 record id(s) removed (e2)") in d.reasons


def test_removed_evidence_row_is_a_patch() -> None:
    old = Side("1.0.0", DESCRIPTOR, {"events": entities(e1="A"), "evidence": evidence(EV_1, EV_2)})
    new = Side("x", DESCRIPTOR, {"events": entities(e1="A"), "evidence": evidence(EV_1)})
    d = compare(old, new)
    assert d.tables[1].removed == ["events/e1/1/s1/10/14"]
    assert d.bump == "patch"


def test_first_release() -> None:
    new = Side("0.1.0", DESCRIPTOR, {"events": entities(e2="B", e1="A"), "evidence": evidence(EV_2, EV_1)})
    d = compare(None, new)
    assert d.first_release
    assert d.old is None
    assert [(t.name, t.added, t.removed, t.changed) for t in d.tables] == [
        ("events", ["e1", "e2"], [], []),
        ("evidence", ["events/e1//s1/0/5", "events/e1/1/s1/10/14"], [], []),
    ]
    assert d.schema == [Change("minor", "resource events added"), Change("minor", "resource evidence added")]
    assert as_markdown(d, "0.1.0") == (
        "## 0.1.0\n\nFirst release: every table and record is new.\n\n| table | rows |\n|---|---:|\n| events | 2 |\n| evidence | 2 |\n"
    )
    assert as_text(d).startswith("casd diff nothing -> 0.1.0\n")


def test_later_release_markdown() -> None:
    md = as_markdown(_title_change(), "1.0.1")
    assert "First release" not in md
    assert md == (
        "## 1.0.1\n\nCompared with 1.0.0; bump: **patch**.\n\n### Records\n\n"
        "| table | added | removed | changed |\n|---|---:|---:|---:|\n| events | 0 | 0 | 1 |\n"
    )


def test_enum_removed_is_a_loosening_not_a_tightening() -> None:
    old = pkg(events(fld("kind", constraints={"enum": ["raid", "summit"]})))
    new = pkg(events(fld("kind")))
    assert schema_changes(old, new) == [Change("minor", "events.kind allowed values no longer restricted")]


def test_other_constraints_gained_are_major_and_lost_are_minor() -> None:
    old = pkg(events(fld("code", constraints={"required": True})))
    new = pkg(events(fld("code", constraints={"required": True, "unique": True})))
    assert schema_changes(old, new) == [Change("major", "events.code gained constraint unique")]
    assert schema_changes(new, old) == [Change("minor", "events.code lost constraint unique")]


def test_integer_enums_do_not_crash() -> None:
    old = pkg(events(fld("n", "integer", constraints={"enum": [1, 2]})))
    new = pkg(events(fld("n", "integer", constraints={"enum": [1, 2, 3]})))
    assert schema_changes(old, new) == [Change("minor", "events.n allowed values added: 3")]
