"""Where `casd validate`'s time goes: cProfile over an in-process ``casd.curate.validate.validate``.

    python benchmarks/profile_validate.py PROJECT [--cache] [--gc-on] [--top 15] [--out validate.prof]
    python benchmarks/profile_validate.py PROJECT --stages [--cache]

By default the validation cache is not used (a cold run: every file parsed, every quote anchored)
and the cyclic GC is off, as the CLI runs it. Prints the top functions by cumulative time and by
own time; ``--out`` keeps the raw profile (``python -m pstats``). cProfile's overhead inflates
call-heavy code (the YAML reader most), so read the ranking, not the absolute seconds.

``--stages`` runs no profiler: it times (wall and CPU) the stages ``validate`` calls by the names
it imports (``read_dataset``, ``load_seeds``, ``resolve``, ``layout``, …, and each registered rule
of ``casd.curate.checks``), by wrapping them from outside for this process only. The overhead is two
clock reads per call, so its seconds are those of a plain run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

STAGED = ("open_cache", "read_side_file", "read_dataset", "load_seeds", "resolve", "read_lists", "layout")


def _timed(label: str, func: Callable[..., Any], acc: dict[str, list[float]], consume: bool = False) -> Callable[..., Any]:
    """``func`` timed into ``acc[label]``; ``consume``: the result is an iterator (a rule), run it to the end inside the timer."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        try:
            return list(func(*args, **kwargs)) if consume else func(*args, **kwargs)
        finally:
            row = acc.setdefault(label, [0.0, 0.0, 0])
            row[0] += time.perf_counter() - t
            row[1] += time.process_time() - c
            row[2] += 1

    return wrapped


def stages(project: Path, use_cache: bool) -> None:
    """Time each stage of one in-process validate (no profiler)."""
    from casd.curate import checks
    from casd.curate import validate as v

    acc: dict[str, list[float]] = {}
    for name in STAGED:
        if hasattr(v, name):
            setattr(v, name, _timed(name, getattr(v, name), acc))
    checks.RULES[:] = [replace(r, check=_timed(f"rule {r.name}", r.check, acc, consume=True)) for r in checks.RULES]
    t, c = time.perf_counter(), time.process_time()
    result = v.validate(project, use_cache=use_cache, records=False)  # as `casd validate` runs it
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"validate: {len(result.dataset):,} record files, {len(result.issues):,} issues, {wall:.2f} s wall, {cpu:.2f} s CPU (in process, imports excluded)")
    print(f"{'stage':<44} {'wall s':>8} {'CPU s':>8} {'share':>6} {'calls':>6}")
    for label, (w, cp, n) in sorted(acc.items(), key=lambda kv: -kv[1][0]):
        if w >= 0.005:
            print(f"{label:<44} {w:8.2f} {cp:8.2f} {w / wall:6.1%} {int(n):>6}")
    rest = wall - sum(w for w, _, _ in acc.values())
    print(f"{'(the rest: cache save, sorting the issues, ...)':<44} {rest:8.2f} {'':>8} {rest / wall:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--cache", action="store_true", help="use (and fill) the project's validation cache")
    ap.add_argument("--gc-on", action="store_true", help="keep the cyclic GC on (the CLI turns it off)")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--stages", action="store_true", help="time the stages instead of profiling")
    a = ap.parse_args()
    if not a.gc_on:
        gc.disable()
    if a.stages:
        stages(a.project, a.cache)
        return
    from casd.curate.validate import validate

    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    result = validate(a.project, use_cache=a.cache, records=False)  # as `casd validate` runs it
    prof.disable()
    wall = time.perf_counter() - t
    print(f"validate: {len(result.dataset):,} record files, {len(result.issues):,} issues, {wall:.2f} s under cProfile")
    if a.out:
        prof.dump_stats(str(a.out))
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(a.top)
        text = buf.getvalue()
        print(f"--- top {a.top} by {key} ---")
        print(text[text.find("   ncalls") :].rstrip())


if __name__ == "__main__":
    main()
