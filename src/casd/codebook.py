"""Generated documentation: the codebook (every table, field and vocabulary value) and the datasheet.

Both are generated from the models and the data, never typed by hand, so they
cannot drift from what they describe.
"""

from __future__ import annotations

from collections import Counter

from .checks import Report
from .tables import layout, rows
from .vocab import VOCABULARIES

CITATION = """cff-version: 1.2.0
message: "If you use this dataset, please cite it as below."
title: "casd: Central Asia Security Dataset"
type: dataset
authors:
  - name: "casd contributors"
version: "{version}"
license: CC-BY-4.0
"""

LICENSE_TEXT = """Licences

- The curated records (every CSV and Parquet table and datapackage.json): Creative Commons
  Attribution 4.0 International (CC BY 4.0), https://creativecommons.org/licenses/by/4.0/.
- The source texts under seeds/ are news and analysis articles whose rights remain with their
  publishers and authors (the "Under The Black Flag" blog, The Times of Central Asia / GiroBlog,
  Foreign Intrigue, and an unidentified outlet). They are included verbatim, unmodified, only so that every evidence
  quote can be verified at its character offsets; they are not licensed by casd.
- The casd software: MIT licence.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def codebook() -> str:
    out = [
        "# casd codebook",
        "",
        "Generated from the models (`src/casd/models.py`) and vocabularies (`src/casd/vocab.py`).",
        "Types are Frictionless types; in Parquet, `date` is Date32, `integer` Int64, `number` Float64,",
        "`boolean` Boolean and `array` list<string> (a JSON array in CSV).",
        "",
    ]
    for t in layout():
        out += [f"## {t.name}", "", t.description, "", f"Primary key: `{', '.join(t.primary_key)}`.", ""]
        if t.foreign_keys:
            out += ["Foreign keys: " + "; ".join(f"`{fk.fields}` → `{fk.resource}.{fk.reference}`" for fk in t.foreign_keys) + ".", ""]
        out += ["| field | type | required | meaning |", "|---|---|---|---|"]
        for c in t.columns:
            vocab = f" Values: {c.vocabulary} (below)." if c.vocabulary else ""
            out.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | {_cell(c.description)}{vocab} |")
        out.append("")
    out += ["## Vocabularies", ""]
    for name, values in VOCABULARIES.items():
        out += [f"### {name}", "", "| value | definition |", "|---|---|"]
        out += [f"| `{v}` | {_cell(d)} |" for v, d in values.items()]
        out.append("")
    return "\n".join(out)


def counts(report: Report) -> dict[str, int]:
    return {t.name: len(rows(t, report)) for t in layout()}


def datasheet(report: Report, version: str, n: dict[str, int]) -> str:
    """A datasheet (Gebru et al.) whose figures are computed from the data (``n``: rows per table)."""
    data = report.dataset
    sources = data.records("sources")
    per_source = Counter(ev.source for item in data.all() if item.record for ev in item.record.evidence)
    events = data.records("events")
    uncertain = sum(1 for e in events if e.date and ("?" in e.date or e.date.startswith("XXXX")))
    undated = sum(1 for e in events if not e.date)
    claims = n.get("claims", 0)
    alternatives = sum(1 for f in data.records("figures") if f.alternatives)
    table_rows = "\n".join(f"| {k} | {v} |" for k, v in n.items())
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

- Events: {len(events)}, of which {uncertain} have an inferred or year-less date and {undated} no date.
- Competing claims on single fields: {claims}. Figures linked to conflicting alternatives: {alternatives}.
- What is missing: anything the five articles do not say. Dates the texts leave without a year
  are inferred only where another seed supports it (marked `?`, reasoning in `date_note`).
  Coordinates and Wikidata ids, where present, come from outside the seeds (`external_*`).

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
and a reproducible archive. Records: CC BY 4.0. Source texts: rights remain with their
publishers; included only for verification. Cite with `CITATION.cff`.

## Maintenance
Maintained in the casd repository. Releases are immutable; ids are never reused (retired ids
leave tombstones); every release ships `changes.csv` and the CHANGELOG lists schema changes
first.
"""
