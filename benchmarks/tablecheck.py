"""Time casd's vectorised table checker against frictionless-py on one built project.

    python benchmarks/tablecheck.py /tmp/casd-bench/100000 [--repeat 5]

The project must have been built (`casd build -C PROJECT`). The checker runs over the Arrow tables
read from build/current/*.parquet (best of --repeat); frictionless-py validates the same
build/current/datapackage.json once, in this process, its import included. Prints figures; asserts
nothing but that both verdicts agree.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from casd.model.relational import tables
from casd.packaging.tablecheck import check_tables


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    current = args.project / "build" / "current"
    data: dict[str, pa.Table] = {}
    for t in tables():
        found = sorted(current.rglob(f"{t.name}.parquet"))
        if not found:
            parser.error(f"{current} has no {t.name}.parquet: run `casd build -C {args.project}` first")
        data[t.name] = pq.read_table(found[0])
    rows = sum(d.num_rows for d in data.values())
    best = float("inf")
    problems = []
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        problems = check_tables(tables(), data)
        best = min(best, time.perf_counter() - start)
    start = time.perf_counter()
    from frictionless import validate

    report = validate(str(current / "datapackage.json"))
    oracle = time.perf_counter() - start
    print(f"{rows:,} rows in {len(data)} tables")
    print(f"casd vectorised check: {best:.3f} s (best of {args.repeat}), {len(problems)} problem(s)")
    print(f"frictionless validate: {oracle:.2f} s (import included), valid={report.valid}")
    print(f"ratio: {oracle / best:.0f}x")
    if report.valid != (not problems):
        print("VERDICTS DIFFER")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
