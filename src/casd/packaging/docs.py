"""Generated documentation: the codebook, the join rules, the datasheet, the citation and the
release README. All generated from the models, the metadata and the data, never typed by hand."""

from __future__ import annotations

from collections import Counter

from ..curate.anchors import evidence_of
from ..curate.checks import RULES
from ..curate.validate import Validated
from ..model import edtf
from ..model.meta import PackageMeta
from ..model.records import Event, Figure, Inference, Source
from ..model.relational import layout, tables
from ..model.vocab import VOCABULARIES, DatePrecision
from .conflicts import conflicts


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def joins() -> list[tuple[str, str, str]]:
    """Every ``(table, column, joins to)`` of the package: foreign keys, then polymorphic pairs."""
    out = [(t.name, fk.fields, f"{fk.resource}.{fk.reference}") for t in tables() for fk in t.foreign_keys]
    for p in layout().poly_references:
        out.append((p.table, p.field, f"<{p.table_field}>.id"))
    out.append(("claims", "record_id", "<record_table>.id"))
    out.append(("evidence", "record_id", "<record_table>.id"))
    return out


def joins_markdown() -> str:
    rows = "\n".join(f"| `{t}` | `{c}` | `{to}` |" for t, c, to in joins())
    return (
        "A column joins to the `id` of the table its foreign key names, not always the table its name suggests:\n"
        "role-named columns (`speaker_id`, `organisation_id`, `setting_id`, …) name their target below, and\n"
        "`<field>` means the table is given, row by row, by that column (a polymorphic pair).\n\n"
        "| table | column | joins to |\n|---|---|---|\n" + rows + "\n"
    )


def codebook() -> str:
    out = [
        "# casd codebook",
        "",
        "Generated from the models (`src/casd/model/records.py`) and vocabularies (`src/casd/model/vocab.py`).",
        "Types are Frictionless types; in Parquet, `date` is Date32, `integer` Int64, `number` Float64,",
        "`boolean` Boolean and `array` list<string> (a JSON array in CSV).",
        "",
        "## How the tables join",
        "",
        joins_markdown(),
    ]
    for t in tables():
        out += [f"## {t.name}", "", t.description, "", f"Primary key: `{', '.join(t.primary_key)}`.", ""]
        if t.foreign_keys:
            out += ["Foreign keys: " + "; ".join(f"`{fk.fields}` → `{fk.resource}.{fk.reference}`" for fk in t.foreign_keys) + ".", ""]
        out += ["| field | type | required | meaning |", "|---|---|---|---|"]
        for c in t.columns:
            vocab = f" Values: {c.vocabulary.__name__} (below)." if c.vocabulary else ""
            out.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | {_cell(c.description)}{vocab} |")
        out.append("")
    out += [
        "## Checks beyond the schemas",
        "",
        "The JSON Schemas (`schema/records/`) let an editor check each record on its own: fields, types,",
        "patterns, vocabularies, no null. Only `casd validate` makes these checks, across fields, records",
        "and the seed texts (every code is in `docs/errors.md`):",
        "",
        "| rule | codes | what it checks |",
        "|---|---|---|",
    ]
    out += [f"| `{r.name}` | {', '.join(f'`{c}`' for c in r.codes)} | {_cell(r.doc)} |" for r in sorted(RULES, key=lambda r: r.name)]
    out += [
        "| evidence anchoring | `quote-not-found`, `quote-ambiguous`, `quote-occurrence`, `quote-splits-character` "
        "| Every evidence quote stands verbatim in its seed, once (or at its `occurrence`). |",
        "| seeds | `source-file-missing`, `source-unreadable`, `source-hash-mismatch` | Every source's seed file is there, a regular UTF-8 file, with its recorded sha256. |",
        "",
    ]
    out += ["## Vocabularies", ""]
    for name, vocabulary in VOCABULARIES.items():
        out += [f"### {name}", "", _cell((vocabulary.__doc__ or "").strip()), "", "| value | definition |", "|---|---|"]
        out += [f"| `{m.value}` | {_cell(m.definition)} |" for m in vocabulary]
        out.append("")
    return "\n".join(out)


def citation(meta: PackageMeta, version: str, released: str | None = None) -> str:
    """``CITATION.cff`` for a version (``released``: its date, from the release index)."""
    authors = "".join(f'  - name: "{c.title}"\n' for c in meta.contributors)
    return (
        "cff-version: 1.2.0\n"
        'message: "If you use this dataset, please cite it as below."\n'
        f'title: "{meta.name}: {meta.title}"\n'
        "type: dataset\n"
        f"authors:\n{authors}"
        f'version: "{version}"\n'
        + (f'date-released: "{released}"\n' if released else "")
        + f"license: {meta.licenses[0].name}\n"
    )


def licence_text(meta: PackageMeta) -> str:
    records = "; ".join(f"{lic.title}, {lic.path}" for lic in meta.licenses)
    return (
        "Licences\n\n"
        f"- The curated records (every CSV and Parquet table and datapackage.json): {records}.\n"
        f"- {meta.source_rights}\n"
        f"- The casd software: {meta.software_license} licence.\n"
    )


def release_readme(meta: PackageMeta, version: str, counts: dict[str, int]) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in counts.items())
    return f"""# {meta.name} {version}

The {meta.title}, release {version}: curated records with verbatim evidence
from five articles (2014-2015), as CSV and Parquet twins described by `datapackage.json`
(Frictionless Data Package v2).

| table | rows |
|---|---:|
{rows}

Verify: `sha256sum -c SHA256SUMS`. Documentation: `DATASHEET.md`, `CODEBOOK.md`. Changes against
the previous release: `changes.csv`.

{licence_text(meta)}
Cite: see `CITATION.cff`.
"""


def _unsure(date: str | None) -> bool:
    if not date:
        return False
    parsed = edtf.parse(date)
    return parsed.uncertain or parsed.precision in (DatePrecision.day_unknown_year, DatePrecision.month_unknown_year)


def datasheet(v: Validated, version: str, n: dict[str, int]) -> str:
    """A datasheet (Gebru et al.) whose figures are computed from the data (``n``: rows per table)."""
    data = v.dataset
    sources = data.records(Source)
    per_source = Counter(ev.source for _, rec in data.typed() for _, ev in evidence_of(rec))
    events = data.records(Event)
    uncertain = sum(1 for e in events if _unsure(e.date))
    undated = sum(1 for e in events if not e.date)
    aggregates = sum(1 for e in events if e.aggregate)
    claims = n.get("claims", 0)
    alternatives = sum(1 for f in data.records(Figure) if f.alternatives)
    conflict_rows = conflicts(v)
    n_conflicts = len({c.conflict_id for c in conflict_rows})
    n_open = len({c.conflict_id for c in conflict_rows if not c.resolved})
    inferences = data.records(Inference)
    resting = sum(1 for _, rec in data.typed() if rec.inferences)
    table_rows = "\n".join(f"| {k} | {c} |" for k, c in n.items())
    source_rows = "\n".join(f"| `{s.id}` | {s.title} | {s.published or 'not stated'} | {per_source.get(s.id, 0)} |" for s in sources)
    return f"""# Datasheet: casd {version}

Following "Datasheets for Datasets" (Gebru et al.). Every number below is computed from the data.

## Motivation
casd records who did, said and counted what in five news and analysis articles (2014-2015) about
the Islamic State threat to Central Asia, Russia's military presence in Kyrgyzstan and the
politics around it, with every record tied to the exact words of its source. It was created to
give analysts a structured, verifiable extraction of these texts, not a picture of the events
beyond them.

## Composition
| table | rows |
|---|---:|
{table_rows}

A row of an entity table (sources, places, actors, events, bases, statements, figures) is one
record; link tables hold relations (participants, memberships, operators, outlets, authors,
event relations, figure alternatives), competing `claims` for single fields, and `evidence`
(one row per quote with character offsets).

- Events: {len(events)}, of which {uncertain} have an inferred or year-less date and {undated} no date
  (no seed dates them: background, ongoing states of affairs, undated remarks; sort them last,
  `order by date_start nulls last`). {aggregates} are aggregates of other events (`aggregate`
  true): count events with `aggregate` false to count each occurrence once.
- Disagreements between sources: {n_conflicts} ({n_open} open, the others ranked), listed side by side
  in the `conflicts` table; competing claims on single fields: {claims}; figures linked to
  conflicting alternatives: {alternatives}.
- Inferences the curators rely on, each stated once: {len(inferences)}; {resting} records rest on one.
- What is missing: anything the five articles do not say. Dates the texts leave without a year
  are inferred only where another seed supports it (marked `?`, reasoning in `date_note`).
  Coordinates and Wikidata ids, where present, come from outside the seeds (`external_*`).

Evidence quotes per source count every row of the `evidence` table, the claims' evidence included.
The ids of two sources begin with `rferl-` for historical reasons: the seeds name their blog
("Under The Black Flag"), not its publisher, and casd records no publisher for them.

| source | title | published | evidence quotes |
|---|---|---|---:|
{source_rows}

## Collection process
Five documents, copied byte for byte into `seeds/` (their sha256 is checked on every
validation). Curators read each document and wrote one YAML record per entity, event, base,
statement and figure, each with verbatim evidence quotes; a second reader reviewed each seed
against its records. The build locates every quote in its seed (matching forgives only white
space and typographic quote marks) and exports exact character offsets (Unicode code points,
end exclusive) with the exact slice of the seed as `quote`.

## Preprocessing
None of the texts was altered. Relative dates were resolved against the source's publication
date; inferred years are marked uncertain. Conflicting numbers are kept as separate figures,
conflicting values of one field as ranked claims; nothing was merged or deleted.

## Uses
Suited to: studying how these sources framed the threat, tracing claims to their words,
teaching provenance-aware extraction. To avoid: treating counts as verified casualty data or as
complete coverage of the region; inferring anything the five articles do not report.

## Distribution and licence
Released as versioned CSV and Parquet with a Frictionless Data Package descriptor, SHA256SUMS
and a reproducible archive. Records: {", ".join(lic.name for lic in v.meta.licenses) if v.meta else ""}. Source texts: rights remain with their
publishers; included only for verification. Cite with `CITATION.cff`.

## Maintenance
Maintained in the casd repository. Releases are immutable; ids are never reused (retired ids
leave tombstones); every release ships `changes.csv` and the CHANGELOG lists schema changes
first.
"""
