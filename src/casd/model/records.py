"""Typed records: one Pydantic model per record kind, the single source of truth of the data model.

Field docstrings are the documentation: they flow into the JSON Schemas in
``schema/``, the Frictionless table schemas, the Parquet field metadata and the codebook.
Field annotations are the relational layout: :mod:`casd.model.relational` derives every
table, column, link table and foreign key from them (see :mod:`casd.model.types` for the
markers). Models only type and constrain single values; rules that span fields or records
live in :mod:`casd.curate.checks`, where each broken rule can point at its line.

Conventions: ids are lowercase slugs equal to the file name; dates are EDTF strings
(:mod:`casd.model.edtf`); country codes are ISO 3166-1 alpha-3; every scalar is text in
YAML and typed here.

To add a field: one annotated line with a docstring, here. To add a record table: a
:class:`Record` subclass with ``table`` and ``key``, listed in :data:`RECORDS`, and a
value in :class:`~casd.model.vocab.RecordTable`.
"""

from __future__ import annotations

import copyreg
import sys
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .types import ActorId, Country, EDTFDate, EventId, FigureId, InferenceId, Link, PlaceId, PolyRef, Shared, Slug, SourceId, Text
from .vocab import (
    ActorKind,
    AuthorRole,
    BaseKind,
    BaseStatus,
    EventKind,
    EventRelation,
    EventStatus,
    Measure,
    OutletRole,
    ParticipantRole,
    PlaceKind,
    Qualifier,
    Rank,
    RecordTable,
    SourceKind,
    StatementKind,
    Unit,
)

#: One set object per distinct set of given fields, shared by every record that gave those fields.
_FIELDS_GIVEN: dict[frozenset[str], set[str]] = {}


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True, allow_inf_nan=False)

    def model_post_init(self, context: Any, /) -> None:
        """Share the set of given fields between models that gave the same fields.

        Pydantic keeps one such set per model object, a quarter of a typed record's memory; the
        models are frozen, and Pydantic copies the set before changing it (``model_copy``), so one
        shared set per distinct combination is safe and saves that quarter."""
        given = self.__pydantic_fields_set__
        shared = _FIELDS_GIVEN.setdefault(frozenset(given), given)
        if shared is not given:
            object.__setattr__(self, "__pydantic_fields_set__", shared)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled compactly: the field values in the model's order, and which fields were given as
        the bits of a number. No field name is pickled, and an unpickled model shares its field
        names and its set of given fields with every other model, as one built from YAML does (a
        typed record pickled on its own, as the validation cache keeps it, would otherwise bring
        its own copy of each: half its bytes and a third more memory once unpickled)."""
        if self.__pydantic_private__ or self.__pydantic_extra__:  # not kept by the compact form: Pydantic's own
            return (copyreg.__newobj__, (type(self),), self.__getstate__())  # type: ignore[attr-defined]  # in copyreg, not in its stubs
        cls = type(self)
        names = _names(cls)
        given = self.__pydantic_fields_set__
        key = (cls, frozenset(given))
        mask = _MASKS.get(key)
        if mask is None:
            mask = _MASKS[key] = sum(1 << i for i, name in enumerate(names) if name in given)
        state = self.__dict__
        return (_restore, (cls, tuple([state[name] for name in names]), mask))


#: field names of each model class, in order
_NAMES: dict[type[Model], tuple[str, ...]] = {}
#: (model class, given fields) -> their bits (see :meth:`Model.__reduce__`)
_MASKS: dict[tuple[type[Model], frozenset[str]], int] = {}
#: (model class, bits) -> the shared set of given fields
_GIVEN: dict[tuple[type[Model], int], set[str]] = {}


def _names(cls: type[Model]) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(sys.intern(n) for n in cls.model_fields)
    return names


def _restore(cls: type[Model], values: tuple[Any, ...], mask: int) -> Model:
    """A model from :meth:`Model.__reduce__`'s values (checked when they were pickled: not again)."""
    names = _names(cls)
    given = _GIVEN.get((cls, mask))
    if given is None:
        new = {name for i, name in enumerate(names) if mask >> i & 1}
        given = _GIVEN[cls, mask] = _FIELDS_GIVEN.setdefault(frozenset(new), new)
    self = cls.__new__(cls)
    object.__setattr__(self, "__dict__", dict(zip(names, values, strict=True)))
    object.__setattr__(self, "__pydantic_fields_set__", given)
    object.__setattr__(self, "__pydantic_extra__", None)
    object.__setattr__(self, "__pydantic_private__", None)
    return self


class Evidence(Model):
    """A passage of a source that supports a record: a W3C Web Annotation TextQuoteSelector.

    The build resolves it to character offsets (a TextPositionSelector) in the seed text.
    """

    source: SourceId
    """Id of the source (table sources) the quote is taken from."""
    quote: Text
    """The supporting text, verbatim. Matching ignores differences in runs of white space
    (including no-break spaces) and typographic versus straight quotes; the exported quote
    is always the exact slice of the seed."""
    prefix: Text | None = None
    """Text just before the quote, to pick one of several occurrences."""
    suffix: Text | None = None
    """Text just after the quote, to pick one of several occurrences."""
    occurrence: Annotated[int, Field(ge=1)] | None = None
    """Which occurrence (1 = first) of the quote is meant, when it occurs more than once."""
    fields: list[Text] = []
    """The record's fields this passage supports; empty means the record as a whole."""
    note: Text | None = None
    """How the passage supports the record, where that is not obvious (e.g. how a date was resolved)."""


class Claim(Model):
    """One value claimed for one field of a record, when sources disagree (cf. Wikidata's ranked claims)."""

    field: Text
    """The record's field this claim is about (e.g. ``date``, ``established``), or a field of one
    item of a list, as ``<list>.<field>`` (e.g. ``memberships.until``) with ``item``."""
    item: Slug | None = None
    """For a claim about a list item's field: the id that picks the item out of its list (the
    value of its reference column, e.g. the organisation of a membership)."""
    value: Text
    """The claimed value, written as the field would hold it; ``(absent)`` claims that an
    optional field has no value (e.g. no ``until``: still a member)."""
    rank: Rank = Rank.normal
    """``preferred`` fills the field; ``normal`` and ``deprecated`` are kept with their evidence."""
    attributed_by_id: ActorId | None = None
    """Who, according to the source, makes this claim (table actors), where it is someone's
    attribution rather than the source's own statement."""
    note: Text | None = None
    """Why this claim is ranked as it is."""
    evidence: Annotated[list[Evidence], Field(min_length=1), Shared("evidence")]
    """The passages that make this claim."""


class InferenceUse(Model):
    """A record's values that rest on an inference (table inferences), rather than on their own evidence."""

    inference_id: InferenceId
    """The inference (table inferences)."""
    fields: list[Text] = []
    """The record's fields that rest on it (e.g. ``date``); empty means the record as a whole."""


class External(Model):
    """Facts from outside the seeds (enrichment). Never required; never checked against the seeds."""

    wikidata: Annotated[str, StringConstraints(pattern=r"^Q[1-9][0-9]*$")] | None = None
    """Wikidata item id (outside the seeds)."""
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    """WGS 84 latitude in decimal degrees (outside the seeds)."""
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    """WGS 84 longitude in decimal degrees (outside the seeds)."""


class Record(Model):
    """What every record has: an id, notes, competing claims and evidence."""

    table: ClassVar[str]
    """The table (and ``dataset/<table>/`` folder) of this kind of record."""
    key: ClassVar[str]
    """The column that names a record of this kind in its link tables (e.g. ``event_id``)."""

    id: Slug
    """Stable identifier: a lowercase slug equal to the file name, never reused."""
    notes: Text | None = None
    """Curators' notes: reasoning, caveats, what the sources leave open."""
    claims: Annotated[list[Claim], Shared("claims")] = []
    """Competing claims for single fields, each with its evidence and rank."""
    evidence: Annotated[list[Evidence], Field(min_length=1), Shared("evidence")]
    """Passages of the sources that support this record (at least one)."""
    inferences: Annotated[list[InferenceUse], Shared("inference_uses")] = []
    """Inferences (table inferences) that values of this record rest on, with the fields they give."""


# --- sources ---------------------------------------------------------------------------


class Outlet(Model):
    """A media outlet that published or republished a source."""

    actor_id: ActorId
    """The outlet (table actors)."""
    role: OutletRole
    """What the outlet did with the text."""


class Author(Model):
    """A person credited on a source."""

    actor_id: ActorId
    """The person (table actors)."""
    role: AuthorRole = AuthorRole.author
    """What the person did."""


class Source(Record):
    """One source document: a seed file under ``seeds/``, byte for byte."""

    table: ClassVar[str] = "sources"
    key: ClassVar[str] = "source_id"

    file: Annotated[str, StringConstraints(pattern=r"^seeds/[^/]+$")]
    """Path of the seed file from the repository root."""
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    """SHA-256 of the seed file's bytes; validation fails if the file changes."""
    title: Text
    """The headline, as printed."""
    kind: SourceKind
    """What sort of text this is."""
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
    """ISO 639-1 code of the text's language."""
    published: EDTFDate | None = None
    """When the original publisher published it (EDTF; ``?`` when inferred)."""
    republished: EDTFDate | None = None
    """When a republisher published it again (EDTF)."""
    date_note: Text | None = None
    """How the dates were established, when the text does not state them outright."""
    outlets: Annotated[list[Outlet], Link("source_outlets")] = []
    """Outlets that published or republished the text."""
    authors: Annotated[list[Author], Link("source_authors")] = []
    """People credited on the text."""
    evidence: Annotated[list[Evidence], Shared("evidence")] = []  # sources may cite nothing
    """Passages of the source itself that support its metadata (optional for sources)."""


# --- places -----------------------------------------------------------------------------


class Place(Record):
    """A place the sources name: a country, region, valley, city, town or site."""

    table: ClassVar[str] = "places"
    key: ClassVar[str] = "place_id"

    name: Text
    """The name in its most common English form in the sources."""
    aliases: list[Text] = []
    """Every other spelling the sources use."""
    kind: PlaceKind
    """What sort of place this is."""
    country: Country | None = None
    """ISO 3166-1 alpha-3 code of the country the place is in (or is)."""
    parent_id: PlaceId | None = None
    """The place this one lies in (table places)."""
    external: External | None = None
    """Facts from outside the seeds."""


# --- actors -----------------------------------------------------------------------------


class Membership(Model):
    """A role an actor holds in an organisation or state over time (Popolo's membership)."""

    organisation_id: ActorId
    """The organisation, body or state (table actors)."""
    role: Text
    """The role or office, as the sources name it (e.g. "President", "Defence Minister", "member")."""
    since: EDTFDate | None = None
    """When the role began (EDTF), if the sources say."""
    until: EDTFDate | None = None
    """When the role ended (EDTF), if the sources say."""
    note: Text | None = None
    """What the sources say about the role's dates."""
    attributed_by_id: ActorId | None = None
    """Who the source says attributes this role, where it is only their claim (table actors)."""


class Actor(Record):
    """A person, organisation, state, government body, armed group, alliance or outlet."""

    table: ClassVar[str] = "actors"
    key: ClassVar[str] = "actor_id"

    name: Text
    """The name in its most common English form in the sources."""
    aliases: list[Text] = []
    """Every other spelling, transliteration and acronym the sources use."""
    kind: ActorKind
    """What sort of actor this is."""
    country: Country | None = None
    """ISO 3166-1 alpha-3 code: a person's nationality, a body's state, a state itself."""
    description: Text | None = None
    """Who or what this is, as the sources describe it."""
    memberships: Annotated[list[Membership], Link("memberships")] = []
    """Roles held in organisations or states over time."""
    external: External | None = None
    """Facts from outside the seeds."""


# --- events -----------------------------------------------------------------------------


class Participant(Model):
    """An actor taking part in an event, and how."""

    actor_id: ActorId
    """The actor (table actors)."""
    role: ParticipantRole
    """How the actor took part."""
    attributed_by_id: ActorId | None = None
    """Who the source says attributes this role (table actors), where the role is only their
    claim (e.g. the Kyrgyz authorities); the role is then an ``alleged-*`` one."""


class Relation(Model):
    """A typed link from an event to another event."""

    event_id: EventId
    """The related event (table events)."""
    relation: EventRelation
    """How this event relates to that one."""


class Event(Record):
    """Something that happened, was planned, foiled or alleged, as the sources report it."""

    table: ClassVar[str] = "events"
    key: ClassVar[str] = "event_id"

    title: Text
    """A short title written by the curators."""
    summary: Text | None = None
    """What happened, in the curators' words, faithful to the sources."""
    kind: EventKind
    """What sort of event this is."""
    status: EventStatus = EventStatus.occurred
    """Whether it happened, was planned, foiled, alleged or proposed."""
    date: EDTFDate | None = None
    """When (EDTF). ``?`` marks an inferred or uncertain date, ``~`` a vague one. A planned or
    foiled event carries the date it was planned for; empty when no source dates it."""
    date_note: Text | None = None
    """How the date was established (e.g. a relative date resolved against the publication date)."""
    place_id: PlaceId | None = None
    """Where (table places)."""
    participants: Annotated[list[Participant], Link("event_participants")] = []
    """Actors taking part, with their roles."""
    related: Annotated[list[Relation], Link("event_relations")] = []
    """Typed links to other events."""
    aggregate: bool = False
    """Whether other events are parts of this one (``part-of`` points here). To count each
    occurrence once, count the events whose ``aggregate`` is false."""


# --- bases ------------------------------------------------------------------------------


class Operator(Model):
    """Who operated a base over a period."""

    actor_id: ActorId
    """The operating state or body (table actors)."""
    since: EDTFDate | None = None
    """From when (EDTF), if the sources say."""
    until: EDTFDate | None = None
    """Until when (EDTF), if the sources say."""
    note: Text | None = None
    """What the sources say about this period."""


class MilitaryBase(Record):
    """A military base."""

    table: ClassVar[str] = "bases"
    key: ClassVar[str] = "base_id"

    name: Text
    """The base's name in its most common form in the sources."""
    aliases: list[Text] = []
    """Every other name the sources use."""
    kind: BaseKind
    """What sort of base."""
    host_country: Country
    """ISO 3166-1 alpha-3 code of the country the base is in."""
    place_id: PlaceId | None = None
    """The place where the base is, or that the sources locate it by (table places)."""
    operators: Annotated[list[Operator], Link("base_operators")] = []
    """Who operated the base, over time."""
    established: EDTFDate | None = None
    """When the base was opened (EDTF)."""
    closed: EDTFDate | None = None
    """When its operator closed it or handed it over (EDTF)."""
    status: BaseStatus
    """The base's status as of the latest source."""
    external: External | None = None
    """Facts from outside the seeds."""


# --- statements --------------------------------------------------------------------------


class Statement(Record):
    """What someone said: a direct quote, a paraphrase, or a quote reported by a third party."""

    table: ClassVar[str] = "statements"
    key: ClassVar[str] = "statement_id"

    speaker_id: ActorId
    """Who said it (table actors)."""
    quote: Text
    """The words, verbatim from the source (for a paraphrase, the source's own wording)."""
    kind: StatementKind
    """Direct quote, paraphrase, or reported."""
    date: EDTFDate | None = None
    """When it was said (EDTF)."""
    date_note: Text | None = None
    """How the date was established."""
    setting_id: EventId | None = None
    """The event at which it was said (table events)."""
    reported_by_id: ActorId | None = None
    """Who passed it on: a news agency, an outlet, an author (table actors)."""


# --- figures ----------------------------------------------------------------------------


class Figure(Record):
    """A number stated in a source: best estimate and bounds, as printed, about a record."""

    table: ClassVar[str] = "figures"
    key: ClassVar[str] = "figure_id"

    measure: Measure
    """What is counted or measured."""
    value: float | None = None
    """Best estimate, where the text gives one number (UCDP's ``best``)."""
    low: float | None = None
    """Lowest figure the text supports."""
    high: float | None = None
    """Highest figure the text supports."""
    qualifier: Qualifier
    """How the text hedges the number."""
    unit: Unit
    """Unit of value, low and high."""
    text: Text
    """The number as printed (e.g. "at least 350", "a few thousand (2000 to 4000)")."""
    subject_table: RecordTable
    """Table of the record the figure is about."""
    subject_id: Annotated[Slug, PolyRef("subject_table")]
    """Id of the record the figure is about."""
    claimed_by_id: ActorId | None = None
    """Who states the figure (table actors), when the source attributes it."""
    as_of: EDTFDate | None = None
    """When the figure applies (EDTF)."""
    date_note: Text | None = None
    """How as_of was established."""
    rank: Rank = Rank.normal
    """Among figures that disagree about the same subject and measure, ``preferred`` marks the best supported."""
    alternatives: Annotated[list[FigureId], Link(item_column="alternative_id")] = []
    """Other figures (table figures) for the same subject and measure that disagree with this one."""


# --- inferences --------------------------------------------------------------------------


class Inference(Record):
    """A chain of reasoning the curators rely on, stated once (e.g. how a year the text leaves out
    was inferred), with its evidence and caveats; records cite it for the values that rest on it."""

    table: ClassVar[str] = "inferences"
    key: ClassVar[str] = "inference_id"

    conclusion: Text
    """What the reasoning concludes."""
    reasoning: Text
    """The steps of the reasoning, in the curators' words, each backed by the evidence."""
    caveats: Text | None = None
    """What the reasoning assumes, and what would make it wrong."""


class Tombstone(Model):
    """A retired id (``dataset/tombstones.yaml``): the record was removed or merged. Ids are never reused."""

    table: RecordTable
    """Table the id belonged to."""
    id: Slug
    """The retired id."""
    replaced_by: Slug | None = None
    """The record (same table) that replaced it, if any."""
    reason: Text
    """Why it was retired."""


#: The record kinds, in the order of the tables in the data package.
RECORDS: tuple[type[Record], ...] = (Source, Place, Actor, Event, MilitaryBase, Statement, Figure, Inference)

#: table name -> model
TABLES: dict[str, type[Record]] = {m.table: m for m in RECORDS}

if set(TABLES) != {t.value for t in RecordTable}:  # not an assert: it must survive python -O
    raise TypeError(f"RecordTable {sorted(t.value for t in RecordTable)} must list the tables {sorted(TABLES)}")
