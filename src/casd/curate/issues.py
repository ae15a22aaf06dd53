"""Problems as data: every problem casd finds is an :class:`Issue`.

An issue has a stable kebab-case ``code`` from :data:`CODES`, a ``severity`` (``error`` or
``warning``: warnings never change an exit code), a message rendered from that code's
template, and the place it points at (``path:line:col`` and, where known, the field).
Checks collect issues; the CLI renders them as text, JSON or GitHub annotations. Nothing
here prints. ``docs/errors.md`` is generated from :data:`CODES` (``casd schema`` writes it).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from ..errors import CasdError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    """What a code means: its message template, severity, meaning and how to fix it."""

    template: str
    meaning: str
    fix: str
    severity: Severity = "error"
    group: str = "records"


def _c(template: str, meaning: str, fix: str, severity: Severity = "error", group: str = "records") -> Code:
    return Code(template, meaning, fix, severity, group)


#: code -> its definition. Codes are stable: tools may match on them.
CODES: dict[str, Code] = {
    # reading files
    "file-unreadable": _c("cannot read file: {reason}", "The file could not be read or is not UTF-8.", "Save the file as UTF-8 and check its permissions.", group="files"),
    "yaml-syntax": _c("YAML syntax error: {reason}", "The file is not well-formed YAML.", "Fix the syntax at the position shown (indentation, a missing colon, an unclosed quote).", group="files"),
    "yaml-duplicate-key": _c("duplicate key {key!r} (first at line {first_line})", "A mapping repeats a key; YAML would silently keep only one.", "Keep one of the two keys.", group="files"),
    "yaml-anchor": _c("anchors and aliases are not allowed ({name!r})", "Anchors/aliases hide shared data and allow expansion bombs.", "Write the value out in full.", group="files"),
    "yaml-tag": _c("tags are not allowed ({tag!r})", "Explicit tags would construct objects or change types.", "Remove the tag; every value is text, typed by the model.", group="files"),
    "yaml-multi-document": _c("a record file holds exactly one YAML document", "Found a second document (---).", "Move the second document to its own file.", group="files"),
    "yaml-null": _c(
        "null value ({text!r}): omit the key instead", "A missing value is an omitted key; null, ~ and empty values are refused.", "Delete the key, or quote the value if it is text.", group="files"
    ),
    "yaml-too-deep": _c(
        "lists and mappings nested deeper than {limit} levels",
        "Records nest a few levels; a deeper file is refused before it can exhaust the reader.",
        "Flatten the structure: records need at most four levels.",
        group="files",
    ),
    "stray-file": _c(
        "{name!r} is not a record file or a declared side file of dataset/",
        "Every file under dataset/ is a record (dataset/<table>/<id>.yaml) or a declared side file (package.yaml, tombstones.yaml, coverage/<source id>.yaml); nothing is silently skipped.",
        "Move the record into its table's folder, or delete the file.",
        group="files",
    ),
    "hidden-file": _c(
        "hidden file {name!r} is not read",
        "Hidden files under dataset/ (editor backups, swap files) are never records; they are reported so that a record hidden by its name is not lost silently.",
        "Delete the file, or rename it without the leading dot if it is a record.",
        "warning",
        group="files",
    ),
    "yaml-not-mapping": _c("a record must be a mapping of fields, got {kind}", "The document's top level is not a mapping.", "Write the record as `field: value` lines.", group="files"),
    "yaml-non-string-key": _c("keys must be plain strings", "A mapping key is itself a list or mapping.", "Use a plain field name as the key.", group="files"),
    # one record
    "unknown-table": _c("{table!r} is not a table{hint} (tables: {expected})", "Record files live in dataset/<table>/<id>.yaml.", "Move the folder's files into one of the tables' folders."),
    "bad-file-name": _c("file name {name!r} is not a valid id (lowercase slug, .yaml)", "Record file names are ids plus .yaml.", "Rename the file to `<id>.yaml` with a lowercase slug id."),
    "id-mismatch": _c("id {id!r} differs from the file name {stem!r}", "A record's id must equal its file name.", "Rename the file or change the id so that they agree."),
    "missing-field": _c("missing required field {field!r}", "A required field is absent.", "Add the field (see the codebook for its meaning)."),
    "unknown-field": _c("unknown field {field!r}{hint}", "Fields not in the model are refused (typos would be lost).", "Remove the field or correct its name."),
    "invalid-value": _c("{field}: {reason}", "A field's value does not fit its type, format or vocabulary.", "Give a value of the field's type; the codebook lists every vocabulary."),
    "evidence-field-unknown": _c("{name!r} is not a field of {table}", "An evidence item's `fields` names a field the record does not have.", "Name one of the record's fields, or drop the entry."),
    "claim-field-unknown": _c(
        "claim field {name!r} is not a claimable field of {table}", "A claim must be about a single field of its record (not id, claims or evidence).", "Name one of the record's fields."
    ),
    "claim-item-unknown": _c(
        "claim item {item!r} picks {count} items of {list!r}; name the id of exactly one",
        "A claim on a list item's field (`field: memberships.until`) names the item by its reference (`item: <id>`); a claim on a record field has no item.",
        "Set `item` to the id in the item's reference column (e.g. the organisation), or drop it for a record field.",
    ),
    "claim-value-invalid": _c(
        "claim value {value!r} is not a valid {field}: {reason}",
        "A claim's value is typed like the field it claims.",
        "Write the value as the field would hold it (an EDTF date, a number, a vocabulary value).",
    ),
    "claim-preferred-twice": _c("two preferred claims for {field!r} (also claim {other})", "At most one claim per field is preferred.", "Rank one of them `normal`."),
    "claim-preferred-mismatch": _c(
        "the preferred claim {value!r} must fill {field!r} (which is {current!r})",
        "The preferred claim's value is the field's value.",
        "Set the field to the preferred claim's value, or change the ranks.",
    ),
    "date-note-missing": _c(
        "{field} {value!r} is uncertain or has no year: give the reasoning in {note}",
        "An uncertain (? or %) or year-less (XXXX) date says how it was established.",
        "Add the note field named in the message with the reasoning, and cite it with evidence `fields: [date]`.",
    ),
    "date-outside-context": _c(
        "date {value!r} lies outside {other!r} ({other_date!r}), {relation}",
        "A statement falls within its setting's dates; a part of an event within the whole.",
        "Correct one of the two dates, or the link between the records.",
    ),
    "interval-reversed": _c("ends ({until!r}) before it starts ({since!r})", "A period's `until` lies before its `since`.", "Swap or correct the two dates."),
    "self-reference": _c("{field} names this record itself", "A record cannot be its own parent, related event or alternative.", "Point the reference at another record."),
    "figure-text-unsupported": _c(
        "the figure's text {text!r} must appear in one of its evidence quotes", "A figure's `text` is the number as printed in its evidence.", "Copy `text` verbatim from a quote, or extend the quote."
    ),
    "figure-range-incomplete": _c("a range needs low and high", "A figure qualified as `range` states both bounds.", "Add `low` and `high`, or change the qualifier."),
    "figure-bounds-order": _c("{bound} {value} is on the wrong side of {other} {other_value}", "low <= value <= high.", "Correct the bounds or the value."),
    "figure-alternative-mismatch": _c(
        "alternative {other!r} is about another subject or measure",
        "Alternatives disagree about the same subject and measure.",
        "Link only figures with the same subject_table, subject_id and measure.",
    ),
    "figure-alternative-one-way": _c("{other!r} does not list {id!r} back", "Alternatives are listed both ways.", "Add this figure to the other's `alternatives`."),
    "figure-both-preferred": _c("{id!r} and {other!r} are both preferred", "Among alternatives at most one is preferred.", "Rank one of them `normal`."),
    "attribution-unhedged": _c(
        "{actor!r} has role {role!r}, but the role is only an attribution ({why}): use an alleged-* role",
        "What a source only attributes to someone (attributed_by_id is set) is stored as an allegation, never as fact.",
        "Change the role to alleged-perpetrator or alleged-affiliate (or another role the text states as fact).",
    ),
    "attribution-hedged-quote": _c(
        "{actor!r} has role {role!r}, and an evidence quote that names it hedges ({word!r}): is the role only an attribution?",
        "A quote that names the participant says 'claim', 'alleged', 'reportedly' or the like: the role may be someone's claim.",
        "If the source only reports the role as a claim, use an alleged-* role and set attributed_by_id; if not, say why in notes.",
        "warning",
    ),
    "figure-alternative-overlap": _c(
        "alternative {other!r} ({other_range}) overlaps this figure ({range}): say in notes how they disagree",
        "Alternatives are figures that disagree; where their bounds overlap, the disagreement is stated in notes.",
        "Add notes saying how the figures disagree, or remove the link if they do not.",
    ),
    "aggregate-unmarked": _c(
        "events {parts} are part of this event: set `aggregate: true`",
        "An event whose parts are events too is an aggregate, so that counting events counts each occurrence once.",
        "Add `aggregate: true`.",
    ),
    "aggregate-without-parts": _c(
        "aggregate is true but no event is part of this one",
        "Only an event with parts (`part-of` relations pointing to it) is an aggregate.",
        "Remove `aggregate: true`, or relate its parts with `part-of`.",
    ),
    "direct-quote-unquoted": _c(
        "a direct quote must be the speaker's words inside quotation marks in {source!r}: {why}",
        "A direct quote holds the speaker's words only: it lies inside one pair of quotation marks of its source.",
        "Split the quote into its quoted fragments, one statement each, or make it a paraphrase.",
    ),
    "inference-field-unknown": _c(
        "{name!r} is not a field of {table}",
        "An inference use's `fields` name fields of its record.",
        "Name one of the record's fields, or drop the entry.",
    ),
    "formula-like-text": _c(
        "{field} begins with {char!r}: a spreadsheet opening the CSV may run it as a formula",
        "Text the curators write (names, notes, summaries) that begins with = + - @ is executed by spreadsheets; quotes of the sources are kept verbatim and never flagged.",
        "Reword so that the text does not begin with = + - or @ (the data in CSV and Parquet is never altered).",
        "warning",
    ),
    "statement-quote-unsupported": _c(
        "statement quote is not inside any of its evidence quotes",
        "A statement's quote must be part of the text its evidence cites.",
        "Extend an evidence quote so that it contains the statement's quote.",
    ),
    # across records
    "dangling-reference": _c("{field}: no {table} record {id!r}{hint}", "A reference names a record that does not exist.", "Correct the id, or add the record it names."),
    "tombstoned-id": _c("id {id!r} was retired: {reason}", "A retired id can never be used again.", "Choose another id."),
    "missing-tombstone": _c(
        "{table} record {id!r} was published in {version} and is gone: add it to dataset/tombstones.yaml",
        "Published ids live forever; a removed record leaves a tombstone.",
        "Restore the record, or retire its id in dataset/tombstones.yaml with a reason.",
    ),
    "id-table-change": _c("id {id!r} belonged to table {old!r} in release {version}", "An id never moves between tables.", "Give the record a new id and retire the old one."),
    # sources and evidence
    "source-file-missing": _c("source file {file!r} does not exist", "A source record names a seed file that is not there.", "Add the seed under seeds/ or correct `file`.", group="evidence"),
    "source-unreadable": _c(
        "source file {file!r} cannot be read as UTF-8 text: {reason}",
        "Seeds are regular UTF-8 text files directly under seeds/ (no symbolic links); offsets count their code points.",
        "Restore the seed's original bytes (its sha256 is in the source record).",
        group="evidence",
    ),
    "source-hash-mismatch": _c(
        "sha256 of {file!r} is {actual}, record says {expected}",
        "The seed file changed, or the record is wrong.",
        "Restore the seed byte for byte; update `sha256` only for a deliberately new seed.",
        group="evidence",
    ),
    "quote-not-found": _c(
        "quote not found in {source!r}: {quote!r}{hint}",
        "Evidence must be verbatim text of its source.",
        "Copy the quote from the seed again (only white space and quote marks may differ).",
        group="evidence",
    ),
    "quote-splits-character": _c(
        "quote in {source!r} ends or starts inside a character (a base letter and its combining mark {char}): {quote!r}",
        "Evidence is an exact slice of its seed; a slice that separates a letter from its accent would misquote it.",
        "Extend the quote to include the whole character (the letter and its accents).",
        group="evidence",
    ),
    "quote-ambiguous": _c(
        "quote occurs {count} times in {source!r}{hint}; add prefix, suffix or occurrence",
        "A quote that occurs more than once needs a disambiguator.",
        "Add `occurrence: N` (1 = first) or a `prefix`/`suffix`.",
        group="evidence",
    ),
    "quote-occurrence": _c(
        "occurrence {occurrence} requested but the quote occurs {count} times in {source!r}{hint}",
        "The occurrence number is out of range.",
        "Use an occurrence between 1 and the count.",
        group="evidence",
    ),
    # coverage lists
    "coverage-file-name": _c("coverage files are named <source id>.yaml", "dataset/coverage/ holds one reviewed list per seed.", "Rename the file after a source id, or delete it.", group="coverage"),
    "coverage-ignore-stale": _c(
        "ignore entry ({kind} {text!r}) matches no flagged item: remove it",
        "An ignore entry that no longer matches anything keeps the list from going stale.",
        "Delete the entry.",
        "warning",
        group="coverage",
    ),
    # build and release
    "table-schema": _c(
        "{table}: {problem}",
        "A built table breaks its own Frictionless table schema (types, required, unique, vocabulary, primary or foreign key): a bug in casd or in the data that validation let through.",
        "Run casd validate; if it reports nothing, report the problem (it is a bug in casd).",
        group="build",
    ),
    "build-stale": _c("committed build is stale: {reason}", "The committed build differs from a fresh one.", "Run `casd build` and commit the result.", group="build"),
    "schema-drift": _c("{file} is out of date", "A generated file under schema/ or docs/ differs from the models.", "Run `casd schema` and commit the result.", group="build"),
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
    severity: Severity = "error"

    def text(self) -> str:
        label = f"{self.code} (warning)" if self.severity == "warning" else self.code
        return f"{self.path}:{self.line}:{self.col}: {label}: {self.message}"

    def github(self) -> str:
        """A GitHub Actions workflow command; message and properties escaped as GitHub specifies."""
        msg = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        path = self.path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")
        return f"::{self.severity} file={path},line={self.line},col={self.col},title={self.code}::{msg}"


def issue(code: str, path: str, line: int = 1, col: int = 1, /, **params: object) -> Issue:
    """Make an issue from a code's template (KeyError on an unknown code: codes are a closed set).

    A ``field`` parameter, if given, is also kept as the issue's field.
    """
    c = CODES[code]
    return Issue(str(path), int(line), int(col), code, c.template.format(**params), str(params.get("field", "")), c.severity)


def errors(issues: Iterable[Issue]) -> list[Issue]:
    """Only the issues that fail a command (warnings never do)."""
    return [i for i in issues if i.severity == "error"]


FORMATS = ("text", "json", "github", "junit")


def junit(items: list[Issue], files: Iterable[str] = ()) -> str:
    """A JUnit XML report: one test case per file checked, failing with its errors (warnings as output)."""
    by_file: dict[str, list[Issue]] = {f: [] for f in files}
    for i in items:
        by_file.setdefault(i.path, []).append(i)
    if not by_file:
        by_file["dataset"] = []
    suite = ET.Element("testsuite", name="casd validate", tests=str(len(by_file)), failures=str(sum(1 for v in by_file.values() if errors(v))))
    for path, found in sorted(by_file.items()):
        case = ET.SubElement(suite, "testcase", classname="casd", name=path)
        for i in errors(found):
            failure = ET.SubElement(case, "failure", type=i.code, message=i.message)
            failure.text = i.text()
        warned = [i.text() for i in found if i.severity == "warning"]
        if warned:
            ET.SubElement(case, "system-out").text = "\n".join(warned)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def render(issues: Iterable[Issue], fmt: str = "text", files: Iterable[str] = ()) -> str:
    """Render issues as ``text`` (one ``path:line:col: code: message`` a line), ``json``, ``github``
    (workflow commands) or ``junit`` (XML for CI systems; ``files``: every file checked)."""
    items = sorted(issues)
    if fmt == "json":
        return json.dumps([asdict(i) for i in items], indent=2, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(i.github() for i in items)
    if fmt == "text":
        return "\n".join(i.text() for i in items)
    if fmt == "junit":
        return junit(items, files)
    raise ValueError(f"unknown format {fmt!r}")


def catalogue() -> str:
    """``docs/errors.md``: every code with its severity, meaning, message and fix."""
    out = [
        "# casd error codes",
        "",
        "Generated from `src/casd/curate/issues.py` by `casd schema`; do not edit by hand.",
        "Every problem `casd validate`, `casd build` and `casd coverage` report carries one of these",
        "stable codes. Errors fail the command (exit 1); warnings are reported but never change the",
        "exit code (`--format github` emits them as warnings).",
        "",
    ]
    groups: dict[str, list[str]] = {}
    for code, c in CODES.items():
        groups.setdefault(c.group, []).append(code)
    for group, codes in groups.items():
        out += [f"## {group}", "", "| code | severity | meaning | message | how to fix |", "|---|---|---|---|---|"]
        for code in codes:
            c = CODES[code]
            cells = [f"`{code}`", c.severity, c.meaning, f"`{c.template}`", c.fix]
            out.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
        out.append("")
    return "\n".join(out)


class ValidationFailed(CasdError):
    """The dataset has issues; nothing was written."""

    exit_code = 1

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(issues)
        super().__init__(f"{len(errors(self.issues))} problem(s) found")


def select(issues: list[Issue], paths: list[str], project: Path) -> tuple[list[Issue], int]:
    """The issues inside the given files or folders (as typed by the user), and how many lie outside."""
    wanted = []
    for p in paths:
        full = Path(p).resolve()
        try:
            wanted.append(full.relative_to(Path(project).resolve()).as_posix())
        except ValueError:
            wanted.append(Path(p).as_posix())
    inside = [i for i in issues if any(w in (".", "") or i.path == w or i.path.startswith(w.rstrip("/") + "/") for w in wanted)]
    return inside, len(issues) - len(inside)
