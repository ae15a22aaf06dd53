"""One model, one truth: a field, reference or link table declared once on a model reaches every output."""

from __future__ import annotations

import json
from typing import Annotated

import polars as pl
import pytest
from frictionless import validate as fl_validate

from casd.model.records import TABLES, Event, Model
from casd.model.types import ActorId, EDTFDate, Link, Text
from conftest import ROOT, cli, ok


class Witness(Model):
    """Someone who saw the event."""

    actor_id: ActorId
    """The witness (table actors)."""
    seen: EDTFDate | None = None
    """When the witness saw it (EDTF)."""


class EventPlus(Event):
    weather: Text | None = None
    """The weather, as the sources describe it."""
    observer_id: ActorId | None = None
    """Who watched the event (table actors)."""
    witnesses: Annotated[list[Witness], Link("event_witnesses")] = []
    """People who saw the event."""


@pytest.fixture
def extended(monkeypatch):
    """The events model with one new text field, one new reference and one new link table."""
    from casd.curate.checks import claims
    from casd.model.relational import layout

    layout.cache_clear()
    claims._field.cache_clear()
    monkeypatch.setitem(TABLES, "events", EventPlus)
    yield
    layout.cache_clear()
    claims._field.cache_clear()


def _add(project, text):
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text(ev.read_text() + text)


def test_a_new_field_reference_and_link_table_reach_every_output(extended, project):
    from casd.model.relational import layout
    from casd.packaging.docs import codebook
    from casd.packaging.schemas import generate

    # the layout: columns, foreign keys, a new link table with EDTF expansion
    lay = layout()
    events = lay.table("events")
    assert [c.name for c in events.columns][-2:] == ["weather", "observer_id"]
    assert events.column("weather").description == "The weather, as the sources describe it."
    assert ("observer_id", "actors") in {(fk.fields, fk.resource) for fk in events.foreign_keys}
    witnesses = lay.table("event_witnesses")
    assert [c.name for c in witnesses.columns] == ["event_id", "ordinal", "actor_id", "seen", "seen_start", "seen_end", "seen_precision", "seen_uncertain", "seen_approximate"]
    assert {(fk.fields, fk.resource) for fk in witnesses.foreign_keys} == {("event_id", "events"), ("actor_id", "actors")}
    assert ("events", ("witnesses", "[]", "seen")) in lay.date_fields

    # JSON Schema for editors and the codebook
    files = generate()
    props = json.loads(files[next(p for p in files if p.as_posix() == "schema/records/events.json")])["properties"]
    assert props["weather"]["description"] == "The weather, as the sources describe it."
    book = codebook()
    assert "| `weather` | string |" in book and "## event_witnesses" in book
    assert "| `event_witnesses` | `actor_id` | `actors.id` |" in book

    # validation: references and dates in the new fields are checked, at their lines
    _add(project, "weather: snow\nobserver_id: nobody\nwitnesses:\n  - actor_id: vladimir-putin\n    seen: 2014-12-23?\n  - actor_id: ghost\n")
    out = cli("validate", "-C", str(project)).stdout
    assert "csto-summit-2014-12-23.yaml:16:14: dangling-reference: observer_id: no actors record 'nobody'" in out
    assert "csto-summit-2014-12-23.yaml:20:15: dangling-reference: witnesses.1.actor_id: no actors record 'ghost'" in out
    assert "date-note-missing" not in out  # the date has its reasoning in the record's date_note

    # the build: CSV and Parquet columns, typed; Frictionless accepts the package with its new key
    ev = project / "dataset/events/csto-summit-2014-12-23.yaml"
    ev.write_text(ev.read_text().replace("observer_id: nobody\n", "observer_id: russia\n").replace("  - actor_id: ghost\n", ""))
    ok(cli("build", "-C", str(project)))
    cur = project / "build/current"
    assert pl.read_csv(cur / "events.csv", infer_schema=False).filter(pl.col("id") == "csto-summit-2014-12-23")["weather"][0] == "snow"
    w = pl.read_parquet(cur / "event_witnesses.parquet")
    assert w.rows() == [("csto-summit-2014-12-23", 1, "vladimir-putin", "2014-12-23?", w["seen_start"][0], w["seen_end"][0], "day", True, False)]
    assert w.schema["seen_start"] == pl.Date
    report = fl_validate(str(cur / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "type", "note"])
    desc = json.loads((cur / "datapackage.json").read_text())
    fks = next(r for r in desc["resources"] if r["name"] == "events")["schema"]["foreignKeys"]
    assert {"fields": ["observer_id"], "reference": {"resource": "actors", "fields": ["id"]}} in fks


def test_a_list_of_records_without_a_link_marker_gets_a_default_table(monkeypatch):
    from casd.model.relational import layout

    class Bare(Event):
        witnesses: list[Witness] = []
        """People who saw the event."""

    layout.cache_clear()
    monkeypatch.setitem(TABLES, "events", Bare)
    try:
        assert "event_witnesses" in [t.name for t in layout().tables]  # <parent key>_<field>, not an Arrow error
    finally:
        layout.cache_clear()


def test_the_derived_layout_keeps_every_published_table_and_column():
    """Deriving the layout kept 1.0.0's tables, keys and columns, in order and typed as before
    (the coordinates erratum aside); what is new comes in addition."""
    from casd.model.relational import tables
    from casd.packaging.descriptor import table_schema

    published = json.loads((__import__("conftest").ROOT / "build/releases/1.0.0/datapackage.json").read_text())
    old = {r["name"]: r["schema"] for r in published["resources"]}
    new = {t.name: table_schema(t) for t in tables()}
    assert [n for n in new if n in old] == list(old)
    for name, schema in old.items():
        fields = {f["name"]: f for f in new[name]["fields"]}
        assert [f for f in fields if f in {g["name"] for g in schema["fields"]}] == [f["name"] for f in schema["fields"]], name
        assert new[name]["primaryKey"] == schema["primaryKey"]
        kept = {json.dumps(fk, sort_keys=True) for fk in new[name].get("foreignKeys", [])}
        assert {json.dumps(fk, sort_keys=True) for fk in schema["foreignKeys"]} <= kept, name
        for a in schema["fields"]:
            b = fields[a["name"]]
            if a["name"] in ("external_latitude", "external_longitude"):
                assert (a["type"], b["type"]) == ("string", "number")  # the 1.0.0 erratum, fixed
            else:
                assert a["type"] == b["type"], (name, a["name"])


def test_records_share_their_set_of_given_fields_safely():
    """Typed records share one set of given fields per combination (memory), and copying one never changes another's."""
    from casd.model.records import Place

    raw = {"id": "a", "name": "A", "kind": "city", "evidence": [{"source": "s", "quote": "A"}]}
    a, b = Place.model_validate(raw), Place.model_validate({**raw, "id": "b"})
    assert a.model_fields_set is b.model_fields_set
    assert a.evidence[0].model_fields_set is b.evidence[0].model_fields_set
    before = set(a.model_fields_set)
    c = a.model_copy(update={"notes": "copied"})
    assert "notes" in c.model_fields_set and a.model_fields_set == b.model_fields_set == before
    assert a.model_dump(exclude_unset=True) == {**raw, "evidence": [{"source": "s", "quote": "A"}]}


def test_every_record_pickles_compactly_and_comes_back_equal():
    """Every typed record of the real dataset pickles without its field names and comes back equal:
    the same values, the same given fields (what ``exclude_unset`` dumps), the same frozen model,
    sharing its field names and its set of given fields with the records typed from YAML; and so
    through the compressed bytes a validation holds (``pack``), which take well under the pickles'."""
    import pickle

    from casd.curate.load import pack, unpack
    from casd.curate.validate import validate

    pickled = packed = 0
    v = validate(ROOT, use_cache=False)  # reads the repository's dataset, writes nothing
    assert len(v.dataset) > 300
    for item, rec in v.dataset.typed():
        raw = pickle.dumps(rec, protocol=pickle.HIGHEST_PROTOCOL)
        back = pickle.loads(raw)
        assert type(back) is type(rec) and back == rec, item.path
        assert back.model_dump(exclude_unset=True) == rec.model_dump(exclude_unset=True), item.path
        assert back.model_fields_set is rec.model_fields_set, item.path  # the one shared set
        assert all(a is b for a, b in zip(back.__dict__, rec.__dict__, strict=True)), item.path  # shared names
        assert b"__pydantic_fields_set__" not in raw and b"__dict__" not in raw, item.path  # no state dict travels
        with pytest.raises(Exception, match="frozen"):
            back.id = "other"  # type: ignore[misc]
        held = pack(rec)
        assert unpack(held) == rec and unpack(held).model_fields_set is rec.model_fields_set, item.path
        pickled, packed = pickled + len(raw), packed + len(held)
    assert packed < 0.7 * pickled
    odd = next(rec for _, rec in v.dataset.typed())
    object.__setattr__(odd, "__pydantic_private__", {"kept": True})  # state the compact form has no place for
    assert pickle.loads(pickle.dumps(odd)).__pydantic_private__ == {"kept": True}  # Pydantic's own form keeps it
