"""Tables computed from the records rather than curated: their rows are derived, their columns
and meanings declared here like any other model (so they reach the schemas and the codebook)."""

from __future__ import annotations

from .records import Model
from .types import FigureId, Slug, Text
from .vocab import ConflictKind, Rank, RecordTable


class Conflict(Model):
    """One side of a disagreement between sources: a ranked claim on a field, or one of a set of
    figures linked as alternatives. Every disagreement casd records appears here, one row a side."""

    conflict_id: Text
    """Identifies the disagreement: ``claims/<table>/<id>/<field>[/<item>]`` or
    ``figures/<subject table>/<subject id>/<measure>``."""
    side: int
    """Position of this side within the disagreement (1-based)."""
    kind: ConflictKind
    """Whether the sides are claims on a field or alternative figures."""
    record_table: RecordTable
    """Table of the record the sources disagree about (a figure's subject table)."""
    record_id: Slug
    """Id of the record the sources disagree about (a figure's subject)."""
    field: Text
    """The field (claims) or the measure (figures) the sources disagree on."""
    item: Slug | None = None
    """For a claim on a list item: the id that picks the item (see claims.item)."""
    value: Text
    """What this side says: the claimed value, or the figure's text as printed."""
    figure_id: FigureId | None = None
    """For a figure: the figure (table figures)."""
    claim_ordinal: int | None = None
    """For a claim: its ordinal among the record's claims (table claims)."""
    rank: Rank
    """How the curators rank this side."""
    sources: list[Text]
    """The sources (table sources) whose evidence gives this side."""
    resolved: bool
    """Whether the curators rank one side of this disagreement preferred; false means open."""
