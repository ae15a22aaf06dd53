"""``casd export annotations``: ``annotations.jsonld``, every evidence row as a W3C Web Annotation,
beside verified copies of the seed texts it points into.

Each annotation's target is a seed file (``seeds/<file>``, relative to the exported folder),
located three equivalent ways: a ``TextQuoteSelector`` (the exact quote, with up to 32 characters
of the seed before and after it), a ``TextPositionSelector`` (``start``/``end`` in code points) and
a ``DataPositionSelector`` (``start``/``end`` in bytes of the UTF-8 file). Its body is the record
the passage supports, ``casd:<table>/<id>``. Positions count the code points of the stored file,
as it is, with no normalisation of any kind (no Unicode normalisation, no newline translation, a
byte order mark would count). The export is a pure function of the release: byte-reproducible.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import IntegrityError
from .common import Seed, Source, check_copy, licence, seeds, write

ANNOTATIONS = "annotations.jsonld"
ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
#: anno.jsonld defines no ``description``: this one term is added (Dublin Core, as the model's own terms are).
CONTEXT: list[Any] = [ANNO_CONTEXT, {"description": "dcterms:description"}]
CONTEXT_CHARS = 32  # the prefix and suffix: up to this many code points of the seed around the quote
MOTIVATION = "identifying"  # the body (a record) is what the target passage describes

POSITIONS = (
    "Each annotation targets a seed text under seeds/ (relative to this file) and gives three equivalent selectors. "
    "TextPositionSelector start and end count Unicode code points of the stored file, and DataPositionSelector start and end "
    "count bytes of it (UTF-8); both are zero-based with an exclusive end. Positions count the file exactly as it is stored, "
    "with no normalisation of any kind: no Unicode normalisation, no newline translation, no trimming. "
    f"TextQuoteSelector exact is the quoted text; prefix and suffix are up to {CONTEXT_CHARS} code points of the seed immediately "
    "before and after it (shorter at the start or end of the file; left out when empty). "
    "The body casd:<table>/<id> is the record (row id of that table) the passage supports."
)


def selectors(seed: Seed, start: int, end: int, quote: str) -> list[dict[str, Any]]:
    """The three selectors of a quote at code points ``start:end`` of a seed (checked against the text)."""
    text = seed.text
    if not 0 <= start <= end <= len(text) or text[start:end] != quote:
        raise IntegrityError(f"{seed.file}: the evidence quote {quote[:60]!r} is not the text at code points {start}:{end}")
    quote_selector: dict[str, Any] = {"type": "TextQuoteSelector", "exact": quote}
    prefix, suffix = text[max(0, start - CONTEXT_CHARS) : start], text[end : end + CONTEXT_CHARS]
    if prefix:
        quote_selector["prefix"] = prefix
    if suffix:
        quote_selector["suffix"] = suffix
    byte_start = len(text[:start].encode("utf-8"))
    byte_end = byte_start + len(quote.encode("utf-8"))
    return [
        quote_selector,
        {"type": "TextPositionSelector", "start": start, "end": end},
        {"type": "DataPositionSelector", "start": byte_start, "end": byte_end},
    ]


def annotation(row: dict[str, Any], seed: Seed) -> dict[str, Any]:
    table, rid, ordinal = row["record_table"], row["record_id"], row["ordinal"]
    return {
        "id": f"casd:evidence/{table}/{rid}/{ordinal}",
        "type": "Annotation",
        "motivation": MOTIVATION,
        "body": f"casd:{table}/{rid}",
        "target": {"source": seed.file, "selector": selectors(seed, int(row["char_start"]), int(row["char_end"]), str(row["quote"]))},
    }


def document(source: Source, by_source: dict[str, Seed]) -> dict[str, Any]:
    descriptor = source.release.descriptor()
    _, licence_url = licence(descriptor)
    version = source.release.version
    items = []
    for row in source.release.table("evidence", columns=["record_table", "record_id", "ordinal", "source_id", "quote", "char_start", "char_end"]).to_pylist():
        seed = by_source.get(row["source_id"])
        if seed is None:
            raise IntegrityError(f"evidence {row['record_table']}/{row['record_id']}/{row['ordinal']}: source {row['source_id']!r} is not in the sources table")
        items.append(annotation(row, seed))
    collection: dict[str, Any] = {
        "@context": CONTEXT,
        "id": f"casd:annotations/{version}",
        "type": "AnnotationCollection",
        "label": f"{descriptor.get('title') or 'casd'} {version}: the evidence as Web Annotations",
        "description": POSITIONS,
    }
    if licence_url:
        collection["rights"] = licence_url
    collection["total"] = len(items)
    collection["first"] = {"id": f"casd:annotations/{version}/page/1", "type": "AnnotationPage", "startIndex": 0, "items": items}
    return collection


def export(source: Source, out: Path) -> list[str]:
    """Write ``annotations.jsonld`` and the seed texts it targets into ``out``; returns the names written."""
    by_source = seeds(source)
    written = []
    for seed in sorted(by_source.values(), key=lambda s: s.file):
        written.append(write(out, seed.file, seed.data))
        check_copy(out, seed.file, seed.sha256)
    text = json.dumps(document(source, by_source), indent=2, ensure_ascii=False) + "\n"
    return written + [write(out, ANNOTATIONS, text.encode("utf-8"))]
