"""The canonical form of a record file (``casd fmt``).

One style for every record, chosen so that casd and a YAML 1.2 editor read every value the same:

* keys in the model's order: ``id``, the kind's own fields as declared, then ``notes``,
  ``claims``, ``evidence`` and ``inferences``; nested records in their declaration order;
* block style, two-space indents, list items indented under their key;
* a scalar is written plain when every YAML reader takes it as the same text; otherwise in single
  quotes, or double quotes when it needs escapes. Text that a YAML 1.1 or 1.2 reader would take as
  a number, a boolean, a null or a date (``2015``, ``NO``, ``1.10``, ``0755``, ``2015-07-16``) is
  quoted in text fields; numbers and booleans in number and boolean fields are written plain, as
  the editors' JSON Schemas expect;
* long text is folded (``>-``) at 100 columns where that reads back exactly, and text with line
  breaks is literal (``|-``);
* short lists of plain words stay on one line (``aliases: [UKMK, GKNB]``).

Comments are not kept by casd's reader, so a file with comments is refused with a clear message,
never reformatted (its comments would be lost).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel

from ..model.relational import hints
from ..model.types import bare, list_item
from . import yamlio

WIDTH = 100
_RECORD_TAIL = ("notes", "claims", "evidence", "inferences")
#: what YAML 1.1 or 1.2 readers resolve to something other than a string
_SPECIAL = re.compile(
    r"""^(?:
        ~|null|Null|NULL|
        y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|
        [-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|
        [-+]?0[0-7_]+|0o[0-7]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+|
        [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|
        [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|
        [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?|
        =|<<
    )$""",
    re.VERBOSE,
)
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


class FormatRefused(ValueError):
    """A file casd will not reformat (comments would be lost, or it does not parse)."""


def has_comment(text: str) -> int | None:
    """The line of the first comment in a YAML text, or None."""
    covered: list[tuple[int, int]] = []
    for token in yaml.scan(text, Loader=yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):
        if isinstance(token, yaml.ScalarToken):
            covered.append((token.start_mark.index, token.end_mark.index))
    spans = sorted(covered)
    for m in re.finditer(r"(?:(?<=\s)|^)#", text, flags=re.M):
        if not any(a <= m.start() < b for a, b in spans):
            return text.count("\n", 0, m.start()) + 1
    return None


def plain_ok(text: str, in_flow: bool = False) -> bool:
    """Whether a string can be written without quotes and read back as the same text everywhere."""
    if not text or text != text.strip() or "\n" in text or "\t" in text or _SPECIAL.match(text):
        return False
    if text[0] in _INDICATORS or ": " in text or " #" in text or text.endswith(":"):
        return False
    if in_flow and any(c in text for c in ",[]{}"):
        return False
    return text.isprintable()


def quoted(text: str) -> str:
    if text.isprintable() and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"' + "".join(c if c.isprintable() or c in "\\" else (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}") for c in out) + '"'


def _folded(text: str, indent: int) -> list[str] | None:
    """Lines of a ``>-`` block that reads back as exactly ``text``, or None if folding cannot."""
    if "\n" in text or "  " in text or text != text.strip() or not text.isprintable():
        return None
    words = text.split(" ")
    lines, line = [], ""
    for w in words:
        if line and len(line) + 1 + len(w) + indent > WIDTH:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return lines if len(lines) > 1 else None


def _scalar(key_prefix: str, text: str, indent: int, typed: bool) -> list[str]:
    """``key: value`` lines for one scalar (``typed``: a number or boolean field, written plain)."""
    pad = " " * indent
    if typed and re.fullmatch(r"[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false", text):
        return [f"{key_prefix}{text}"]
    if "\n" in text and text.strip() == text and all(line == line.rstrip() for line in text.split("\n")) and text.replace("\n", "").isprintable():
        body = [pad + "  " + line if line else "" for line in text.split("\n")]
        return [f"{key_prefix}|-", *body]
    if len(key_prefix) + len(text) > WIDTH:
        folded = _folded(text, indent + 2)
        if folded is not None:
            return [f"{key_prefix}>-", *[pad + "  " + line for line in folded]]
    return [key_prefix + (text if plain_ok(text) else quoted(text))]


def _order(model: type[BaseModel] | None, keys: list[str]) -> list[str]:
    if model is None:
        return keys
    declared = list(model.model_fields)
    if "id" in declared and all(t in declared for t in _RECORD_TAIL):
        own = [k for k in declared if k not in ("id", *_RECORD_TAIL)]
        declared = ["id", *own, *_RECORD_TAIL]
    known = [k for k in declared if k in keys]
    return known + [k for k in keys if k not in known]


def _field_model(model: type[BaseModel] | None, key: str) -> tuple[Any, type[BaseModel] | None, bool]:
    """(annotation, nested model of the field or of its list items, typed-scalar?)."""
    if model is None or key not in model.model_fields:
        return None, None, False
    ann = hints(model)[key]
    item = list_item(ann)
    inner = bare(item)[0] if item is not None else bare(ann)[0]
    nested = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
    typed = inner in (int, float, bool)
    return ann, nested, typed


def _mapping(data: dict[str, Any], model: type[BaseModel] | None, indent: int, first_prefix: str | None = None) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for n, key in enumerate(_order(model, list(data))):
        value = data[key]
        prefix = (first_prefix if n == 0 and first_prefix is not None else pad) + (key if plain_ok(key) else quoted(key)) + ":"
        _, nested, typed = _field_model(model, key)
        if isinstance(value, dict):
            lines.append(prefix)
            lines += _mapping(value, nested, indent + 2)
        elif isinstance(value, list):
            lines += _list(prefix, value, nested, indent, typed)
        else:
            lines += _scalar(prefix + " ", str(value), indent, typed)
    return lines


def _list(prefix: str, items: list[Any], model: type[BaseModel] | None, indent: int, typed: bool) -> list[str]:
    if not items:
        return [prefix + " []"]
    if all(isinstance(i, str) for i in items):
        flow = prefix + " [" + ", ".join(i if (plain_ok(i, in_flow=True) or (typed and re.fullmatch(r"[-+]?[0-9.]+", i))) else quoted(i) for i in items) + "]"
        if len(flow) <= WIDTH and all("\n" not in i for i in items):
            return [flow]
    lines = [prefix]
    pad = " " * (indent + 2)
    for item in items:
        if isinstance(item, dict):
            lines += _mapping(item, model, indent + 4, first_prefix=pad + "- ")
        elif isinstance(item, list):
            lines += _list(pad + "-", item, None, indent + 2, False)
        else:
            lines += _scalar(pad + "- ", str(item), indent + 4, typed)
    return lines


def canonical(text: str, model: type[BaseModel] | None, path: str = "<string>") -> str:
    """The canonical text of a record file (FormatRefused if it does not parse or has comments)."""
    doc, issues = yamlio.parse(text, path)
    if issues:
        raise FormatRefused(f"{path}: does not parse ({issues[0].message}); fix it first (casd validate)")
    line = has_comment(text)
    if line is not None:
        raise FormatRefused(f"{path}:{line}: has a comment, which casd fmt would lose; move it into `notes` (or remove it) and run casd fmt again")
    assert isinstance(doc.data, dict)
    out = "\n".join(_mapping(doc.data, model, 0)) + "\n"
    again, problems = yamlio.parse(out, path)
    if problems or again.data != doc.data:  # never change a value
        raise FormatRefused(f"{path}: casd fmt could not write an equivalent file (a bug in casd: please report it)")
    return out
