"""Errors as data.

Every problem casd finds is an :class:`Issue`: a stable kebab-case ``code`` from
:data:`CODES`, a message rendered from that code's template, and the place it
points at (``path:line:col`` and, where known, the field). Checks collect issues;
the CLI renders them as text, JSON or GitHub annotations. Nothing here prints.

Exceptions have one root, :class:`CasdError`, with few subclasses.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Iterable

#: code -> (message template, what it means). Codes are stable: tools may match on them.
CODES: dict[str, tuple[str, str]] = {
    # reading files
    "file-unreadable": ("cannot read file: {reason}", "The file could not be read or is not UTF-8."),
    "yaml-syntax": ("YAML syntax error: {reason}", "The file is not well-formed YAML."),
    "yaml-duplicate-key": ("duplicate key {key!r} (first at line {first_line})", "A mapping repeats a key; YAML would silently keep only one."),
    "yaml-anchor": ("anchors and aliases are not allowed ({name!r})", "Anchors/aliases hide shared data and allow expansion bombs."),
    "yaml-tag": ("tags are not allowed ({tag!r})", "Explicit tags would construct objects or change types."),
    "yaml-multi-document": ("a record file holds exactly one YAML document", "Found a second document (---)."),
    "yaml-null": ("null value ({text!r}): omit the key instead", "A missing value is an omitted key; null, ~ and empty values are refused."),
    "yaml-not-mapping": ("a record must be a mapping of fields, got {kind}", "The document's top level is not a mapping."),
    "yaml-non-string-key": ("keys must be plain strings", "A mapping key is itself a list or mapping."),
    # per record
    "unknown-table": ("{table!r} is not a table (expected one of: {expected})", "Record files live in dataset/<table>/<id>.yaml."),
    "bad-file-name": ("file name {name!r} is not a valid id (lowercase slug, .yaml)", "Record file names are ids plus .yaml."),
    "id-mismatch": ("id {id!r} differs from the file name {stem!r}", "A record's id must equal its file name."),
    "missing-field": ("missing required field {field!r}", "A required field is absent."),
    "unknown-field": ("unknown field {field!r}", "Fields not in the model are refused (typos would be lost)."),
    "invalid-value": ("{field}: {reason}", "A field's value does not fit its type, format or vocabulary."),
    "rule-violation": ("{reason}", "A rule across fields of one record is broken."),
    # across records
    "dangling-reference": ("{field}: no {table} record {id!r}", "A reference names a record that does not exist."),
    "tombstoned-id": ("id {id!r} was retired: {reason}", "A retired id can never be used again."),
    "missing-tombstone": ("{table} record {id!r} was published in {version} and is gone: add it to dataset/tombstones.yaml", "Published ids live forever; a removed record leaves a tombstone."),
    "id-table-change": ("id {id!r} belonged to table {old!r} in release {version}", "An id never moves between tables."),
    "source-file-missing": ("source file {file!r} does not exist", "A source record names a seed file that is not there."),
    "source-hash-mismatch": ("sha256 of {file!r} is {actual}, record says {expected}", "The seed file changed, or the record is wrong."),
    "quote-not-found": ("quote not found in {source!r}: {quote!r}", "Evidence must be verbatim text of its source."),
    "quote-ambiguous": ("quote occurs {count} times in {source!r}; add prefix, suffix or occurrence", "A quote that occurs more than once needs a disambiguator."),
    "quote-occurrence": ("occurrence {occurrence} requested but the quote occurs {count} times in {source!r}", "The occurrence number is out of range."),
    "statement-quote-unsupported": ("statement quote is not inside any of its evidence quotes", "A statement's quote must be part of the text its evidence cites."),
    # build and release
    "build-stale": ("committed build is stale: {reason}", "Run `casd build` and commit the result."),
    "schema-drift": ("{file} is out of date", "Run `casd schema` and commit the result."),
    "release-exists": ("release {version} exists with different content", "A published release is never rewritten."),
    "checksum-mismatch": ("{file}: sha256 {actual}, expected {expected}", "A file differs from its recorded checksum."),
}


@dataclass(frozen=True, order=True)
class Issue:
    """One problem, located. Sorted by place so output is stable."""

    path: str
    line: int
    col: int
    code: str
    message: str
    field: str = ""

    def text(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code}: {self.message}"

    def github(self) -> str:
        msg = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::error file={self.path},line={self.line},col={self.col},title={self.code}::{msg}"


def issue(code: str, path: str, line: int = 1, col: int = 1, **params: object) -> Issue:
    """Make an issue from a code's template (KeyError on an unknown code: codes are a closed set).

    A ``field`` parameter, if given, is also kept as the issue's field.
    """
    template, _ = CODES[code]
    return Issue(str(path), int(line), int(col), code, template.format(**params), str(params.get("field", "")))


def render(issues: Iterable[Issue], fmt: str = "text") -> str:
    """Render issues as ``text`` (one ``path:line:col: code: message`` a line), ``json`` or ``github``."""
    items = sorted(issues)
    if fmt == "json":
        return json.dumps([asdict(i) for i in items], indent=2, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(i.github() for i in items)
    if fmt == "text":
        return "\n".join(i.text() for i in items)
    raise ValueError(f"unknown format {fmt!r}")


class CasdError(Exception):
    """Root of every exception casd raises on purpose."""


class ValidationFailed(CasdError):
    """The dataset has issues; nothing was written."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(issues)
        super().__init__(f"{len(self.issues)} problem(s) found")


class IntegrityError(CasdError):
    """A file does not match its recorded checksum, or a release would be rewritten."""
