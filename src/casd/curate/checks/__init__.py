"""Rules across the fields of one record and across records: a registry of checks.

A check is a function ``(ctx: Context) -> Iterable[Issue]`` registered with :func:`rule` and
the codes it may emit (each code is defined, with its meaning and fix, in
:data:`casd.curate.issues.CODES`). One module per theme: :mod:`.references`, :mod:`.claims`,
:mod:`.dates`, :mod:`.figures`, :mod:`.evidence`, :mod:`.ids`. A new rule is one decorated
function in the module of its theme, or in a new module here (every module of this package is
imported, so nothing else needs editing); its code and message go in
:data:`casd.curate.issues.CODES`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ...model.records import Tombstone
from ...model.relational import Layout
from ..anchors import Anchors
from ..issues import CODES, Issue
from ..load import Dataset, Loc


@dataclass(frozen=True)
class Context:
    """What every check reads: the typed dataset, the resolved evidence and the relational layout."""

    dataset: Dataset
    anchors: Anchors
    layout: Layout
    tombstones: tuple[Tombstone, ...] = ()


Check = Callable[[Context], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    name: str
    codes: tuple[str, ...]
    check: Check
    doc: str


RULES: list[Rule] = []


def rule(*codes: str) -> Callable[[Check], Check]:
    """Register a check and the codes it emits (unknown codes fail at import)."""
    for code in codes:
        if code not in CODES:
            raise KeyError(f"rule code {code!r} is not defined in casd.curate.issues.CODES")

    def register(func: Check) -> Check:
        RULES.append(Rule(func.__name__, codes, func, (func.__doc__ or "").strip()))
        return func

    return register


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


def run(ctx: Context) -> list[Issue]:
    """Run every registered rule."""
    found: list[Issue] = []
    for r in RULES:
        found += r.check(ctx)
    return found


def _register_all() -> None:
    """Import every module of this package, so that its rules register (a new module needs no other edit)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_register_all()
