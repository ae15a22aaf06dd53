"""Rules across the fields of one record and across records: a registry of checks.

A check is a function ``(ctx: Context) -> Iterable[Issue]`` registered with :func:`rule` and
the codes it may emit (each code is defined, with its meaning and fix, in
:data:`casd.curate.issues.CODES`). One module per theme: :mod:`.references`, :mod:`.claims`,
:mod:`.dates`, :mod:`.figures`, :mod:`.evidence`, :mod:`.ids`. A new rule is one decorated
function in the module of its theme, or in a new module here (every module of this package is
imported, so nothing else needs editing); its code and message go in
:data:`casd.curate.issues.CODES`.

A rule that reads only one record at a time is ``local=True``. A rule across records declares
what it reads of each table's records (``reads={"events": ("date", "part_of")}``): fields, or
small values worked out from a record by a function registered with :func:`fact`. It reads them
from :func:`facts`, never from the typed records: the validation cache keeps those few values of
every record, so that a run after an edit unpickles no record but the edited ones. A fact a rule
did not declare is not there (an ``AttributeError`` the tests meet at once). A rule across records
that reads the references records make (through :func:`~casd.curate.checks.references.targets`)
says so with ``refs=True``.

A rule that declares ``reads`` or ``refs`` reads nothing of the dataset but those, the ids of every
table and whether each record typed: its issues are kept in the validation cache, and a run after
an edit runs it again only if the edit changed any of that (:func:`run`). A rule across records
that reads anything else (side files, the published releases) declares neither and runs every time.

Two more declarations let a one-shot run after a few edits (:mod:`casd.curate.ledger`) find a rule's
issues again without running it on every record. ``near=True``, with ``reads``: the rule's issues in
a record depend only on the facts of that record and of the records it refers to or that refer to
it, within the tables it reads (:func:`casd.curate.graph.near` runs it on those records alone).
``ids=True``, for a rule that declares no ``reads``: it reads nothing of the records but each table's
ids (and side files or the published releases), and places its issues at a record's ``id``. A rule
across records that declares neither makes such a run check every record.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...model.records import Tombstone
from ...model.relational import Layout
from ..anchors import Anchors
from ..issues import CODES, Issue
from ..load import Dataset, Loc, RecordFile

if TYPE_CHECKING:
    from ..cache import Cache


@dataclass(frozen=True)
class Context:
    """What every check reads: the typed dataset, the resolved evidence and the relational layout."""

    dataset: Dataset
    anchors: Anchors
    layout: Layout
    tombstones: tuple[Tombstone, ...] = ()
    cached: bool = False
    """Whether a check may keep what it derived from unchanging files in ``.casd-cache/`` (a
    validation with its cache; the published releases' ids: :func:`~casd.curate.checks.ids.published_ids`)."""


Check = Callable[[Context], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    name: str
    codes: tuple[str, ...]
    check: Check
    doc: str
    local: bool = False
    """Whether the rule reads nothing but each record itself, its own evidence anchors and the seeds
    they lie in: then its issues for a record are cached with the record (see :func:`run`)."""
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For a rule across records: table -> what the rule reads of its records (fields, or facts
    registered with :func:`fact`), through :func:`facts`."""
    refs: bool = False
    """Whether the rule reads the references of the records (:func:`~casd.curate.checks.references.targets`)."""
    near: bool = False
    """Whether the rule's issues in a record depend only on the facts of that record and of its
    neighbours (the records it refers to, and those that refer to it) in the tables it reads."""
    ids: bool = False
    """Whether the rule reads nothing of the records but each table's ids (a rule that runs every
    time: it reads side files or the published releases too)."""

    @property
    def kept(self) -> bool:
        """Whether the rule's issues are kept in the validation cache between runs: it reads only the
        ids, typing, facts and references of records, so they are valid while none of those changed."""
        return not self.local and (bool(self.reads) or self.refs)


RULES: list[Rule] = []


def rule(
    *codes: str, local: bool = False, reads: Mapping[str, tuple[str, ...]] | None = None, refs: bool = False, near: bool = False, ids: bool = False
) -> Callable[[Check], Check]:
    """Register a check and the codes it emits (unknown codes fail at import); ``local=True`` for a
    rule that reads only each record itself (and its evidence), never another record; ``reads``
    for a rule across records: the fields it reads of each table's records, through :func:`facts`;
    ``refs=True`` for one that reads the references records make; ``near`` and ``ids``: see
    :attr:`Rule.near` and :attr:`Rule.ids`."""
    for code in codes:
        if code not in CODES:
            raise KeyError(f"rule code {code!r} is not defined in casd.curate.issues.CODES")
    if local and (reads or refs or near or ids):
        raise ValueError("a local rule reads its records themselves: it declares no facts")
    if near and not reads:
        raise ValueError("a near rule declares the facts it reads")
    if ids and (reads or refs or near):
        raise ValueError("a rule that reads only ids declares no facts")

    def register(func: Check) -> Check:
        RULES.append(Rule(func.__name__, codes, func, (func.__doc__ or "").strip(), local, dict(reads or {}), refs, near, ids))
        _fields.cache_clear()
        facts_class.cache_clear()
        return func

    return register


#: table -> name -> a function from a typed record of the table to a small value a rule reads
DERIVED: dict[str, dict[str, Callable[[Any], Any]]] = {}


def fact(table: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Register a fact worked out from each record of a table (named after the function): rules
    across records read it, as they read a field, once they declare it in ``reads``."""

    def register(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        DERIVED.setdefault(table, {})[func.__name__] = func
        return func

    return register


class Facts:
    """The fields of one typed record that the rules across records read (``id`` and those they
    declare with ``reads``), taken from it once and kept in the validation cache. One class per
    table, with a slot per fact (:func:`facts_class`): a million of them are held at once."""

    __slots__: ClassVar[tuple[str, ...]] = ()
    table: ClassVar[str] = ""

    def __getattr__(self, name: str) -> Any:  # reached only for a fact not set: say which
        raise AttributeError(f"{self.table} facts have no {name!r}: declare it in the rule's reads=")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_facts, (self.table, values_of(self)))


def values_of(made: Facts) -> tuple[Any, ...]:
    """The facts' values, in the order of the slots (what :func:`facts` makes them again from; a
    function, not a method: a fact may have any name)."""
    return tuple(getattr(made, name) for name in made.__slots__)


def fact_values(item: RecordFile) -> tuple[Any, ...] | None:
    """The values of what the rules across records read of a record file (None: it did not type),
    as the validation cache keeps them."""
    made = item.facts if item.facts is not None else facts(item)
    if made is None:
        return None
    return made if type(made) is tuple else values_of(made)


def as_values(made: Facts) -> tuple[Any, ...]:
    """How the validation cache pickles facts: as their values (``(tuple, (values,))``: a tuple
    again when read), made into facts only when a rule reads them (:func:`facts`). Rebuilding a
    million facts objects was 40% of reading the cache back."""
    return (tuple, (values_of(made),))


@functools.cache
def facts_class(table: str) -> type[Facts]:
    """The class of a table's facts (its slots: what the rules declare they read of it)."""
    return type(f"{table.title()}Facts", (Facts,), {"__slots__": _fields().get(table, ("id",)), "table": table})


def _restore_facts(table: str, values: tuple[Any, ...]) -> Facts:
    made = facts_class(table)()
    for name, value in zip(made.__slots__, values, strict=True):
        setattr(made, name, value)
    return made


@functools.cache
def _fields() -> dict[str, tuple[str, ...]]:
    wanted: dict[str, set[str]] = {}
    for r in RULES:
        for table, names in r.reads.items():
            wanted.setdefault(table, {"id"}).update(names)
    return {table: tuple(sorted(names)) for table, names in wanted.items()}


def facts(item: RecordFile) -> Facts | None:
    """What the rules across records may read of a record file's typed record (None: it failed)."""
    made = item.facts
    if made is not None:  # only a typed record has facts (and this runs for every record, in every rule)
        if type(made) is tuple:  # as the validation cache keeps them: their values
            made = item.facts = _restore_facts(item.table, made)
            if made.id == item.id:
                setattr(made, "id", item.id)  # noqa: B010 - one string (a slot of every subclass)
            item.share_facts()  # if the record is unpickled already
        return made  # type: ignore[no-any-return]  # made below, or kept from a run of this very code
    if not item.typed:
        return None
    rec, derived = item.record, DERIVED.get(item.table, {})
    made = item.facts = facts_class(item.table)()
    for name in made.__slots__:
        setattr(made, name, derived[name](rec) if name in derived else getattr(rec, name))
    if made.id == item.id:
        setattr(made, "id", item.id)  # noqa: B010 - the file's string, not the record's copy of it (a slot of every subclass)
    return made


def walk(obj: Any, path: tuple[str, ...], loc: Loc = ()) -> Iterator[tuple[Loc, Any]]:
    """Yield ``(loc, value)`` for a field path such as ``("participants", "[]", "actor_id")``."""
    if not path:
        yield loc, obj
        return
    head, rest = path[0], path[1:]
    if head == "[]":
        for i, item in enumerate(obj):
            yield from walk(item, rest, loc + (i,))
        return
    value = getattr(obj, head, None)
    if value is not None:
        yield from walk(value, rest, loc + (head,))


def run(ctx: Context, cache: Cache | None = None) -> list[Issue]:
    """Run every registered rule.

    With a validation cache, the local rules run only on the records whose cached rule results are
    not valid (their file or a seed they cite changed since, or they were never checked), and the
    cached results stand for the others. The rules across records whose issues the cache keeps
    (:attr:`Rule.kept`) run on the whole dataset unless nothing they read changed since their
    issues were kept (:func:`_kept_across`); the others run on the whole dataset every time.
    """
    found: list[Issue] = []
    if cache is None:
        for r in RULES:
            found += r.check(ctx)
        return found
    stale, kept = _cached(ctx.dataset, cache)
    across = _kept_across(ctx, cache)
    cache.across_by = "every" if across is None else "kept"
    if cache.patching:
        across = _patched_across(ctx, cache, across)
    fresh: dict[str, list[Issue]] = {}
    found_across: list[Issue] = []
    for r in RULES:
        if r.kept and across is not None:
            continue
        for i in r.check(replace(ctx, dataset=stale) if r.local else ctx):
            found.append(i)
            if r.local:
                fresh.setdefault(i.path, []).append(i)
            elif r.kept:
                found_across.append(i)
    for item in stale.all():
        entry = cache.entry_for(item)
        if entry is not None:
            entry.rule_issues = tuple(fresh.get(item.path, ()))
            cache.touch(item.path)
    if across is None:
        across = tuple(found_across) if not cache.unkept else None
    else:
        found += across
    cache.across = across
    return found + kept


def _kept_across(ctx: Context, cache: Cache) -> tuple[Issue, ...] | None:
    """The kept issues of the rules across records (:attr:`Cache.across`), if they still hold: no
    file was added or removed, every changed file has the same typing, facts and references as
    before, and none of those issues lies in a changed file (its position may have moved)."""
    across, replaced = cache.across, cache.replaced
    if across is None or replaced is None or cache.added or cache.unkept or cache.gone():
        return None
    for shown, old in replaced.items():
        new = cache.entries.get(shown)
        if new is None or read_across(old.item, ctx.layout) != read_across(new.item, ctx.layout):
            return None
    if replaced and any(i.path in replaced for i in across):
        return None
    return across


#: a run of ``casd serve`` with more record files changed than this runs the rules across records on every record
PATCH_MAX = 256


def _patched_across(ctx: Context, cache: Cache, kept: tuple[Issue, ...] | None) -> tuple[Issue, ...] | None:
    """For a run that patches the last one (``casd serve``: :attr:`Cache.patching`): the issues of
    the kept rules across records (``kept``, if they still hold), else found again around the
    records that changed (:func:`casd.curate.graph.renear`, :func:`~casd.curate.graph.redangle`),
    or None if they must run on every record. The last run's graph of the records, if it made
    one, is carried over to this run's dataset (:attr:`Cache.graph`); else one is made when needed."""
    from ...paths import record_file
    from ..graph import NEAR_LIMIT, Change, Held, TooFar, redangle, renear
    from ..load import table_and_id
    from .references import references_exist

    last, across = cache.patch, cache.across
    if last is None or cache.unkept:
        return kept
    tables, layout = ctx.dataset.tables, ctx.layout
    changed: dict[tuple[str, str], Change] = {}
    ids_changed = False
    for shown in sorted(cache.todo):  # (every file looked at, appeared or gone)
        key = table_and_id(shown)
        old, now = last.tables[key[0]].get(key[1]), tables[key[0]].get(key[1])
        if old is now:
            continue  # the same record file: its entry was still valid
        ids_changed |= (old is None) != (now is None)
        changed[key] = Change(read_across(old, layout), read_across(now, layout), now)  # (now None: gone, or unreadable)
    graph = last.graph
    if graph is not None:
        graph.move(ctx.dataset, changed)
        cache.graph = graph
    if kept is not None:
        return kept
    if across is None or len(changed) > PATCH_MAX or any(key[0] == "sources" for key in changed):
        return None
    if any(r.kept and not r.near and r.check is not references_exist for r in RULES):
        return None  # a rule across records whose issues cannot be found apart
    if graph is None:
        graph = cache.graph = Held(ctx.dataset, layout)  # (this run's dataset: the changes are in it)
    paths = {record_file(*key) for key in changed}
    held = {i.code for i in across if i.path in paths}
    issues = [i for i in across if i.path not in paths]
    refs_codes = next(r.codes for r in RULES if r.check is references_exist)
    try:
        issues = renear(RULES, issues, changed, held, graph, tables.__getitem__, ctx.dataset.root, layout, ctx.dataset)
        issues = redangle(issues, refs_codes, changed, graph, tables, layout, lambda key: tables[key[0]].get(key[1]), ids_changed, NEAR_LIMIT)
    except TooFar:
        return None
    cache.across_by = "near"
    return tuple(issues)


def read_across(item: RecordFile | None, layout: Layout) -> tuple[tuple[Any, ...], tuple[str, ...]] | None:
    """What the kept rules across records read of a record file: its facts' values and its
    references (None: it did not type, or there is no file). The ledger's graph keeps it for every
    record (:data:`casd.curate.graph.Node`)."""
    from .references import targets

    if item is None or item.stored is None:
        return None
    values = fact_values(item)
    if values is None:
        return None
    return values, targets(item, layout)


def _cached(data: Dataset, cache: Cache) -> tuple[Dataset, list[Issue]]:
    """The records the local rules must check, and what they found in the others (cached); the
    facts of every typed record are worked out."""
    stale = Dataset(data.root)
    kept: list[Issue] = []
    entries = cache.entries
    items: Iterable[RecordFile] = data.all()
    if cache.patching:  # a run that patches the last one: what they found holds for every file it did not look at
        assert cache.patch is not None
        kept += cache.untouched(cache.patch.checked)
        items = data.by_path(cache.todo)
    for item in items:
        entry = entries.get(item.path)  # cache.entry_for, inlined: this loop runs over every record on every run
        if entry is not None and entry.item is not item:
            entry = None
        if entry is not None and entry.rule_issues is not None:
            kept += entry.rule_issues
        else:
            stale.tables[item.table][item.id] = item
        if item.facts is None and item.stored is not None:
            facts(item)
            if entry is not None:
                cache.touch(item.path)  # its facts are kept with it
    return stale, kept


def run_alone(item: RecordFile, anchors: Anchors, layout: Layout, root: Path) -> tuple[Issue, ...]:
    """What the local rules find in one record on its own, given its anchors: what :func:`run`
    keeps for it in the validation cache (:mod:`casd.curate.alone` runs it where the file is parsed)."""
    view = Dataset(root)
    view.tables[item.table][item.id] = item
    ctx = Context(view, anchors, layout)
    return tuple(i for r in RULES if r.local for i in r.check(ctx))


def _register_all() -> None:
    """Import every module of this package, so that its rules register (a new module needs no other edit)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_register_all()
