"""Compare casd versions on the same generated project, interleaved, so that the machine's drift cancels out.

    python benchmarks/ab.py PROJECT REV [REV ...] [--rounds 3] [--args "validate"] [--keep-cache]

Each REV is a git revision of this checkout, or ``work`` for the working tree's ``src/``. A revision's
``src/`` is exported with ``git archive`` (read-only on the repository) to ``/tmp/casd-ab/<rev>/`` and
run with this venv's Python and ``PYTHONPATH`` pointing at it, so the dependencies are the same for
all. Every round runs each revision once, in the given order, plus a fixed pure-Python CPU loop
and a fixed allocation of small objects (the machine's speed), in fresh processes; ``.casd-cache/`` is removed before each run unless
``--keep-cache``. Prints one line per run and the medians.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import statistics
import subprocess
from pathlib import Path

from run import CALIBRATE, CALIBRATE_MEM, PY, ROOT, Run, measure

SCRIPT = "import sys; from casd.cli import main; sys.argv[0] = 'casd'; sys.exit(main())"


def export(rev: str, base: Path) -> Path:
    """The ``src/`` folder of a revision (``work``: the working tree's own)."""
    if rev == "work":
        return ROOT / "src"
    out = base / rev
    if not (out / "src").is_dir():
        out.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out / "src"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("revs", nargs="+")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--args", default="validate", help="the casd command line to time (-C PROJECT is appended)")
    ap.add_argument("--keep-cache", action="store_true")
    ap.add_argument("--base", type=Path, default=Path("/tmp/casd-ab"))
    a = ap.parse_args()
    sources = {rev: export(rev, a.base) for rev in a.revs}
    order = [*a.revs, "calibrate_cpu", "calibrate_mem"]
    runs: dict[str, list[Run]] = {rev: [] for rev in order}
    for r in range(a.rounds):
        for rev in order:
            if rev.startswith("calibrate_"):
                run = measure([PY, "-c", CALIBRATE if rev == "calibrate_cpu" else CALIBRATE_MEM])
            else:
                if not a.keep_cache:
                    shutil.rmtree(a.project / ".casd-cache", ignore_errors=True)
                run = measure([PY, "-c", SCRIPT, *shlex.split(a.args), "-C", str(a.project)], extra_env={"PYTHONPATH": str(sources[rev])})
            runs[rev].append(run)
            print(f"round {r + 1} {rev:<13} wall {run.wall:7.2f} s  cpu {run.cpu:7.2f} s (sys {run.sys:5.2f})  rss {run.maxrss_mb:6.0f} MB  rc {run.rc}  load {run.load1:.1f}", flush=True)
    print("median:")
    for rev, rs in runs.items():
        print(f"  {rev:<13} wall {statistics.median(x.wall for x in rs):7.2f} s  cpu {statistics.median(x.cpu for x in rs):7.2f} s")


if __name__ == "__main__":
    main()
