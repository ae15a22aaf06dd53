"""Controlled vocabularies: every allowed value with its definition, declared once.

Each vocabulary is a :class:`Vocabulary` (a ``StrEnum``) whose members carry their
definition: the models type fields with them, and the codebook, the table schemas'
``categories`` and the editors' JSON Schemas print the definitions. Values are stable
kebab-case; adding a value is a minor change to the data package, removing or renaming
one is major.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Self


class Vocabulary(StrEnum):
    """A closed set of kebab-case values, each with a definition."""

    definition: str

    def __new__(cls, value: str, definition: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.definition = definition
        return member

    @classmethod
    def definitions(cls) -> dict[str, str]:
        """value -> definition, in declaration order."""
        return {m.value: m.definition for m in cls}


class SourceKind(Vocabulary):
    """What sort of text a source is."""

    news_article = "news-article", "A news report by a news organisation."
    blog_post = "blog-post", "A post on a blog, including blogs hosted by news organisations."
    analysis = "analysis", "An analysis or opinion piece interpreting events."


class OutletRole(Vocabulary):
    """What an outlet did with a source's text."""

    original_publisher = "original-publisher", "The outlet that first published the text."
    republisher = "republisher", "An outlet that republished the text with credit to the original."
    host = "host", "The site or blog on which the text appears."


class AuthorRole(Vocabulary):
    """What a person credited on a source did."""

    author = "author", "Wrote the text."
    poster = "poster", "Posted or republished the text on a site without being its author."


class PlaceKind(Vocabulary):
    """What sort of place a place is."""

    country = "country", "A sovereign state's territory."
    region = "region", "A sub-national or supra-national region (a province, oblast, or a region such as Central Asia)."
    valley = "valley", "A valley named as a geographic region."
    city = "city", "A city, including capitals."
    town = "town", "A town or village."
    site = "site", "A specific site: a building, a facility, a border crossing."
    border = "border", "A border between two countries, as a place."


class ActorKind(Vocabulary):
    """What sort of actor an actor is."""

    person = "person", "A named individual."
    state = "state", 'A sovereign state acting as a whole ("Russia", "Kyrgyzstan", "Moscow" used for the Russian state).'
    government = "government", 'A state\'s government or administration as such ("the government of Kyrgyzstan").'
    government_body = "government-body", "A ministry, agency, committee, security service, military or other body of a state."
    armed_group = "armed-group", "A non-state armed or militant group, including terrorist organisations."
    alliance = "alliance", "An intergovernmental organisation or military alliance (CSTO, SCO, NATO, CIS, EU)."
    media_outlet = "media-outlet", "A news agency, newspaper, broadcaster, magazine or blog."
    research_organisation = "research-organisation", "A think tank, research centre or university."
    political_movement = "political-movement", "A political movement or uprising treated as an actor."
    group = "group", 'An unnamed or loosely defined group of people ("xenophobic groups in Russia").'
    intergovernmental_body = (
        "intergovernmental-body",
        "A body, agency or section of an intergovernmental organisation (the CIS Antiterrorism Center, the United Nations Cartographic Section).",
    )


class EventKind(Vocabulary):
    """What sort of event an event is."""

    armed_clash = "armed-clash", "Fighting between armed forces and militants, including shootouts during a raid."
    security_operation = "security-operation", "A raid, counter-terrorism operation or arrest operation by state forces."
    attack = "attack", "An attack by an armed group, carried out, planned or foiled (see status)."
    ethnic_violence = "ethnic-violence", "Riots, pogroms or communal violence between groups."
    arrest = "arrest", "An arrest, detention or capture of a person."
    sentence = "sentence", "A court sentence or the loss of an appeal."
    release = "release", "A release from prison."
    pledge = "pledge", "A pledge of allegiance or declaration of support by one group for another."
    meeting = "meeting", "A bilateral meeting or talks between officials."
    negotiation = "negotiation", "Ongoing talks toward an agreement."
    summit = "summit", "A multilateral summit of states or an alliance."
    visit = "visit", "An official trip or visit abroad."
    press_conference = "press-conference", "A press conference or remarks to reporters."
    announcement = "announcement", "A public announcement or declaration by a government or body."
    agreement = "agreement", "An agreement, pact or commitment between parties, including pledges of aid."
    aid_delivery = "aid-delivery", "A delivery of weapons, equipment or aid."
    base_opening = "base-opening", "The opening or establishment of a military base."
    base_closure = "base-closure", "The closure of a military base or its handover to the host country."
    deployment = "deployment", "A deployment or stationing of military units or equipment."
    military_exercise = "military-exercise", "A military exercise or joint manoeuvres."
    award = "award", "An award or honour given to someone."
    diplomatic_protest = "diplomatic-protest", "A formal diplomatic protest, such as summoning a diplomat."
    ban = "ban", "A ban or order to take down content."
    publication = "publication", "The publication or release of a report, video or article."
    defection = "defection", "A person leaving their post or side to join another."
    invasion = "invasion", "An invasion or military offensive into a territory."
    revolution = "revolution", "A revolution, uprising or overthrow of a government."
    election = "election", "An election."
    resignation = "resignation", "A resignation from office."
    appointment = "appointment", "An appointment to an office or post."
    flight = "flight", "A person fleeing a country."
    legislation = "legislation", "A law, concept or legal act signed or adopted."
    policy = "policy", "A policy crafted or pursued by a government short of a law (e.g. monitoring rules for NGOs)."
    withdrawal = "withdrawal", "A withdrawal of military forces, or a state leaving an alliance."
    terrorist_attack = "terrorist-attack", "A terrorist attack such as the 9/11 attacks."
    charge = "charge", "Criminal charges brought against a person."
    remarks = "remarks", "Public remarks, a speech or a warning by an official, where no press conference is reported."
    infiltration = "infiltration", "Militants entering or penetrating a territory, short of an open offensive."
    denunciation = "denunciation", "The unilateral renunciation or termination of a treaty or agreement by one party."
    pressure_campaign = (
        "pressure-campaign",
        "Efforts by a state to press another party into a course of action (e.g. to evict a base).",
    )
    incident = "incident", "An incident or series of incidents not otherwise classified (e.g. fuel dumping by aircraft)."
    funding = "funding", "An allocation or increase of money for a purpose (e.g. infrastructure at a base)."
    recruitment = (
        "recruitment",
        "Recruitment of fighters by an armed group, or people travelling abroad to fight or to join one (e.g. to fight in Syria).",
    )


class EventStatus(Vocabulary):
    """Whether an event happened, as its sources report it."""

    occurred = "occurred", "The event happened, as the source reports it."
    ongoing = "ongoing", "The event was under way at the time of the source."
    planned = "planned", "The event was planned or announced but had not happened at the time of the source."
    foiled = "foiled", "An attack or plan that was prevented."
    alleged = "alleged", "The event is claimed by someone but the source treats it as unconfirmed."
    proposed = "proposed", "Someone called for the event; it was not yet agreed."


class ParticipantRole(Vocabulary):
    """How an actor took part in an event."""

    agent = "agent", "Carried out the event (the raiding force, the attacker, the one who announced)."
    target = "target", "Was targeted by the event."
    alleged_perpetrator = (
        "alleged-perpetrator",
        'Named as responsible for an attack or plan by an attribution the source reports as unconfirmed ("reportedly").',
    )
    alleged_agent = (
        "alleged-agent",
        "Named as having carried out the event (an announcement, an entry, an act other than an attack) by an attribution the source reports as unconfirmed.",
    )
    alleged_affiliate = (
        "alleged-affiliate",
        "The group those involved allegedly belonged to, by an attribution the source reports as unconfirmed.",
    )
    intended_target = "intended-target", "Was to be targeted by a planned or foiled attack."
    perpetrator = "perpetrator", "Planned or carried out an attack."
    leader = "leader", "Led a group taking part in the event."
    victim = "victim", "Was harmed, killed or detained in the event."
    participant = "participant", "Took part without a more specific role."
    host = "host", "Hosted the event."
    speaker = "speaker", "Spoke at the event."
    recipient = "recipient", "Received something (an award, aid, a pledge)."
    subject = "subject", "The event was about this actor."
    member = "member", "Took part as a member of a group or alliance."
    reporter = "reporter", "Reported or announced the event."
    party = "party", "Was a party to an agreement or negotiation."
    instigator = "instigator", "Brought the event about by influence or pressure without carrying it out."


class EventRelation(Vocabulary):
    """How one event relates to another."""

    part_of = "part-of", "This event is part of the related (larger) event."
    follows = "follows", "This event follows from or comes after the related event."
    response_to = "response-to", "This event responds to the related event."
    precedes = "precedes", "This event precedes the related event."
    related = "related", "The events are related in a way the source does not specify."
    foiled_by = "foiled-by", "This planned event (e.g. an attack) was prevented by the related event (e.g. a raid)."


class BaseKind(Vocabulary):
    """What sort of military base."""

    air_base = "air-base", "A military air base."
    military_base = "military-base", "A military installation not otherwise specified."
    transit_center = "transit-center", "A military transit centre for personnel and cargo."


class BaseStatus(Vocabulary):
    """A base's status as of the latest source."""

    active = "active", "In use by its operator at the time of the latest source."
    closed = "closed", "Closed by its operator."
    handed_over = "handed-over", "Handed over to another operator (usually the host country)."


class StatementKind(Vocabulary):
    """Whose words a statement gives, and how."""

    direct_quote = "direct-quote", "The speaker's words in quotation marks, verbatim."
    paraphrase = "paraphrase", "The source reports what the speaker said in its own words."
    reported = "reported", "A quotation passed on by a third party (a news agency, another article)."


class Measure(Vocabulary):
    """What a figure counts or measures."""

    fighters = "fighters", "Number of people fighting for an armed group (including foreign fighters)."
    recruits = "recruits", "Number of people who left to join an armed group."
    militants_killed = "militants-killed", "Number of militants killed."
    security_wounded = "security-wounded", "Number of members of security forces wounded."
    detained = "detained", "Number of people detained or captured."
    deaths = "deaths", "Number of people killed in an episode of violence."
    civilian_casualties = "civilian-casualties", "Number of civilians killed or wounded."
    military_aid_value = "military-aid-value", "Value of military aid, weapons or equipment."
    equipment_tonnage = "equipment-tonnage", "Mass of military equipment delivered."
    explosives_mass = "explosives-mass", "Mass of explosive material."
    distance = "distance", "A distance between two places."
    base_count = "base-count", "Number of military bases."
    duration = "duration", "Length of a period."
    refugees = "refugees", "Number of people who fled as refugees."
    read_count = "read-count", "Number of times a web page was read."
    comment_count = "comment-count", "Number of comments or contributions on a page."
    migrants = "migrants", "Number of migrants living or working abroad."
    weapons_seized = "weapons-seized", "Number of weapons seized by security forces."
    operation_count = "operation-count", "Number of separate raids or security operations."


class Qualifier(Vocabulary):
    """How a source hedges a number."""

    exact = "exact", "The number as stated, without hedging."
    at_least = "at-least", 'A lower bound ("at least 350").'
    over = "over", 'Strictly more than the number ("over $1 billion").'
    about = "about", 'An approximation ("about", "some 40 kilometers").'
    range = "range", "A range between two numbers (low and high)."
    up_to = "up-to", 'An upper bound ("as high as several hundred").'
    unspecified = "unspecified", 'A vague quantity ("several", "a few hundred") with no stated number.'


class Unit(Vocabulary):
    """The unit of a figure."""

    people = "people", "Persons."
    usd = "usd", "US dollars."
    tonnes = "tonnes", "Metric tons."
    kg = "kg", "Kilograms."
    km = "km", "Kilometres."
    bases = "bases", "Military bases."
    years = "years", "Years."
    months = "months", "Months."
    reads = "reads", "Page reads."
    comments = "comments", "Comments or forum contributions."
    weapons = "weapons", "Weapons (firearms) counted one by one."
    operations = "operations", "Raids or security operations counted one by one."


class Rank(Vocabulary):
    """How the curators rank a claim or figure among those that disagree."""

    preferred = "preferred", "The claim the curators rank best supported; it fills the field."
    normal = "normal", "A claim kept with its evidence, not preferred."
    deprecated = "deprecated", "A claim kept for the record but believed wrong by its own source."


class RecordTable(Vocabulary):
    """The tables of records."""

    sources = "sources", "The source documents."
    places = "places", "Places named in the sources."
    actors = "actors", "People, organisations, states and groups."
    events = "events", "Events."
    bases = "bases", "Military bases."
    statements = "statements", "What someone said."
    figures = "figures", "Numbers stated in the sources."
    inferences = "inferences", "Reasoning the curators rely on, stated once."



class DatePrecision(Vocabulary):
    """How precise an EDTF date is (the ``*_precision`` columns)."""

    day = "day", "A single day."
    month = "month", "A month; the day is not given (2015-07, 2015-07-XX)."
    year = "year", "A year; month and day are not given (2015, 2015-XX)."
    decade = "decade", "A decade (201X)."
    century = "century", "A century (20XX)."
    day_unknown_year = "day-unknown-year", "Month and day are known, the year is not (XXXX-MM-DD)."
    month_unknown_year = "month-unknown-year", "The month is known, the year is not (XXXX-MM)."
    interval = "interval", "An interval between two dates (see start and end)."


class ConflictKind(Vocabulary):
    """What kind of disagreement a conflict row belongs to."""

    claims = "claims", "Ranked claims of different values for one field of one record (or of one list item)."
    figures = "figures", "Figures about the same subject and measure, linked as alternatives, that disagree."

#: every vocabulary, by name, in declaration order (the codebook's order)
VOCABULARIES: dict[str, type[Vocabulary]] = {v.__name__: v for v in Vocabulary.__subclasses__()}


@cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-3 code -> English short name (from the iso-codes project, shipped as data)."""
    text = resources.files("casd").joinpath("data/iso3166-1.tsv").read_text(encoding="utf-8")
    return dict(line.split("\t", 1) for line in text.splitlines() if line)
