"""Controlled vocabularies: every allowed value with its definition.

Each vocabulary is a ``StrEnum`` (what the models type fields with) built from a
dict of ``value -> definition`` (what the codebook and the table schemas'
``categories`` print). Values are stable kebab-case; adding a value is a minor
change to the data package, removing or renaming one is major.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources

from .edtf import PRECISIONS

VOCABULARIES: dict[str, dict[str, str]] = {
    "SourceKind": {
        "news-article": "A news report by a news organisation.",
        "blog-post": "A post on a blog, including blogs hosted by news organisations.",
        "analysis": "An analysis or opinion piece interpreting events.",
    },
    "OutletRole": {
        "original-publisher": "The outlet that first published the text.",
        "republisher": "An outlet that republished the text with credit to the original.",
        "host": "The site or blog on which the text appears.",
    },
    "AuthorRole": {
        "author": "Wrote the text.",
        "poster": "Posted or republished the text on a site without being its author.",
    },
    "PlaceKind": {
        "country": "A sovereign state's territory.",
        "region": "A sub-national or supra-national region (a province, oblast, or a region such as Central Asia).",
        "valley": "A valley named as a geographic region.",
        "city": "A city, including capitals.",
        "town": "A town or village.",
        "site": "A specific site: a building, a facility, a border crossing.",
        "border": "A border between two countries, as a place.",
    },
    "ActorKind": {
        "person": "A named individual.",
        "state": "A sovereign state acting as a whole (\"Russia\", \"Kyrgyzstan\", \"Moscow\" used for the Russian state).",
        "government": "A state's government or administration as such (\"the government of Kyrgyzstan\").",
        "government-body": "A ministry, agency, committee, security service, military or other body of a state.",
        "armed-group": "A non-state armed or militant group, including terrorist organisations.",
        "alliance": "An intergovernmental organisation or military alliance (CSTO, SCO, NATO, CIS, EU).",
        "media-outlet": "A news agency, newspaper, broadcaster, magazine or blog.",
        "research-organisation": "A think tank, research centre or university.",
        "political-movement": "A political movement or uprising treated as an actor.",
        "group": "An unnamed or loosely defined group of people (\"xenophobic groups in Russia\").",
        "intergovernmental-body": "A body, agency or section of an intergovernmental organisation (the CIS Antiterrorism Center, the United Nations Cartographic Section).",
    },
    "EventKind": {
        "armed-clash": "Fighting between armed forces and militants, including shootouts during a raid.",
        "security-operation": "A raid, counter-terrorism operation or arrest operation by state forces.",
        "attack": "An attack by an armed group, carried out, planned or foiled (see status).",
        "ethnic-violence": "Riots, pogroms or communal violence between groups.",
        "arrest": "An arrest, detention or capture of a person.",
        "sentence": "A court sentence or the loss of an appeal.",
        "release": "A release from prison.",
        "pledge": "A pledge of allegiance or declaration of support by one group for another.",
        "meeting": "A bilateral meeting or talks between officials.",
        "negotiation": "Ongoing talks toward an agreement.",
        "summit": "A multilateral summit of states or an alliance.",
        "visit": "An official trip or visit abroad.",
        "press-conference": "A press conference or remarks to reporters.",
        "announcement": "A public announcement or declaration by a government or body.",
        "agreement": "An agreement, pact or commitment between parties, including pledges of aid.",
        "aid-delivery": "A delivery of weapons, equipment or aid.",
        "base-opening": "The opening or establishment of a military base.",
        "base-closure": "The closure of a military base or its handover to the host country.",
        "deployment": "A deployment or stationing of military units or equipment.",
        "military-exercise": "A military exercise or joint manoeuvres.",
        "award": "An award or honour given to someone.",
        "diplomatic-protest": "A formal diplomatic protest, such as summoning a diplomat.",
        "ban": "A ban or order to take down content.",
        "publication": "The publication or release of a report, video or article.",
        "defection": "A person leaving their post or side to join another.",
        "invasion": "An invasion or military offensive into a territory.",
        "revolution": "A revolution, uprising or overthrow of a government.",
        "election": "An election.",
        "resignation": "A resignation from office.",
        "appointment": "An appointment to an office or post.",
        "flight": "A person fleeing a country.",
        "legislation": "A law, concept or legal act signed or adopted.",
        "withdrawal": "A withdrawal of military forces, or a state leaving an alliance.",
        "terrorist-attack": "A terrorist attack such as the 9/11 attacks.",
        "charge": "Criminal charges brought against a person.",
        "remarks": "Public remarks, a speech or a warning by an official, where no press conference is reported.",
        "infiltration": "Militants entering or penetrating a territory, short of an open offensive.",
        "denunciation": "The unilateral renunciation or termination of a treaty or agreement by one party.",
        "pressure-campaign": "Efforts by a state to press another party into a course of action (e.g. to evict a base).",
        "incident": "An incident or series of incidents not otherwise classified (e.g. fuel dumping by aircraft).",
        "funding": "An allocation or increase of money for a purpose (e.g. infrastructure at a base).",
        "recruitment": "Recruitment of fighters by an armed group, or people travelling abroad to fight or to join one (e.g. to fight in Syria).",
    },
    "EventStatus": {
        "occurred": "The event happened, as the source reports it.",
        "ongoing": "The event was under way at the time of the source.",
        "planned": "The event was planned or announced but had not happened at the time of the source.",
        "foiled": "An attack or plan that was prevented.",
        "alleged": "The event is claimed by someone but the source treats it as unconfirmed.",
        "proposed": "Someone called for the event; it was not yet agreed.",
    },
    "ParticipantRole": {
        "agent": "Carried out the event (the raiding force, the attacker, the one who announced).",
        "target": "Was targeted by the event.",
        "alleged-perpetrator": "Named as responsible for an attack or plan by an attribution the source reports as unconfirmed (\"reportedly\").",
        "alleged-affiliate": "The group those involved allegedly belonged to, by an attribution the source reports as unconfirmed.",
        "intended-target": "Was to be targeted by a planned or foiled attack.",
        "perpetrator": "Planned or carried out an attack.",
        "leader": "Led a group taking part in the event.",
        "victim": "Was harmed, killed or detained in the event.",
        "participant": "Took part without a more specific role.",
        "host": "Hosted the event.",
        "speaker": "Spoke at the event.",
        "recipient": "Received something (an award, aid, a pledge).",
        "subject": "The event was about this actor.",
        "member": "Took part as a member of a group or alliance.",
        "reporter": "Reported or announced the event.",
        "party": "Was a party to an agreement or negotiation.",
        "instigator": "Brought the event about by influence or pressure without carrying it out.",
    },
    "EventRelation": {
        "part-of": "This event is part of the related (larger) event.",
        "follows": "This event follows from or comes after the related event.",
        "response-to": "This event responds to the related event.",
        "precedes": "This event precedes the related event.",
        "related": "The events are related in a way the source does not specify.",
        "foiled-by": "This planned event (e.g. an attack) was prevented by the related event (e.g. a raid).",
    },
    "BaseKind": {
        "air-base": "A military air base.",
        "military-base": "A military installation not otherwise specified.",
        "transit-center": "A military transit centre for personnel and cargo.",
    },
    "BaseStatus": {
        "active": "In use by its operator at the time of the latest source.",
        "closed": "Closed by its operator.",
        "handed-over": "Handed over to another operator (usually the host country).",
    },
    "StatementKind": {
        "direct-quote": "The speaker's words in quotation marks, verbatim.",
        "paraphrase": "The source reports what the speaker said in its own words.",
        "reported": "A quotation passed on by a third party (a news agency, another article).",
    },
    "Measure": {
        "fighters": "Number of people fighting for an armed group (including foreign fighters).",
        "recruits": "Number of people who left to join an armed group.",
        "militants-killed": "Number of militants killed.",
        "security-wounded": "Number of members of security forces wounded.",
        "detained": "Number of people detained or captured.",
        "deaths": "Number of people killed in an episode of violence.",
        "civilian-casualties": "Number of civilians killed or wounded.",
        "military-aid-value": "Value of military aid, weapons or equipment.",
        "equipment-tonnage": "Mass of military equipment delivered.",
        "explosives-mass": "Mass of explosive material.",
        "distance": "A distance between two places.",
        "base-count": "Number of military bases.",
        "duration": "Length of a period.",
        "refugees": "Number of people who fled as refugees.",
        "read-count": "Number of times a web page was read.",
        "comment-count": "Number of comments or contributions on a page.",
        "migrants": "Number of migrants living or working abroad.",
        "weapons-seized": "Number of weapons seized by security forces.",
        "operation-count": "Number of separate raids or security operations.",
    },
    "Qualifier": {
        "exact": "The number as stated, without hedging.",
        "at-least": "A lower bound (\"at least 350\").",
        "over": "Strictly more than the number (\"over $1 billion\").",
        "about": "An approximation (\"about\", \"some 40 kilometers\").",
        "range": "A range between two numbers (low and high).",
        "up-to": "An upper bound (\"as high as several hundred\").",
        "unspecified": "A vague quantity (\"several\", \"a few hundred\") with no stated number.",
    },
    "Unit": {
        "people": "Persons.",
        "usd": "US dollars.",
        "tonnes": "Metric tons.",
        "kg": "Kilograms.",
        "km": "Kilometres.",
        "bases": "Military bases.",
        "years": "Years.",
        "months": "Months.",
        "reads": "Page reads.",
        "comments": "Comments or forum contributions.",
        "weapons": "Weapons (firearms) counted one by one.",
        "operations": "Raids or security operations counted one by one.",
    },
    "Rank": {
        "preferred": "The claim the curators rank best supported; it fills the field.",
        "normal": "A claim kept with its evidence, not preferred.",
        "deprecated": "A claim kept for the record but believed wrong by its own source.",
    },
    "RecordTable": {
        "sources": "The source documents.",
        "places": "Places named in the sources.",
        "actors": "People, organisations, states and groups.",
        "events": "Events.",
        "bases": "Military bases.",
        "statements": "What someone said.",
        "figures": "Numbers stated in the sources.",
    },
    "DatePrecision": dict(PRECISIONS),
}

SourceKind = StrEnum("SourceKind", {k: k for k in VOCABULARIES["SourceKind"]})
OutletRole = StrEnum("OutletRole", {k: k for k in VOCABULARIES["OutletRole"]})
AuthorRole = StrEnum("AuthorRole", {k: k for k in VOCABULARIES["AuthorRole"]})
PlaceKind = StrEnum("PlaceKind", {k: k for k in VOCABULARIES["PlaceKind"]})
ActorKind = StrEnum("ActorKind", {k: k for k in VOCABULARIES["ActorKind"]})
EventKind = StrEnum("EventKind", {k: k for k in VOCABULARIES["EventKind"]})
EventStatus = StrEnum("EventStatus", {k: k for k in VOCABULARIES["EventStatus"]})
ParticipantRole = StrEnum("ParticipantRole", {k: k for k in VOCABULARIES["ParticipantRole"]})
EventRelation = StrEnum("EventRelation", {k: k for k in VOCABULARIES["EventRelation"]})
BaseKind = StrEnum("BaseKind", {k: k for k in VOCABULARIES["BaseKind"]})
BaseStatus = StrEnum("BaseStatus", {k: k for k in VOCABULARIES["BaseStatus"]})
StatementKind = StrEnum("StatementKind", {k: k for k in VOCABULARIES["StatementKind"]})
Measure = StrEnum("Measure", {k: k for k in VOCABULARIES["Measure"]})
Qualifier = StrEnum("Qualifier", {k: k for k in VOCABULARIES["Qualifier"]})
Unit = StrEnum("Unit", {k: k for k in VOCABULARIES["Unit"]})
Rank = StrEnum("Rank", {k: k for k in VOCABULARIES["Rank"]})
RecordTable = StrEnum("RecordTable", {k: k for k in VOCABULARIES["RecordTable"]})


@cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-3 code -> English short name (from the iso-codes project, shipped as data)."""
    text = resources.files("casd").joinpath("data/iso3166-1.tsv").read_text(encoding="utf-8")
    return dict(line.split("\t", 1) for line in text.splitlines() if line)
