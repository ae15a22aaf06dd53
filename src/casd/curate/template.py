"""Templates of new records (``casd new``): the required fields, each with its meaning as a comment."""

from __future__ import annotations

import textwrap

from ..model.records import Record
from ..model.relational import hints
from ..model.types import DateMarker, bare, list_item, marker
from ..model.vocab import Vocabulary


def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(" ".join(text.split()), 96 - len(indent), break_on_hyphens=False)]


def template(model: type[Record], record_id: str) -> str:
    """A record file with the required fields to fill in, and comments naming the optional ones."""
    lines = _comment(f"{(model.__doc__ or '').strip()} Fill in every <...>, delete these comments, then run casd validate and casd fmt.")
    lines.append(f"id: {record_id}")
    optional = []
    for name, info in model.model_fields.items():
        if name in ("id", "evidence"):
            continue
        ann = hints(model)[name]
        doc = (info.description or "").strip()
        if not info.is_required():
            optional.append(name)
            continue
        lines += _comment(doc)
        tp = bare(ann)[0]
        if isinstance(tp, type) and issubclass(tp, Vocabulary):
            lines += _comment("one of: " + ", ".join(m.value for m in tp))
            lines.append(f"{name}: <{tp.__name__}>")
        elif marker(ann, DateMarker):
            lines.append(f"{name}: <EDTF date, e.g. 2015-07-16, 2015-07, 2015?>")
        elif list_item(ann) is not None:
            lines.append(f"{name}: [<...>]")
        else:
            lines.append(f"{name}: <{name}>")
    if optional:
        lines += _comment("Optional fields (see `casd codebook`): " + ", ".join(optional) + ".")
    lines += _comment(model.model_fields["evidence"].description or "")
    lines += ["evidence:", "  - source: <source id>", "    quote: <the supporting words, copied verbatim from the seed>"]
    return "\n".join(lines) + "\n"
