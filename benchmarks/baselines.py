"""What `benchmarks/run.py` measures beside casd's own commands, one mode per (fresh) process.

    python benchmarks/baselines.py io PROJECT       # the floor: list and read every record and seed file's bytes
    python benchmarks/baselines.py stat PROJECT     # list the record folders and lstat every record file
    python benchmarks/baselines.py naive PROJECT    # yaml.safe_load (pure-Python loader) + Model.model_validate per file
    python benchmarks/baselines.py probe LOG -- ARGV...   # run a console script (ARGV[0]) with a file-open probe

``io``, ``stat`` and ``naive`` print one JSON line (files, bytes, errors, seconds in the process).

``naive`` is the pipeline a user would write without casd: PyYAML's ``safe_load`` (its default,
pure-Python ``SafeLoader``) and the table's Pydantic model (``casd.model.records.TABLES``), file
by file. It checks no reference, date rule or quote. YAML 1.1 types some scalars (unquoted dates
become ``datetime.date``, ``2003`` an int), which casd's string-typed fields refuse; such files are
counted as ``typing_errors``, so the count says how many records this pipeline gets wrong.

``probe`` runs a console script in this process with an audit hook on ``open``: it appends to LOG
the time (``time.time()``) of the first record file opened (``dataset/<table>/*.yaml``), then every
20,000 files the count and the process's RSS. A forked worker inherits the hook and appends its own
lines. A thread also appends, every ``BENCH_PROBE_EVERY`` seconds (default 10), the RSS and the
casd functions the main thread is in (outermost first), so that a run stopped by a memory cap
tells in which stage it was. casd is not modified.
"""

from __future__ import annotations

import json
import os
import resource
import runpy
import sys
import time
from pathlib import Path
from typing import Any

T0 = time.perf_counter()
PROGRESS_EVERY = 20_000


def record_files(project: Path) -> list[tuple[str, str]]:
    """(table, path) of every record file, table by table, in name order."""
    from casd.model.records import TABLES

    out = []
    for table in TABLES:
        folder = project / "dataset" / table
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it if e.name.endswith(".yaml"))
        out += [(table, os.path.join(folder, n)) for n in names]
    return out


def read_all(project: Path) -> dict[str, Any]:
    files = [p for _, p in record_files(project)]
    with os.scandir(project / "seeds") as it:
        files += [e.path for e in it if e.name.endswith(".txt")]
    nbytes = 0
    for path in files:
        with open(path, "rb") as f:
            nbytes += len(f.read())
    return {"files": len(files), "bytes": nbytes, "errors": 0}


def stat_all(project: Path) -> dict[str, Any]:
    """Every record file's status, as a one-shot ``casd validate`` takes it to find what changed
    (no casd module is imported: the process is Python's start-up plus the listing and the lstats)."""
    files = 0
    with os.scandir(project / "dataset") as tables:
        folders = sorted(e.path for e in tables if e.is_dir())
    for folder in folders:
        with os.scandir(folder) as it:
            for e in it:
                if e.name.endswith(".yaml"):
                    os.lstat(e.path)
                    files += 1
    return {"files": files, "bytes": 0, "errors": 0}


def naive(project: Path) -> dict[str, Any]:
    import yaml
    from pydantic import ValidationError

    from casd.model.records import TABLES

    listing = record_files(project)
    nbytes = yaml_errors = typing_errors = 0
    for table, path in listing:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        nbytes += len(text)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            yaml_errors += 1
            continue
        try:
            TABLES[table].model_validate(data)
        except ValidationError:
            typing_errors += 1
    return {"files": len(listing), "bytes": nbytes, "errors": yaml_errors + typing_errors, "yaml_errors": yaml_errors, "typing_errors": typing_errors}


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _stage(frame: Any) -> str:
    """The innermost casd functions ``frame`` (the main thread's) is in, outermost first (its stage)."""
    names = []
    while frame is not None:
        if f"{os.sep}casd{os.sep}" in frame.f_code.co_filename:
            names.append(frame.f_code.co_name)
        frame = frame.f_back
    seq: list[str] = []
    for name in reversed(names):  # outermost first, recursion folded
        if not seq or seq[-1] != name:
            seq.append(name)
    return ">".join(seq[-7:]) or "-"


def _sampler(write: Any, every: float) -> None:
    """A sample every ``every`` seconds, from a timer signal rather than a thread: with a second
    thread running, casd would start its workers from a fork server instead of forking them, so the
    probed run would differ from the one it stands for (and the workers' CPU time, reaped by the fork
    server, would be lost). Forked workers do not inherit the timer."""
    import signal

    def sample(signum: int, frame: Any) -> None:
        write(f"sample {os.getpid()} {time.time():.3f} {_rss_mb():.1f} {_stage(frame)}")

    signal.signal(signal.SIGALRM, sample)
    signal.setitimer(signal.ITIMER_REAL, every, every)


def probe(log: str, argv: list[str]) -> None:
    """Run the console script ``argv[0]`` with ``argv[1:]``, logging record-file opens to ``log``."""
    state = {"pid": 0, "n": 0}
    sep = os.sep

    def write(line: str) -> None:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event != "open" or not args:
            return
        path = args[0]
        if not isinstance(path, str | os.PathLike):
            return
        text = os.fspath(path)
        if not isinstance(text, str) or not text.endswith(".yaml") or f"{sep}dataset{sep}" not in text or text.count(sep) < 2:
            return
        if text.rsplit(sep, 2)[-2] in ("dataset", "coverage"):
            return  # package.yaml, tombstones.yaml, coverage lists
        pid = os.getpid()
        if state["pid"] != pid:  # first record file of this process (or of a forked worker)
            state["pid"], state["n"] = pid, 0
            write(f"first {pid} {time.time():.6f}")
        state["n"] += 1
        if state["n"] % PROGRESS_EVERY == 0:
            write(f"progress {pid} {state['n']} {time.time():.6f} {_rss_mb():.1f}")

    sys.addaudithook(hook)
    _sampler(write, float(os.environ.get("BENCH_PROBE_EVERY", "10")))
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name="__main__")


def main() -> None:
    mode = sys.argv[1]
    if mode == "probe":
        rest = sys.argv[3:]
        probe(sys.argv[2], rest[1:] if rest[:1] == ["--"] else rest)
        return
    project = Path(sys.argv[2])
    result = {"io": read_all, "stat": stat_all, "naive": naive}.get(mode, lambda p: None)(project)
    if result is None:
        raise SystemExit(f"unknown mode {mode!r}")
    result.update(mode=mode, seconds=round(time.perf_counter() - T0, 3))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
