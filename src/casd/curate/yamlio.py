"""YAML text -> plain mappings, with the position of every key and value.

Curated data must never change silently, so this reader is stricter than YAML:

* every scalar stays text (``NO``, ``2015-07-16``, ``1.10``, ``0755`` are strings;
  Pydantic types them later);
* ``null``, ``~`` and empty values are refused (omit the key instead);
* duplicate keys, anchors/aliases, explicit tags and multi-document files are refused;
* CRLF line endings and a UTF-8 byte-order mark are accepted.

Two paths give the same data:

* :func:`parse` (the exact reader) drives libyaml's C parser (``yaml.CParser``) event by
  event: the events carry line and column, anchors and tags, so one pass both builds the data
  and records where each value stands, and it finds every issue. Positions are 1-based
  ``(line, col)``.
* :func:`parse_fast` (the fast strict path, 25–40% less time a record file) lets libyaml's
  composer build the node tree in C and checks every rule above on the nodes. It gives the data
  only where it can vouch for every rule; anything else (an issue, or text it cannot judge) goes
  to the exact reader, which finds the issue and its position. Its documents keep the file's
  bytes instead of positions: the exact reader reads them on the first issue. ``test_yamlio.py``
  runs both paths over every real record file and over generated hostile text.
"""

from __future__ import annotations

import hashlib
import operator
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..fs import MAX_RECORD_BYTES, FileRefused, read_regular
from .issues import Issue, issue

try:  # libyaml is in every PyYAML wheel; the pure-Python loader is the fallback.
    from yaml import CSafeLoader as _Parser
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]  # the pure-Python loader is another class with the same interface

_NULLS = {"", "~", "null", "Null", "NULL"}

Pos = tuple[int, int]
#: a path into the data: ("evidence", 0, "quote")
Loc = tuple[str | int, ...]


@dataclass(slots=True)
class Document:
    """A parsed record file: its data and where each part of it stands."""

    path: str
    data: object = None
    #: path -> (line, col) of the value
    values: dict[Loc, Pos] = field(default_factory=dict)
    #: path -> (line, col) of the key that introduces the value
    keys: dict[Loc, Pos] = field(default_factory=dict)
    #: where to re-read the positions from when they were not kept: positions are needed only for
    #: the few records with a problem, so a typed record keeps neither them nor its raw data
    reload: str | None = None
    #: the digest of the bytes the positions must come from (a file edited since is not trusted for them)
    digest: bytes = b""
    #: whether ``reload`` is only the folder that ``path`` is relative to (one string shared by every
    #: record file of a project, rather than a path of its own for each)
    rooted: bool = False
    #: the file's bytes, where the fast path (:func:`parse_fast`) read it: the exact reader takes the
    #: positions from them when first asked (a lean copy drops them)
    raw: bytes | None = None

    def without_positions(self, source: Path | str, raw: bytes, digest: bytes | None = None) -> Document:
        """A lean copy, with neither data nor positions: they are re-read from ``source`` (whose bytes
        were ``raw``, their :func:`fingerprint` ``digest`` if the caller has it) when first asked."""
        source = str(source)
        rooted = source.endswith(self.path)  # then the folder + path is the file
        reload = sys.intern(source[: len(source) - len(self.path)]) if rooted else source
        return Document(self.path, values=_NO_POSITIONS, keys=_NO_POSITIONS, reload=reload, digest=fingerprint(raw) if digest is None else digest, rooted=rooted)

    def __reduce__(self) -> tuple[Any, ...]:
        if self.values is _NO_POSITIONS and self.raw is None:  # lean: its shared empty maps are not pickled
            return (_lean, (self.path, self.reload, self.digest, self.rooted))
        return (Document, (self.path, self.data, self.values, self.keys, self.reload, self.digest, self.rooted, self.raw))

    def where(self, loc: Loc, key: bool = False) -> Pos:
        """Best position for a path: the exact one, else the nearest enclosing one."""
        if self.raw is not None and not self.values:
            again, _ = parse_bytes(self.raw, self.path)
            self.values, self.keys, self.raw = again.values, again.keys, None
        elif self.reload is not None and not self.values:
            self._reload(self.reload + self.path if self.rooted else self.reload)
        table = self.keys if key else self.values
        loc = tuple(loc)
        while loc:
            if loc in table:
                return table[loc]
            if not key and loc in self.keys:
                return self.keys[loc]
            loc = loc[:-1]
        return self.values.get((), (1, 1))

    def _reload(self, source: str) -> None:
        self.reload = None
        try:
            raw = read_regular(Path(source), MAX_RECORD_BYTES)
        except (OSError, FileRefused):
            return  # gone since it was read: the issue is reported at the top of the file
        if fingerprint(raw) == self.digest:
            again, _ = parse_bytes(raw, self.path)
            self.values, self.keys = again.values, again.keys


#: the positions of a lean document, until re-read: one empty map shared by every lean document
#: (never changed: re-reading replaces it)
_NO_POSITIONS: dict[Loc, Pos] = {}


def _lean(path: str, reload: str | None, digest: bytes, rooted: bool) -> Document:
    return Document(path, values=_NO_POSITIONS, keys=_NO_POSITIONS, reload=reload, digest=digest, rooted=rooted)


def fingerprint(raw: bytes) -> bytes:
    """The sha256 digest of a file's bytes (to know a file is still what was read). The validation
    cache keeps the same digest of each file (:func:`casd.curate.cache.digest`): one bytes object
    serves both."""
    return hashlib.sha256(raw).digest()


class _Reject(Exception):
    def __init__(self, found: Issue):
        self.issue = found


def _pos(mark: Any) -> Pos:
    return (mark.line + 1, mark.column + 1)


def parse(text: str, path: str = "<string>") -> tuple[Document, list[Issue]]:
    """Parse one record file's text. Returns the document and the issues found.

    On any issue the document's data is ``None``: a record is read whole or not at all.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    doc = Document(path)
    parser = _Parser(text)
    found: list[Issue] = []
    try:
        try:
            doc.data = _read_stream(parser, doc)
        finally:
            parser.dispose()
    except _Reject as r:
        found.append(r.issue)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = _pos(mark) if mark else (1, 1)
        reason = " ".join(x for x in (e.context, e.problem) if x)
        found.append(issue("yaml-syntax", path, line, col, reason=reason))
    except yaml.YAMLError as e:  # pragma: no cover - reader errors without marks
        found.append(issue("yaml-syntax", path, reason=str(e)))
    if found:
        doc.data = None
    return doc, found


def parse_bytes(raw: bytes, path: str) -> tuple[Document, list[Issue]]:
    """Decode (UTF-8) and parse one file's bytes; ``path`` is the path shown in issues."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return Document(path), [issue("file-unreadable", path, reason=f"not UTF-8 ({e.reason} at byte {e.start})")]
    return parse(text, path)


def read(path: str | Path, display: str | None = None) -> tuple[Document, list[Issue]]:
    """Read and parse a file; ``display`` is the path shown in issues."""
    shown = display or str(path)
    try:
        raw = read_regular(Path(path), MAX_RECORD_BYTES)
    except FileRefused as e:
        return Document(shown), [issue("file-unreadable", shown, reason=str(e).split(": ", 1)[-1])]
    except OSError as e:
        return Document(shown), [issue("file-unreadable", shown, reason=e.strerror or str(e))]
    return parse_bytes(raw, shown)


def _read_stream(parser: Any, doc: Document) -> object:
    event = parser.get_event()
    assert isinstance(event, ev.StreamStartEvent)
    event = parser.get_event()
    if isinstance(event, ev.StreamEndEvent):
        raise _Reject(issue("yaml-not-mapping", doc.path, kind="an empty file"))
    data = None
    documents = 0
    while not isinstance(event, ev.StreamEndEvent):
        if isinstance(event, ev.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Reject(issue("yaml-multi-document", doc.path, *_pos(event.start_mark)))
            data = _node(parser, parser.get_event(), doc, ())
            end = parser.get_event()
            assert isinstance(end, ev.DocumentEndEvent)
        event = parser.get_event()
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise _Reject(issue("yaml-not-mapping", doc.path, kind=kind))
    return data


def _check_props(event: Any, doc: Document) -> None:
    anchor = getattr(event, "anchor", None)
    if anchor is not None:
        raise _Reject(issue("yaml-anchor", doc.path, *_pos(event.start_mark), name=anchor))
    tag = getattr(event, "tag", None)
    if tag is not None:  # untagged plain and quoted scalars report None
        raise _Reject(issue("yaml-tag", doc.path, *_pos(event.start_mark), tag=tag))


#: Deepest nesting of lists and mappings a record may have (records need 4; the limit keeps a
#: hostile file from exhausting Python's stack).
MAX_DEPTH = 32
#: Scalars up to this long are interned (:func:`sys.intern`).
INTERN_UP_TO = 64


def _node(parser: Any, event: Any, doc: Document, loc: Loc) -> object:
    if len(loc) > MAX_DEPTH:
        raise _Reject(issue("yaml-too-deep", doc.path, *_pos(event.start_mark), limit=MAX_DEPTH))
    if isinstance(event, ev.AliasEvent):
        raise _Reject(issue("yaml-anchor", doc.path, *_pos(event.start_mark), name=event.anchor))
    _check_props(event, doc)
    doc.values[loc] = _pos(event.start_mark)
    if isinstance(event, ev.ScalarEvent):
        value = event.value
        if not event.style and value in _NULLS:  # plain (unquoted) only
            raise _Reject(issue("yaml-null", doc.path, *_pos(event.start_mark), text=value))
        # short values (ids, references, dates, sources) recur across records: one copy of each
        return sys.intern(value) if len(value) <= INTERN_UP_TO else value
    if isinstance(event, ev.SequenceStartEvent):
        items: list[object] = []
        event = parser.get_event()
        while not isinstance(event, ev.SequenceEndEvent):
            items.append(_node(parser, event, doc, loc + (len(items),)))
            event = parser.get_event()
        return items
    if isinstance(event, ev.MappingStartEvent):
        mapping: dict[str, object] = {}
        event = parser.get_event()
        while not isinstance(event, ev.MappingEndEvent):
            if not isinstance(event, ev.ScalarEvent):
                if isinstance(event, ev.AliasEvent):
                    raise _Reject(issue("yaml-anchor", doc.path, *_pos(event.start_mark), name=event.anchor))
                raise _Reject(issue("yaml-non-string-key", doc.path, *_pos(event.start_mark)))
            _check_props(event, doc)
            key = event.value
            kpos = _pos(event.start_mark)
            if key in mapping:
                first = doc.keys[loc + (key,)][0]
                raise _Reject(issue("yaml-duplicate-key", doc.path, *kpos, key=key, first_line=first))
            doc.keys[loc + (key,)] = kpos
            mapping[key] = _node(parser, parser.get_event(), doc, loc + (key,))
            event = parser.get_event()
        return mapping
    raise AssertionError(f"unexpected YAML event {event!r}")  # pragma: no cover


def _libyaml() -> Any:
    """libyaml's parser class (in every PyYAML wheel), or None."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover
        return None
    return CParser


_CParser: Any = _libyaml()


class _Composer(_CParser or object):  # type: ignore[misc]  # a C extension type
    """libyaml's parser and composer (C), resolving nothing. The composer calls these three for
    every node; builtins answer them without a Python frame. ``resolve`` gives the tag of a node
    written without one: a ``slice`` (of its arguments), which no tag written in the file can be
    (those are text)."""

    descend_resolver = operator.is_  # (parent, index): the answer is not used
    ascend_resolver = tuple  # (): the answer is not used
    resolve = slice  # (kind, value, implicit)


#: Text the fast path leaves to the exact reader: an anchor, alias or tag needs one of these
#: characters. The fast path cannot tell them from the same characters inside a scalar, so a file
#: holding any of them anywhere is read by the exact reader.
_PROPERTY_MARKS = ("&", "*", "!")
#: libyaml's composer recurses in C, a stack frame a level, with no limit of its own: 30,000
#: levels overflow an 8 MB stack and end the process. Each level of nesting needs one of the
#: characters ``- ? : [ {`` (a block entry, an explicit or implicit key, a flow collection), so a
#: text with at most this many of them cannot nest deeper (about 0.4 MB of stack).
FAST_NESTING = 1000


class _Unsure(Exception):
    """The fast path cannot vouch for a file: the exact reader decides."""


def parse_fast(raw: bytes, path: str) -> Document | None:
    """The document of a record file's bytes, by the fast strict path: its data exactly as
    :func:`parse_bytes` gives it, without positions (they are read from its ``raw`` bytes by the
    exact reader when first asked); None where the exact reader must read it (it has an issue,
    or the fast path cannot tell)."""
    if _CParser is None:  # pragma: no cover - PyYAML without libyaml: every file takes the exact reader
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    if any(mark in text for mark in _PROPERTY_MARKS):
        return None
    if text.count(":") + text.count("-") + text.count("?") + text.count("[") + text.count("{") > FAST_NESTING:
        return None
    try:
        composer = _Composer(text)
        try:
            root = composer.get_single_node()  # raises on a syntax error or a second document
        finally:
            composer.dispose()
        if type(root) is not MappingNode:  # None (empty), a list or a single value
            return None
        data = _value(root, 0)
    except (yaml.YAMLError, _Unsure):
        return None
    return Document(path, data, values=_NO_POSITIONS, keys=_NO_POSITIONS, raw=raw)


def _untagged(node: Any) -> bool:
    """Whether a composed node was written without a tag (see :class:`_Composer`)."""
    return type(node.tag) is slice


def _value(node: Any, depth: int) -> object:
    """A composed node as :func:`_node` would give it, or :class:`_Unsure` where :func:`_node`
    refuses it (a tag, a null, a duplicate or non-text key, too deep)."""
    if depth > MAX_DEPTH or not _untagged(node):
        raise _Unsure
    kind = type(node)
    if kind is ScalarNode:
        value: str = node.value
        if not node.style and value in _NULLS:
            raise _Unsure
        return sys.intern(value) if len(value) <= INTERN_UP_TO else value
    if kind is SequenceNode:
        return [_value(item, depth + 1) for item in node.value]
    mapping: dict[str, object] = {}
    for key, item in node.value:
        if type(key) is not ScalarNode or not _untagged(key) or key.value in mapping:
            raise _Unsure
        mapping[key.value] = _value(item, depth + 1)
    return mapping


def dump(data: dict[str, Any]) -> str:
    """Write a record the way curators write them: block style, every scalar as text.

    Strings that YAML 1.1 or 1.2 would read as something else are quoted, so the
    output reads back unchanged through :func:`parse`.
    """
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # never write anchors
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)
