"""Field types and the markers that declare the relational layout on the models themselves.

A field is declared once, in :mod:`casd.model.records`, and its annotation says everything
the rest of casd needs:

* :data:`EDTFDate` marks an EDTF date (the tables expand it into start, end, precision,
  uncertain and approximate columns);
* :class:`Ref` marks a reference to the ``id`` of a record of one table (validation checks it,
  the table schemas declare it as a foreign key, the codebook lists it);
* :class:`PolyRef` marks a reference whose table is named by a sibling field (``subject_table``
  + ``subject_id``): checked by casd, documented, not a Frictionless foreign key;
* :class:`Link` names the link table of a list of nested records or of references (the
  default name is ``<parent>_<field>``);
* :class:`Shared` puts a list field of every record kind into one table (claims, evidence).

:mod:`casd.model.relational` reads these markers; nothing else keeps a list of them.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from . import edtf
from .vocab import countries

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


@dataclass(frozen=True)
class Ref:
    """The field holds the ``id`` of a record of ``table``."""

    table: str


@dataclass(frozen=True)
class PolyRef:
    """The field holds the ``id`` of a record of the table named by the sibling field ``table_field``."""

    table_field: str


@dataclass(frozen=True)
class Link:
    """A list field becomes the link table ``name`` (and, for a list of references, ``item_column``)."""

    name: str | None = None
    item_column: str | None = None


@dataclass(frozen=True)
class Shared:
    """A list field of every record kind, stored in one table for all of them (``claims``,
    ``evidence``), keyed by ``record_table``, ``record_id`` and ``ordinal``."""

    name: str


@dataclass(frozen=True)
class DateMarker:
    """The field holds an EDTF date (see :mod:`casd.model.edtf`)."""


EDTF_DATE = DateMarker()


def _country(code: str) -> str:
    if code not in countries():
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 country code")
    return code


#: characters that are never data: C0/C1 controls (but tab and line ends), bidirectional
#: overrides and isolates, zero-width marks and a stray byte-order mark
_NEVER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def _clean_text(text: str) -> str:
    if not text.strip():
        raise ValueError("text must not be empty or white space only")
    bad = _NEVER.search(text)
    if bad:
        raise ValueError(f"character U+{ord(bad.group()):04X} (a control, invisible or direction-override character) at position {bad.start()} is not allowed")
    return text


Slug = Annotated[str, StringConstraints(pattern=SLUG)]
Text = Annotated[str, StringConstraints(min_length=1), AfterValidator(_clean_text)]
EDTFDate = Annotated[str, AfterValidator(edtf.check), Field(json_schema_extra={"format": "edtf"}), EDTF_DATE]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_country)]

SourceId = Annotated[Slug, Ref("sources")]
PlaceId = Annotated[Slug, Ref("places")]
ActorId = Annotated[Slug, Ref("actors")]
EventId = Annotated[Slug, Ref("events")]
FigureId = Annotated[Slug, Ref("figures")]
InferenceId = Annotated[Slug, Ref("inferences")]

#: The value of a claim that an optional field has no value ("still a member": no ``until``).
ABSENT = "(absent)"


# --- reading annotations -----------------------------------------------------------------


def metadata(annotation: Any) -> list[object]:
    """Every ``Annotated`` marker on a type, looking through ``X | None`` and nested ``Annotated``
    (but not into ``list[...]``: an item's markers belong to the item)."""
    found: list[object] = []
    if typing.get_origin(annotation) is Annotated:
        inner, *extra = typing.get_args(annotation)
        return metadata(inner) + list(extra)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found += metadata(arg)
    return found


def bare(annotation: Any) -> tuple[Any, bool]:
    """``(type without Annotated and None, whether None is allowed)``."""
    optional = False
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, optional


def list_item(annotation: Any) -> Any | None:
    """The item type of ``list[X]`` (with X's own markers), or None when it is not a list."""
    inner, _ = bare(annotation)
    if typing.get_origin(inner) is list:
        return typing.get_args(inner)[0]
    return None


def marker(annotation: Any, kind: type[Any]) -> Any | None:
    """The first marker of a kind on a type (see :func:`metadata`)."""
    return next((m for m in metadata(annotation) if isinstance(m, kind)), None)
