"""Dataset metadata (``dataset/package.yaml``): title, description, keywords, licences, contributors.

Validated like the records; it fills the Data Package descriptor, the citation, the
release README and the datasheet.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from .records import Model
from .types import Text


class Contributor(Model):
    """A person or organisation credited for the dataset (a Data Package contributor)."""

    title: Text
    """The contributor's name."""
    roles: list[Text] = []
    """Roles, e.g. ``creator``, ``contributor`` (Data Package v2)."""


class License(Model):
    """A licence of the data (a Data Package licence)."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.+-]+$")]
    """SPDX identifier, e.g. ``CC-BY-4.0``."""
    path: Text
    """URL of the licence text."""
    title: Text
    """Human-readable title, saying what it covers."""


class PackageMeta(Model):
    """Describes the dataset as a whole."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9._-]+$")]
    """The package name (Data Package ``name``)."""
    title: Text
    """The dataset's title."""
    description: Text
    """What the dataset is, in a paragraph."""
    keywords: list[Text] = []
    """Keywords for catalogues."""
    contributors: Annotated[list[Contributor], Field(min_length=1)]
    """Who made it."""
    licenses: Annotated[list[License], Field(min_length=1)]
    """Licences of the curated records."""
    source_rights: Text
    """Whose rights the source texts under ``seeds/`` remain, and why they are included."""
    software_license: Text
    """The SPDX identifier of the casd software's licence."""
