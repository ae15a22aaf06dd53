"""Benchmark: how long validation and build take on a large synthetic dataset.

Prints figures; asserts nothing (speed goals live here, never in a timed test).

    python benchmarks/bench_pipeline.py [N]     # N synthetic events (default 20000)

Each synthetic event copies a real record's shape (participants, claims, evidence
anchored in a real seed), so every pipeline stage does real work.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from casd.curate.load import read_dataset  # noqa: E402
from casd.curate.validate import validate  # noqa: E402
from casd.packaging import build  # noqa: E402

EVENT = """id: {id}
title: Synthetic event {n}
summary: A synthetic copy of a real record, for timing only.
kind: security-operation
status: occurred
date: 2015-07-16
date_note: Copied from the real record.
place_id: bishkek
participants:
  - actor_id: state-committee-for-national-security
    role: agent
evidence:
  - source: foreign-intrigue-kyrgyz-raids-askarov
    quote: the July 16 raid
    fields: [date]
  - source: kyrgyz-officials-foil-attacks
    quote: The four militants were killed during the operation and seven members were detained.
"""


def timed(label: str, fn: Callable[[], T]) -> T:
    t = time.perf_counter()
    out = fn()
    print(f"{label:<28} {time.perf_counter() - t:8.2f} s")
    return out


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        proj = Path(tmp)
        shutil.copytree(ROOT / "tests/data/minimal", proj, dirs_exist_ok=True)
        shutil.copytree(ROOT / "seeds", proj / "seeds")
        events = proj / "dataset/events"
        for i in range(n):
            (events / f"synthetic-{i:06d}.yaml").write_text(EVENT.format(id=f"synthetic-{i:06d}", n=i))
        print(f"{n} synthetic events + the minimal fixture")
        timed("read + type (records)", lambda: read_dataset(proj))
        report = timed("validate (all checks)", lambda: validate(proj))
        print(f"{'peak memory (max RSS)':<28} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.1f} MiB")
        assert not report.issues, report.issues[:3]
        rendered = timed("render CSV + Parquet", lambda: build.render(report, "0.0.0-bench"))
        timed("write build atomically", lambda: build.write(proj, rendered))
        print(f"{'peak memory (max RSS)':<28} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.1f} MiB")
        print(f"{'build size':<28} {sum(len(b) for b in rendered.files.values()) / 2**20:8.1f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
