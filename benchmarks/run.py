"""Measure casd validate and build at scale, against the baselines, and write the results.

    python benchmarks/run.py --sizes 10000,100000 [--baselines-max 100000] [--out benchmarks/RESULTS.md]
    python benchmarks/run.py --sizes 1000000 --only validate_cold --mem-cap-gb 6 --timeout-s 2400

For each size N it generates (or reuses) two projects under ``--cache-root`` (default
``/tmp/casd-bench``) with ``benchmarks/generate.py``: ``N/``, valid, and ``N-broken/``, with
``--broken`` (default 1%) of its records broken. Every measurement runs in a fresh process,
started with ``casd`` (or ``frictionless``, or ``benchmarks/baselines.py``) from this venv's bin
folder. Per run: wall time, CPU time (user + sys of the process and of the workers it waited for,
from ``os.wait4``), peak RSS of the largest single process (``ru_maxrss``) and the peak memory
of the whole process tree (the sum of every descendant's PSS, sampled every 0.2 s, so that worker
processes count). Every file of a size's projects is read once before its steps, but the page cache may not hold them all
(each record file takes a 4 KiB page: 4 GiB at 1M): the share of the machine's CPU time spent
waiting for the disk during each run is recorded (``iowait``) and noted from 5%.

Steps (``--only`` / ``--skip`` take these names):

=====================  ===========================================================================
calibrate_cpu          a fixed pure-Python CPU loop: how fast the machine was (it varies between runs)
calibrate_mem          a fixed allocation of about 600 MB of small objects (page faults: sys time)
validate_cold          ``casd validate`` on the valid project, ``.casd-cache/`` removed first
validate_warm          ``casd validate`` again after editing one record's text (cache kept: the ledger answers)
validate_warm_ref      the same after changing one record's reference (to another record, and back on the next
                       run): the ledger finds again whether the record's references dangle
validate_warm_fact     the same after changing a fact a rule across records compares (the record's first
                       ``relation: related`` made ``part-of``, and back on the next run): the ledger runs those
                       rules again on the record's neighbourhood
validate_warm_file     the same after adding a record file (a copy of one under a new id), then removing it on
                       the next run: the ledger checks the new file, and runs again the rules that read ids
validate_served        ``casd validate`` after editing one record, answered by a running ``casd serve`` (started
                       untimed before the first run, and idle before each; its start and memory are reported)
validate_served_file   the same after adding a record file (a copy of one under a new id), then removing it,
                       then adding it: the rules across records run again around it (removed when the server
                       stops)
validate_served_fact   the same after changing a fact a rule across records compares (as validate_warm_fact):
                       those rules run again on the record's neighbourhood
validate_served_again  a second edit of the record, answered at once after the first (asked, untimed, the
                       moment before): the answer a burst of saves gets while the server has not yet
                       written the cache of the last one
validate_cold_serial   ``casd validate``, cache removed, with ``CASD_WORKERS=1`` (parsing in this process only)
validate_nocache       ``casd validate`` with ``CASD_NO_CACHE=1``: what a cold run pays for writing the cache
build_first            ``casd build`` with build/current, datapackage.json and the cache removed: the first
                       build of a project (one validation since 2 December 2026; recovery used to build twice)
build_cold             ``casd build`` after editing one record, the cache removed, build/current kept (as in
                       a fresh clone, where build/current is committed)
build_warm             ``casd build`` again after editing one record (cache and build kept)
frictionless           ``frictionless validate datapackage.json`` on the package the build wrote
read_floor             list and read the bytes of every record and seed file (``baselines.py io``)
stat_floor             list the record folders and lstat every record file (``baselines.py stat``): the least a
                       one-shot ``casd validate`` after an edit pays to find what changed
naive                  ``yaml.safe_load`` + ``Model.model_validate`` per file (``baselines.py naive``)
validate_cold_broken   ``casd validate -f json`` on the broken project, cache removed: the error path
validate_warm_broken   the same after editing one (unbroken) record, cache kept
pre_read               ``casd validate`` (cold) under a probe: time until the first record file opens
=====================  ===========================================================================

The baselines (frictionless, read_floor, naive) run only up to ``--baselines-max`` records;
``pre_read`` only up to ``--probe-max``. Once per invocation, on the real dataset alone (copy 0),
the start-up: ``casd --version``, a cold ``casd validate``, its imports (``python -X importtime``)
and its time before the first record file is read.

Results are merged into ``--out`` (Markdown) and the JSON beside it: a size measured again
replaces that size's steps, the others are kept (each size records its own date and commit).
``--mem-cap-gb`` caps every measured process's address space (RLIMIT_AS, inherited by workers)
and runs casd under the probe, which logs progress; ``--timeout-s`` stops a run's whole process
group. Nothing is asserted: figures are printed and written.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
CASD = str(BIN / "casd")
PY = sys.executable
MANIFEST = "bench-manifest.json"
EDIT_MARK = re.compile(r" \(bench edit \d+\)$")

STEPS = (
    "calibrate_cpu",
    "calibrate_mem",
    "validate_cold",
    "validate_warm",
    "validate_warm_ref",
    "validate_warm_fact",
    "validate_warm_file",
    "validate_served",
    "validate_served_file",
    "validate_served_fact",
    "validate_served_again",
    "validate_cold_serial",
    "validate_nocache",
    "build_first",
    "build_cold",
    "build_warm",
    "frictionless",
    "read_floor",
    "stat_floor",
    "naive",
    "validate_cold_broken",
    "validate_warm_broken",
    "pre_read",
)
BASELINES = {"frictionless", "read_floor", "naive"}
#: fixed workloads that tell how fast the machine was during a size's runs: pure-Python CPU, and
#: allocating about 600 MB of small objects (page faults: on this VM their cost varies the most)
CALIBRATE = "sum(i * i for i in range(10**7))"
CALIBRATE_MEM = "x = [{'a': i, 'b': str(i)} for i in range(2 * 10**6)]"
WHAT = {
    "calibrate_cpu": f'machine speed, CPU: python -c "{CALIBRATE}"',
    "calibrate_mem": f'machine speed, memory: python -c "{CALIBRATE_MEM}"',
    "validate_cold": "casd validate, no cache",
    "validate_warm": "casd validate after editing 1 record's text (cache kept)",
    "validate_warm_ref": "casd validate after changing 1 record's reference (cache kept)",
    "validate_warm_fact": "casd validate after changing 1 record's fact that a rule across records compares (cache kept)",
    "validate_warm_file": "casd validate after adding or removing 1 record file (cache kept)",
    "validate_served": "casd validate after editing 1 record, answered by casd serve",
    "validate_served_file": "casd validate after adding or removing 1 record file, answered by casd serve",
    "validate_served_fact": "casd validate after changing 1 record's fact that a rule across records compares, answered by casd serve",
    "validate_served_again": "casd validate after a second edit, asked at once after the first edit's answer, answered by casd serve",
    "validate_cold_serial": "casd validate, no cache, CASD_WORKERS=1 (parsing in one process)",
    "validate_nocache": "casd validate with CASD_NO_CACHE=1 (no cache read or written)",
    "build_first": "casd build, no cache, no build/current (a first build)",
    "build_cold": "casd build after editing 1 record, no cache (build/current kept)",
    "build_warm": "casd build after editing 1 record (cache and build kept)",
    "frictionless": "frictionless validate datapackage.json (the built package)",
    "read_floor": "floor: read every record and seed file's bytes",
    "stat_floor": "floor: list the record folders and lstat every record file (what the cache's prefilter does)",
    "naive": "naive: yaml.safe_load + Model.model_validate per file",
    "validate_cold_broken": "casd validate -f json, broken records, no cache",
    "validate_warm_broken": "the same after editing 1 record (cache kept)",
    "pre_read": "casd validate (cold) under the probe",
    "version": "casd --version",
    "validate_real": "casd validate, no cache (real dataset)",
}


# --- one measured process ------------------------------------------------------------------


@dataclass
class Run:
    cmd: list[str]
    wall: float = 0.0
    cpu: float = 0.0
    user: float = 0.0
    sys: float = 0.0
    maxrss_mb: float = 0.0
    tree_peak_mb: float = 0.0
    procs_peak: int = 0
    rc: int = 0
    stopped: str = ""
    load1: float = 0.0
    iowait: float = 0.0
    series: list[tuple[float, float]] = field(default_factory=list)
    stdout: str = ""
    stderr_tail: str = ""
    progress: dict[str, Any] = field(default_factory=dict)


def _cpu_ticks() -> tuple[int, int]:
    """The machine's CPU time waiting for the disk, and in all (``/proc/stat``, in ticks)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (ticks[4] if len(ticks) > 4 else 0), sum(ticks)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def _pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree(root: int) -> list[int]:
    kids = _children()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


class Sampler(threading.Thread):
    """Samples the memory (sum of PSS) of a process and all its descendants every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.every, self.t0 = pid, every, time.perf_counter()
        self.peak, self.procs = 0.0, 0
        self.series: list[tuple[float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            pids = _tree(self.pid)
            mb = sum(_pss_mb(p) for p in pids)
            self.peak, self.procs = max(self.peak, mb), max(self.procs, len(pids))
            self.series.append((round(time.perf_counter() - self.t0, 1), round(mb, 1)))


def measure(cmd: list[str], cwd: Path | None = None, cap_gb: float | None = None, timeout: float | None = None, keep_stdout: bool = False, extra_env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` in a fresh process (its own session) and measure it."""
    run = Run(cmd)

    def limits() -> None:
        if cap_gb:
            cap = int(cap_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = dict(os.environ, PYTHONUNBUFFERED="1", **(extra_env or {}))
    waited, ticks = _cpu_ticks()
    t = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, preexec_fn=limits, start_new_session=True
    )
    sampler = Sampler(proc.pid)
    sampler.start()
    out: dict[str, bytes] = {}
    pipes = [(s, n) for s, n in ((proc.stdout, "out"), (proc.stderr, "err")) if s is not None]
    readers = [threading.Thread(target=lambda s=s, n=n: out.__setitem__(n, s.read()), daemon=True) for s, n in pipes]
    for r in readers:
        r.start()
    timer = threading.Timer(timeout, lambda: _stop(proc.pid, run)) if timeout else None
    if timer:
        timer.start()
    _, status, ru = os.wait4(proc.pid, 0)
    run.wall = time.perf_counter() - t
    if timer:
        timer.cancel()
    sampler.done.set()
    sampler.join()
    for r in readers:
        r.join(timeout=30)
    run.cpu, run.user, run.sys = ru.ru_utime + ru.ru_stime, ru.ru_utime, ru.ru_stime
    run.maxrss_mb = ru.ru_maxrss / 1024
    run.tree_peak_mb, run.procs_peak, run.series = sampler.peak, sampler.procs, sampler.series
    run.rc = os.waitstatus_to_exitcode(status)
    run.load1 = os.getloadavg()[0]
    waited_now, ticks_now = _cpu_ticks()
    run.iowait = (waited_now - waited) / (ticks_now - ticks) if ticks_now > ticks else 0.0
    run.stdout = out.get("out", b"").decode("utf-8", "replace") if keep_stdout else ""
    run.stderr_tail = "\n".join(out.get("err", b"").decode("utf-8", "replace").strip().splitlines()[-6:])
    return run


def _stop(pid: int, run: Run) -> None:
    run.stopped = "timeout"
    try:
        os.killpg(pid, signal.SIGKILL)  # the process group of the child this script started
    except ProcessLookupError:
        pass


# --- projects ------------------------------------------------------------------------------


def project(root: Path, size: int, broken: float, seed: int, regen: bool, name: str | None = None) -> tuple[Path, dict[str, Any]]:
    """The generated project for a size (reused when its manifest matches), and its manifest."""
    path = root / (name or (str(size) if not broken else f"{size}-broken"))
    want = {"requested": size, "broken_share": broken, "seed": seed}
    if not regen and (path / MANIFEST).is_file():
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        if all(manifest.get(k) == v for k, v in want.items()) and manifest.get("generator_version") == _generator_version():
            return path, manifest
    print(f"generating {path} ...", flush=True)
    t = time.perf_counter()
    subprocess.run([PY, str(HERE / "generate.py"), str(size), str(path), "--broken", str(broken), "--seed", str(seed), "--force"], check=True, stdout=subprocess.DEVNULL)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    print(f"  {manifest['records']} records, {manifest['broken']} broken, in {time.perf_counter() - t:.1f} s", flush=True)
    return path, manifest


def _generator_version() -> int:
    m = re.search(r"^VERSION = (\d+)", (HERE / "generate.py").read_text(encoding="utf-8"), re.M)
    return int(m.group(1)) if m else 0


def _served(clean: Path, ctx: Ctx, editable: Path, change: Callable[[Path], None]) -> None:
    """Before a served run: the server up (started untimed, once), then the record changed."""
    SERVER.ensure(clean, ctx)
    change(editable)


def _served_twice(clean: Path, ctx: Ctx, editable: Path) -> None:
    """Before ``validate_served_again``: the server idle, the record edited and that edit answered
    (untimed), then the record edited again: the timed run asks at once."""
    _served(clean, ctx, editable, edit_one)
    SERVER.asked += 1  # one more answer follows this call
    first = subprocess.run([CASD, "validate", "-C", str(clean)], capture_output=True, env=os.environ | {"CASD_SERVER": "require"}, check=False)
    if first.returncode not in (0, 1):
        raise SystemExit(f"casd serve did not answer: {first.stderr.decode()[-1000:]}")
    edit_one(editable)


def add_or_remove(editable: Path) -> None:
    """A record file added (a copy of one under a new id), or removed if it is there."""
    added = _added(editable)
    if added.exists():
        added.unlink()
        return
    text = editable.read_text(encoding="utf-8")
    added.write_text(re.sub(r"(?m)^id: .*$", f"id: {added.stem}", text, count=1), encoding="utf-8")


def _added(editable: Path) -> Path:
    """The record file ``validate_served_file`` and ``validate_warm_file`` add and remove."""
    return editable.with_name(f"{editable.stem}-bench-added.yaml")


def edit_one(path: Path) -> None:
    """A real, valid edit: the record's title gets a new ``(bench edit N)`` mark."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("title: "):
            base = EDIT_MARK.sub("", line.rstrip("\n"))
            lines[i] = f"{base} (bench edit {time.time_ns()})\n"
            break
    path.write_text("".join(lines), encoding="utf-8")


def edit_reference(path: Path) -> None:
    """A real, valid edit the rules across records must see: the record's first ``event_id``
    names its copy ``-c1`` instead (which the generator made), or the original again."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r"(?m)^(\s*- event_id: )(\S+)$", text)
    if found is None:
        raise SystemExit(f"{path}: no event_id to change")
    target = found.group(2)
    other = target.removesuffix("-c1") if target.endswith("-c1") else f"{target}-c1"
    if not (path.parent / f"{other}.yaml").is_file():
        raise SystemExit(f"{path}: {other} is no record to refer to")
    path.write_text(text[: found.start(2)] + other + text[found.end(2) :], encoding="utf-8")


def edit_fact(path: Path) -> None:
    """A real edit of a fact a rule across records compares: the record's first ``relation: related``
    becomes ``part-of`` (the event it names then has a part), or back."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r"(?m)^(\s*relation: )(related|part-of)$", text)
    if found is None:
        raise SystemExit(f"{path}: no relation to change")
    other = "part-of" if found.group(2) == "related" else "related"
    path.write_text(text[: found.start(2)] + other + text[found.end(2) :], encoding="utf-8")


def drop_cache(p: Path) -> None:
    shutil.rmtree(p / ".casd-cache", ignore_errors=True)


def prime_build(p: Path, editable: Path) -> None:
    """A project with a current build (an untimed build first if there is none), then no cache and one record edited."""
    if not (p / "build" / "current" / "datapackage.json").is_file():
        subprocess.run([CASD, "build", "-C", str(p)], check=False, capture_output=True)
    drop_cache(p)
    edit_one(editable)


def drop_build(p: Path) -> None:
    drop_cache(p)
    shutil.rmtree(p / "build" / "current", ignore_errors=True)
    (p / "datapackage.json").unlink(missing_ok=True)


# --- the steps -----------------------------------------------------------------------------


@dataclass
class Ctx:
    size: int
    clean: Path
    manifest: dict[str, Any]
    broken: Path | None
    broken_manifest: dict[str, Any] | None
    cap_gb: float | None
    timeout: float | None
    logs: Path


def _casd(ctx: Ctx, args: list[str], p: Path, keep_stdout: bool = False, extra_env: dict[str, str] | None = None) -> Run:
    cmd = [CASD, *args, "-C", str(p)]
    if not ctx.cap_gb:
        return measure(cmd, timeout=ctx.timeout, keep_stdout=keep_stdout, extra_env=extra_env)
    # under a cap, run through the probe so that its log tells how far the run got
    log = ctx.logs / f"{ctx.size}-{args[0]}-progress.log"
    log.unlink(missing_ok=True)
    t0 = time.time()
    run = measure([PY, str(HERE / "baselines.py"), "probe", str(log), "--", *cmd], cap_gb=ctx.cap_gb, timeout=ctx.timeout, keep_stdout=keep_stdout, extra_env=extra_env)
    run.progress = progress(log, t0)
    return run


def progress(log: Path, t0: float) -> dict[str, Any]:
    """What the probe's log says: when reading began, how many record files were opened by when, the last stage seen."""
    if not log.exists():
        return {}
    rows = [line.split(maxsplit=4) for line in log.read_text(encoding="utf-8").splitlines()]
    firsts = [float(r[2]) for r in rows if r[0] == "first"]
    counts = [(int(r[2]), float(r[3]), float(r[4])) for r in rows if r[0] == "progress"]
    samples = [(float(r[2]), float(r[3]), r[4] if len(r) > 4 else "-") for r in rows if r[0] == "sample"]
    out: dict[str, Any] = {"log": str(log), "first_record_file_s": round(min(firsts) - t0, 2) if firsts else None}
    if counts:
        n, t, rss = max(counts)
        out.update(files_opened=n, files_opened_by_s=round(t - t0, 1), rss_mb_then=rss)
    if samples:
        t, rss, stage = max(samples, key=lambda x: x[1])
        out.update(peak_sample_s=round(t - t0, 1), peak_sample_rss_mb=rss, peak_sample_stage=stage)
        out["stages"] = [(round(t - t0, 1), rss, stage) for t, rss, stage in samples]
    return out


def _issues(run: Run) -> int | None:
    try:
        return len(json.loads(run.stdout or "[]"))
    except json.JSONDecodeError:
        return None


def step_runs(name: str, ctx: Ctx) -> tuple[Callable[[], None], Callable[[], Run]]:
    """(untimed preparation, timed run) of a step."""
    clean, broken = ctx.clean, ctx.broken or ctx.clean
    editable = ctx.clean / ctx.manifest["editable"]
    editable_broken = broken / (ctx.broken_manifest or ctx.manifest)["editable"]
    baseline = [PY, str(HERE / "baselines.py")]
    table: dict[str, tuple[Callable[[], None], Callable[[], Run]]] = {
        "validate_cold": (lambda: drop_cache(clean), lambda: _casd(ctx, ["validate"], clean)),
        "validate_warm": (lambda: edit_one(editable), lambda: _casd(ctx, ["validate"], clean)),
        "validate_warm_ref": (lambda: edit_reference(editable), lambda: _casd(ctx, ["validate"], clean)),
        "validate_warm_fact": (lambda: edit_fact(editable), lambda: _casd(ctx, ["validate"], clean)),
        "validate_warm_file": (lambda: add_or_remove(editable), lambda: _casd(ctx, ["validate"], clean)),
        "validate_served": (lambda: _served(clean, ctx, editable, edit_one), lambda: _casd(ctx, ["validate"], clean, extra_env={"CASD_SERVER": "require"})),
        "validate_served_file": (lambda: _served(clean, ctx, editable, add_or_remove), lambda: _casd(ctx, ["validate"], clean, extra_env={"CASD_SERVER": "require"})),
        "validate_served_fact": (lambda: _served(clean, ctx, editable, edit_fact), lambda: _casd(ctx, ["validate"], clean, extra_env={"CASD_SERVER": "require"})),
        "validate_served_again": (lambda: _served_twice(clean, ctx, editable), lambda: _casd(ctx, ["validate"], clean, extra_env={"CASD_SERVER": "require"})),
        "validate_cold_serial": (lambda: drop_cache(clean), lambda: _casd(ctx, ["validate"], clean, extra_env={"CASD_WORKERS": "1"})),
        "validate_nocache": (lambda: drop_cache(clean), lambda: _casd(ctx, ["validate"], clean, extra_env={"CASD_NO_CACHE": "1"})),
        "build_first": (lambda: drop_build(clean), lambda: _casd(ctx, ["build"], clean)),
        "build_cold": (lambda: prime_build(clean, editable), lambda: _casd(ctx, ["build"], clean)),
        "build_warm": (lambda: edit_one(editable), lambda: _casd(ctx, ["build"], clean)),
        "frictionless": (lambda: None, lambda: measure([str(BIN / "frictionless"), "validate", "datapackage.json"], cwd=clean, cap_gb=ctx.cap_gb, timeout=ctx.timeout, keep_stdout=True)),
        "read_floor": (lambda: None, lambda: measure([*baseline, "io", str(clean)], keep_stdout=True)),
        "stat_floor": (lambda: None, lambda: measure([*baseline, "stat", str(clean)], keep_stdout=True)),
        "naive": (lambda: None, lambda: measure([*baseline, "naive", str(clean)], keep_stdout=True, timeout=ctx.timeout)),
        "validate_cold_broken": (lambda: drop_cache(broken), lambda: _casd(ctx, ["validate", "-f", "json"], broken, keep_stdout=True)),
        "validate_warm_broken": (lambda: edit_one(editable_broken), lambda: _casd(ctx, ["validate", "-f", "json"], broken, keep_stdout=True)),
        "pre_read": (lambda: drop_cache(clean), lambda: probe_run(clean, ctx.logs / f"{ctx.size}-pre-read.log")),
        "calibrate_cpu": (lambda: None, lambda: measure([PY, "-c", CALIBRATE])),
        "calibrate_mem": (lambda: None, lambda: measure([PY, "-c", CALIBRATE_MEM])),
    }
    return table[name]


def _kept(log: str) -> int:
    """How many of a server's answers have had their cache written, by its log: since the session of
    3 December 2026 (deferred writes), each "cache written in … s, after N answer(s)" covers N; before,
    each answer's line said "cache kept"."""
    return log.count("cache kept") + sum(int(n) for n in re.findall(r"(?m)^cache written in [\d.]+ s, after (\d+) answer", log))


class _Server:
    """The ``casd serve`` behind ``validate_served``: started once, untimed, stopped after the step."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_s: float | None = None
        self.log: Path | None = None
        self.asked = 0

    def ensure(self, p: Path, ctx: Ctx) -> None:
        """A server idle and ready for the next run (one run follows each call)."""
        if self.proc is not None and self.proc.poll() is None:
            assert self.log is not None
            while _kept(self.log.read_text(encoding="utf-8")) < self.asked:  # the last answer's cache is written:
                time.sleep(0.01)  # each run times an edit, not the tail of the run before it
            self.asked += 1
            return
        log = self.log = ctx.logs / f"{ctx.size}-serve.log"
        self.asked = 1
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([CASD, "serve", "-C", str(p)], stdout=subprocess.DEVNULL, stderr=log.open("w"))
        while "serving" not in log.read_text(encoding="utf-8"):
            if self.proc.poll() is not None or time.perf_counter() - t0 > (ctx.timeout or 3600):
                raise SystemExit(f"casd serve did not start: {log.read_text(encoding='utf-8')[-1000:]}")
            time.sleep(0.05)
        self.start_s = round(time.perf_counter() - t0, 2)

    def stop(self) -> dict[str, Any]:
        """Stop it; what it cost: its start (a validation with the cache on disk) and its memory."""
        if self.proc is None:
            return {}
        out = {"start_s": self.start_s, "pss_mb": round(sum(_pss_mb(pid) for pid in _tree(self.proc.pid)), 1)}
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        self.proc = None
        return out


SERVER = _Server()


def probe_run(p: Path, log: Path) -> Run:
    """A cold ``casd validate`` under the probe; ``stdout`` carries the seconds until the first record file opened."""
    log.unlink(missing_ok=True)
    t0 = time.time()
    run = measure([PY, str(HERE / "baselines.py"), "probe", str(log), "--", CASD, "validate", "-C", str(p)])
    firsts = [float(line.split()[2]) for line in log.read_text().splitlines() if line.startswith("first ")] if log.exists() else []
    run.stdout = json.dumps({"pre_read_s": round(min(firsts) - t0, 3) if firsts else None})
    return run


def summarise(name: str, runs: list[Run], records: int, manifest: dict[str, Any] | None) -> dict[str, Any]:
    """Medians over the runs of a step, and what the step's output says."""
    walls = [r.wall for r in runs]
    med = runs[walls.index(statistics.median_low(walls))]
    out: dict[str, Any] = {
        "what": WHAT.get(name, name),
        "runs": len(runs),
        "records": records,
        "wall_s": round(statistics.median(walls), 3),
        "wall_min_s": round(min(walls), 3),
        "wall_max_s": round(max(walls), 3),
        "cpu_s": round(statistics.median(r.cpu for r in runs), 3),
        "user_s": round(statistics.median(r.user for r in runs), 3),
        "sys_s": round(statistics.median(r.sys for r in runs), 3),
        "maxrss_mb": round(max(r.maxrss_mb for r in runs), 1),
        "tree_peak_mb": round(max(r.tree_peak_mb for r in runs), 1),
        "procs_peak": max(r.procs_peak for r in runs),
        "rc": [r.rc for r in runs],
        "load1": [round(r.load1, 2) for r in runs],
        "iowait": [round(r.iowait, 3) for r in runs],
        "records_per_s": round(records / statistics.median(walls)) if records else None,
        "stderr_tail": med.stderr_tail[-1500:],
        "stopped": [r.stopped for r in runs if r.stopped],
    }
    if med.progress:
        out["progress"] = med.progress
    if any(r.stopped or r.rc not in (0, 1) for r in runs):
        out["records_per_s"] = None  # it did not get through
    if name.endswith("_broken") and manifest:
        out["issues_reported"] = _issues(med)
        out["issues_expected"] = manifest["broken"]
    if name in ("read_floor", "stat_floor", "naive", "pre_read") and med.stdout.strip():
        out["output"] = json.loads(med.stdout.strip().splitlines()[-1])
    if name == "frictionless":
        out["output"] = {"valid": med.rc == 0, "tail": med.stdout.strip().splitlines()[-1:]}
    if len(med.series) > 1:
        every = max(1, len(med.series) // 40)
        out["memory_series_mb"] = med.series[::every] + ([med.series[-1]] if (len(med.series) - 1) % every else [])
    return out


def warm(project: Path) -> None:
    """Read every file of a project once, untimed, so that its first step does not read from the
    disk what the last size's runs pushed out of the page cache (at 1M it cannot hold them all:
    ``iowait`` says how much each step waited)."""
    for folder, _, files in os.walk(project):
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                while f.read(1 << 20):
                    pass


def run_size(size: int, opts: argparse.Namespace, steps: list[str]) -> dict[str, Any]:
    root = Path(opts.cache_root)
    clean, manifest = project(root, size, 0.0, opts.seed, opts.regen)
    needs_broken = any(s.endswith("_broken") for s in steps)
    broken, bmanifest = project(root, size, opts.broken, opts.seed, opts.regen) if needs_broken else (None, None)
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    ctx = Ctx(size, clean, manifest, broken, bmanifest, opts.mem_cap_gb, opts.timeout_s, logs)
    for p in (clean, broken):
        if p is not None and not opts.no_warm:
            warm(p)
    result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "commit": CODE["label"], "generated": _gen_summary(manifest, bmanifest), "steps": {}}
    for name in steps:
        if (name in BASELINES and size > opts.baselines_max) or (name == "pre_read" and size > opts.probe_max):
            continue
        if name == "frictionless" and not (clean / "datapackage.json").is_file():
            print(f"{size:>9} {name:<22} skipped: no built package (run a build step first)", flush=True)
            continue
        prepare, timed = step_runs(name, ctx)
        runs = []
        for _ in range(opts.repeat if name not in BASELINES else 1):
            prepare()
            runs.append(timed())
            _print(size, name, runs[-1])
        records = 0 if name.startswith("calibrate") else (bmanifest if name.endswith("_broken") and bmanifest else manifest)["records"]
        result["steps"][name] = summarise(name, runs, records, bmanifest if name.endswith("_broken") else manifest)
        if name.startswith("validate_served") and not any(s.startswith("validate_served") for s in steps[steps.index(name) + 1 :]):
            result["steps"][name]["server"] = SERVER.stop()  # after the last step it answers
            _added(ctx.clean / ctx.manifest["editable"]).unlink(missing_ok=True)
        if name == "validate_warm_file":
            _added(ctx.clean / ctx.manifest["editable"]).unlink(missing_ok=True)  # (if an odd number of runs left it there)
        if name in ("validate_warm_fact", "validate_served_fact") and len(runs) % 2:
            edit_fact(ctx.clean / ctx.manifest["editable"])  # the relation as it was (after an odd number of runs)
        result["steps"][name].update(date=time.strftime("%Y-%m-%d %H:%M:%S %Z"), commit=CODE["label"], mem_cap_gb=opts.mem_cap_gb, timeout_s=opts.timeout_s)
    return result


def _gen_summary(m: dict[str, Any], b: dict[str, Any] | None) -> dict[str, Any]:
    keys = ("records", "copies", "record_bytes", "seed_files", "seconds")
    out = {k: m[k] for k in keys}
    if b:
        out["broken"] = {k: b[k] for k in ("records", "broken", "broken_by_kind")}
    return out


def _print(size: int, name: str, r: Run) -> None:
    print(
        f"{size:>9} {name:<22} wall {r.wall:8.2f} s  cpu {r.cpu:8.2f} s  rss {r.maxrss_mb:7.0f} MB  tree {r.tree_peak_mb:7.0f} MB  "
        f"procs {r.procs_peak}  rc {r.rc}  load {r.load1:.1f}{'  STOPPED ' + r.stopped if r.stopped else ''}",
        flush=True,
    )


# --- start-up ------------------------------------------------------------------------------


def import_times(p: Path) -> dict[str, Any]:
    """Top-level imports of a cold ``casd validate`` (``python -X importtime``), in seconds."""
    drop_cache(p)
    proc = subprocess.run([PY, "-X", "importtime", CASD, "validate", "-C", str(p)], capture_output=True, text=True, check=False)
    top: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if m and m.group(2) == "":
            top[m.group(3)] = top.get(m.group(3), 0) + int(m.group(1)) / 1e6
    ranked = sorted(top.items(), key=lambda kv: -kv[1])
    return {"total_s": round(sum(top.values()), 3), "top": [(k, round(v, 3)) for k, v in ranked[:8]]}


def startup(opts: argparse.Namespace) -> dict[str, Any]:
    real, manifest = project(Path(opts.cache_root), 1, 0.0, opts.seed, opts.regen, name="real")
    logs = Path(opts.cache_root) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    records = manifest["records"]
    out: dict[str, Any] = {"records": records, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "commit": CODE["label"]}
    plans: dict[str, tuple[Callable[[], None], Callable[[], Run]]] = {
        "version": (lambda: None, lambda: measure([CASD, "--version"])),
        "validate_real": (lambda: drop_cache(real), lambda: measure([CASD, "validate", "-C", str(real)])),
        "pre_read": (lambda: drop_cache(real), lambda: probe_run(real, logs / "real-pre-read.log")),
    }
    for name, (prepare, timed) in plans.items():
        runs = []
        for _ in range(5):
            prepare()
            runs.append(timed())
            _print(records, name, runs[-1])
        out[name] = summarise(name, runs, records if name != "version" else 0, None)
    out["imports"] = import_times(real)
    print(f"imports of casd validate: {out['imports']}", flush=True)
    return out


# --- the report ----------------------------------------------------------------------------


#: the code measured (:func:`freeze`): its label and, for a copy of a commit, the copy's folder
CODE: dict[str, str] = {"label": ""}


def freeze(cache_root: Path) -> None:
    """Measure a copy of ``src/`` as committed at HEAD now, in ``cache_root/code-<commit>/``, put
    first on every measured process's ``PYTHONPATH``: commits made during a run of hours change
    neither what is measured nor the commit its figures are labelled with. With uncommitted
    changes in ``src/``, the working tree is measured, and labelled so. The copy is byte-compiled."""
    label = commit()
    CODE["label"] = label
    if " " in label:
        return
    target = cache_root / f"code-{label}"
    if not (target / "src").is_dir():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", label, "src"], capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(partial, filter="data")
        partial.rename(target)
    # byte-compiled, as pip compiles a package it installs (each run would compile casd's modules
    # again: this environment sets PYTHONDONTWRITEBYTECODE, about 0.1 s a run)
    subprocess.run([PY, "-m", "compileall", "-q", str(target / "src")], check=True, capture_output=True)
    CODE["copy"] = str(target / "src")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (CODE["copy"], os.environ.get("PYTHONPATH", "")) if p)


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False).stdout.strip()

    dirty = len([line for line in git("status", "--porcelain", "--", "src").splitlines() if line.strip()])
    return git("rev-parse", "--short", "HEAD") + (f" + {dirty} uncommitted change(s) in src/" if dirty else "")


def machine() -> dict[str, Any]:
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    shown = subprocess.run([CASD, "--version"], capture_output=True, text=True, check=False).stdout.split()
    versions: dict[str, str | None] = {"casd": shown[-1] if shown else None}
    for pkg in ("PyYAML", "pydantic", "pydantic-core", "pyarrow", "frictionless", "typer"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": versions,
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def ratio(a: dict[str, Any] | None, b: dict[str, Any] | None, key: str) -> float | None:
    if not a or not b or not b.get(key):
        return None
    return round(float(a[key]) / float(b[key]), 2)


RATIOS = [
    ("naive / casd validate (cold)", "naive", "validate_cold"),
    ("frictionless / casd build (cold)", "frictionless", "build_cold"),
    ("frictionless / casd validate (cold)", "frictionless", "validate_cold"),
    ("casd build / casd validate (both cold)", "build_cold", "validate_cold"),
    ("first build / build cold", "build_first", "build_cold"),
    ("validate after 1 edit / validate cold", "validate_warm", "validate_cold"),
    ("validate after 1 edit: one-shot / answered by casd serve", "validate_warm", "validate_served"),
    ("answered by casd serve: asked again at once / asked of an idle server", "validate_served_again", "validate_served"),
    ("validate in one process / validate with the default workers (both cold)", "validate_cold_serial", "validate_cold"),
    ("validate without the cache / validate cold (which writes it)", "validate_nocache", "validate_cold"),
    ("build after 1 edit / build cold", "build_warm", "build_cold"),
    ("validate broken (1%) / validate valid (cold)", "validate_cold_broken", "validate_cold"),
    ("validate broken (1%) / validate valid (after 1 edit)", "validate_warm_broken", "validate_warm"),
    ("read floor / casd validate (cold)", "read_floor", "validate_cold"),
    ("stat floor (a process that lstats every record file) / validate after 1 edit", "stat_floor", "validate_warm"),
    ("stat floor / validate after 1 edit, answered by casd serve (which stats nothing: the kernel tells it what changed)", "stat_floor", "validate_served"),
]


def add_ratios(size_result: dict[str, Any]) -> None:
    steps = size_result["steps"]
    size_result["ratios"] = {label: {"wall": ratio(steps.get(a), steps.get(b), "wall_s"), "cpu": ratio(steps.get(a), steps.get(b), "cpu_s")} for label, a, b in RATIOS}
    pre = steps.get("pre_read", {}).get("output", {}).get("pre_read_s")
    if pre is not None and steps.get("pre_read"):
        size_result["ratios"]["share of a cold validate before the first record file is read"] = {"wall": round(pre / steps["pre_read"]["wall_s"], 3), "cpu": None}


def _f(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def _step_note(s: dict[str, Any]) -> str:
    notes = []
    if "issues_reported" in s:
        notes.append(f"{s['issues_reported']} problems reported, {s['issues_expected']} broken")
    out = s.get("output", {})
    if "typing_errors" in out:
        notes.append(f"{out['typing_errors']} files mistyped, {out['yaml_errors']} YAML errors")
    if "pre_read_s" in out:
        notes.append(f"first record file read after {_f(out['pre_read_s'])} s")
    if "valid" in out:
        notes.append("package valid" if out["valid"] else "package INVALID")
    waits = s.get("iowait", [])
    if waits and max(waits) >= 0.05:  # the files were not all in the page cache
        notes.append(f"the CPUs waited for the disk {_f(100 * max(waits), 0)}% of the time")
    if s.get("server"):
        notes.append(f"the server started in {_f(s['server']['start_s'])} s and held {_f(s['server']['pss_mb'], 0)} MB")
    if s.get("stopped"):
        notes.append("stopped: " + ", ".join(s["stopped"]))
    if s.get("runs", 1) > 1:
        notes.append(f"median of {s['runs']} (wall {_f(s['wall_min_s'])}–{_f(s['wall_max_s'])})")
    return "; ".join(notes)


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    v = m["versions"]
    lines = [
        "# casd performance: validate and build at scale",
        "",
        "Written by `benchmarks/run.py` (raw figures in `RESULTS.json` beside this file; what they mean: `FINDINGS.md`). Every figure is one fresh process",
        "(the median where a step ran more than once); every file of a size's projects was read once before its steps (a step's notes say when the CPUs",
        "waited for the disk 5% of the time or more). **CPU** is user + sys of the process and of",
        "the workers it waited for (`os.wait4`), so CPU above wall means parallel work. **RSS** is the largest single",
        "process's peak (`ru_maxrss`); **tree** is the peak of the summed PSS of the process and all its descendants, sampled",
        "every 0.2 s (it counts worker processes; a peak shorter than 0.2 s can be missed, and a run shorter than that shows 0).",
        "**procs** is the most processes of the tree seen at once (1: no workers).",
        "",
        f"**Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB RAM, Python {m['python']}, {m['os']};",
        f"load average {m.get('load_at_start')} when the last run started (each run's 1-minute load is in the JSON).",
        f"Versions: casd {v.get('casd')}, PyYAML {v.get('PyYAML')}, pydantic {v.get('pydantic')} (core {v.get('pydantic-core')}),",
        f"pyarrow {v.get('pyarrow')}, frictionless {v.get('frictionless')}, typer {v.get('typer')}.",
        "",
        "**Data:** `benchmarks/generate.py` copies the real dataset (all 8 record tables, every reference rewritten per copy,",
        "one seed file per copied source); `N-broken` has 1% of its records broken (unknown vocabulary value, dangling",
        "reference, quote not in its seed, malformed date, in turn), each giving exactly one problem.",
        "",
    ]
    lines += _summary(results["sizes"])
    for size in sorted(results["sizes"], key=int):
        lines += _size_section(int(size), results["sizes"][size])
    if results.get("startup"):
        lines += _startup_section(results["startup"])
    lines += _reproduce()
    return "\n".join(lines) + "\n"


def _summary(sizes: dict[str, Any]) -> list[str]:
    """Every step by size: wall s / CPU s / peak MB (the larger of RSS and the tree's)."""
    order = sorted(sizes, key=int)
    head = " | ".join(f"{sizes[n]['generated']['records']:,} records" for n in order)
    lines = [
        "## Summary",
        "",
        "Each cell: wall s / CPU s / peak memory MB (the larger of the largest process's RSS and the tree's sampled PSS);",
        "– : not measured at that size; **stopped**: the run did not finish (see its section).",
        "",
        f"| step | {head} |",
        "|---|" + "---:|" * len(order),
    ]
    names = [*STEPS, *sorted({k for n in order for k in sizes[n]["steps"]} - set(STEPS))]
    for name in names:
        cells = []
        for n in order:
            st = sizes[n]["steps"].get(name)
            if not st:
                cells.append("–")
                continue
            failed = st.get("stopped") or any(c not in (0, 1) for c in st["rc"])
            mem = max(st["maxrss_mb"], st["tree_peak_mb"])
            cap = f" (cap {st['mem_cap_gb']:g} GB)" if st.get("mem_cap_gb") else ""
            cells.append(f"{'**stopped**' + cap + ' ' if failed else ''}{_f(st['wall_s'], 1)} / {_f(st['cpu_s'], 1)} / {_f(mem, 0)}")
        if any(c != "–" for c in cells):
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _size_section(size: int, r: dict[str, Any]) -> list[str]:
    g = r["generated"]
    dates = sorted(s.get("date", r["date"]) for s in r["steps"].values())
    commits = Counter(s.get("commit", r["commit"]) for s in r["steps"].values())
    usual = commits.most_common(1)[0][0] if commits else r["commit"]
    lines = [
        f"## {g['records']:,} records (requested {size:,})",
        "",
        f"Measured {dates[0] if dates else r['date']} to {dates[-1] if dates else r['date']}, at casd commit `{usual}`"
        + (" unless a step's notes say otherwise" if len(commits) > 1 else "")
        + f"; 1-minute load average during the runs {_load_range(r)}. {g['copies']:,} copies, {g['record_bytes'] / 2**20:,.1f} MiB of YAML,",
        f"{g['seed_files']:,} seed files; generated in {g['seconds']:.1f} s."
        + (f" Broken project: {g['broken']['broken']:,} broken records ({', '.join(f'{k} {n}' for k, n in g['broken']['broken_by_kind'].items())})." if "broken" in g else ""),
        "",
        "| step | what | wall s | CPU s | of it sys s | records/s (wall) | RSS MB | tree MB | procs | exit | notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name in [*STEPS, *[s for s in r["steps"] if s not in STEPS]]:
        s = r["steps"].get(name)
        if not s:
            continue
        rps = s["records_per_s"] if name not in ("read_floor", "stat_floor") else None
        note = _step_note(s) + (f"; at `{s['commit']}`" if s.get("commit", usual) != usual else "")
        lines.append(
            f"| {name} | {s['what']} | {_f(s['wall_s'])} | {_f(s['cpu_s'])} | {_f(s['sys_s'])} | {_f(rps)} | {_f(s['maxrss_mb'], 0)} | {_f(s['tree_peak_mb'], 0)} | "
            f"{s['procs_peak']} | {','.join(str(c) for c in s['rc'])} | {note.lstrip('; ')} |"
        )
    stopped = [(n, s) for n, s in r["steps"].items() if s.get("stopped") or any(c not in (0, 1) for c in s["rc"])]
    for n, s in stopped:
        limits = ", ".join(x for x in (f"address space capped at {s['mem_cap_gb']:g} GB" if s.get("mem_cap_gb") else "", f"timeout {s['timeout_s']:g} s" if s.get("timeout_s") else "") if x)
        lines += [
            "",
            f"`{n}` ({limits or 'no limits'}) ended with exit {s['rc']}{' (stopped: ' + ', '.join(s['stopped']) + ')' if s.get('stopped') else ''}; its last output:",
            "",
            "```text",
            s["stderr_tail"],
            "```",
        ]
        pr = s.get("progress") or {}
        if pr.get("files_opened"):
            lines += [
                "",
                f"Under the probe: the first record file was read {_f(pr['first_record_file_s'])} s after start; {pr['files_opened']:,} record files had been read"
                f" by {_f(pr['files_opened_by_s'], 1)} s (RSS then {_f(pr['rss_mb_then'], 0)} MB). The sample with the most memory, at {_f(pr.get('peak_sample_s'), 1)} s"
                f" (RSS {_f(pr.get('peak_sample_rss_mb'), 0)} MB), was in `{pr.get('peak_sample_stage')}` (the probe samples every 10 s;"
                f" its full log: `{pr['log']}`).",
            ]
        if s.get("memory_series_mb"):
            lines += ["", "Memory of the process tree over time (s: MB): " + ", ".join(f"{t:g}: {mb:,.0f}" for t, mb in s["memory_series_mb"])]
    ratios = {k: v for k, v in r.get("ratios", {}).items() if v["wall"] is not None}
    if ratios:
        lines += ["", "| ratio | wall | CPU |", "|---|---:|---:|"]
        lines += [f"| {k} | {_f(v['wall'], 3 if v['wall'] < 0.1 else 2)} | {_f(v['cpu'])} |" for k, v in ratios.items()]
    return [*lines, ""]


def _load_range(r: dict[str, Any]) -> str:
    loads = [x for st in r["steps"].values() for x in st.get("load1", [])]
    return f"{min(loads):.1f}–{max(loads):.1f} (2 = both CPUs busy)" if loads else "–"


def _startup_section(s: dict[str, Any]) -> list[str]:
    lines = [
        f"## Start-up (the real dataset alone: {s['records']} records; median of 5)",
        "",
        f"Measured {s['date']} at casd commit `{s['commit']}`.",
        "",
        "| step | what | wall s | CPU s | RSS MB | notes |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name in ("version", "validate_real", "pre_read"):
        x = s[name]
        lines.append(f"| {name} | {x['what']} | {_f(x['wall_s'])} | {_f(x['cpu_s'])} | {_f(x['maxrss_mb'], 0)} | {_step_note(x)} |")
    imp = s["imports"]
    pre = s["pre_read"].get("output", {}).get("pre_read_s")
    share = f"{pre / s['pre_read']['wall_s']:.0%}" if pre is not None else "–"
    lines += [
        "",
        f"Before its first record file is read, a cold `casd validate` of the real dataset has spent {_f(pre)} s, {share} of its wall time.",
        f"Its imports (`python -X importtime`, which inflates them a little) add up to {_f(imp['total_s'])} s; the largest top-level ones: "
        + ", ".join(f"`{k}` {v:.2f} s" for k, v in imp["top"])
        + ".",
        "",
    ]
    return lines


def _reproduce() -> list[str]:
    return [
        "## How to reproduce",
        "",
        "```bash",
        ". .venv/bin/activate",
        "python benchmarks/generate.py 2000 /tmp/casd-check --check          # a valid dataset with 1% broken: exact problem count",
        "python benchmarks/run.py --sizes 10000 --repeat 3                   # this file and RESULTS.json (about 6 min on 2 CPUs)",
        "python benchmarks/run.py --sizes 100000 --no-startup                # merged in (about 20 min)",
        "python benchmarks/run.py --sizes 1000000 --only validate_cold --mem-cap-gb 6 --timeout-s 2400 --no-startup",
        "```",
        "",
        "Generated projects are kept under `/tmp/casd-bench/` and reused while their parameters and the generator's version",
        "match (`--regen` makes them anew). Nothing is written inside the checkout but the two results files.",
        "This VM's speed for allocation-heavy work drifts by up to 2× within an hour (see `calibrate_mem` and `FINDINGS.md`):",
        "compare steps measured close together, and casd versions with `benchmarks/ab.py`.",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated record counts")
    ap.add_argument("--baselines-max", type=int, default=100_000, help="run frictionless, read_floor and naive up to this size")
    ap.add_argument("--probe-max", type=int, default=100_000, help="run pre_read up to this size")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--broken", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each casd step (median reported); baselines run once")
    ap.add_argument("--no-warm", action="store_true", help="do not read every file of a size's projects before its steps (no help where the page cache is paged out within a minute: FINDINGS)")
    ap.add_argument("--only", default="", help="comma-separated steps")
    ap.add_argument("--skip", default="", help="comma-separated steps")
    ap.add_argument("--cache-root", default="/tmp/casd-bench")
    ap.add_argument("--regen", action="store_true", help="generate the projects anew")
    ap.add_argument("--mem-cap-gb", type=float, default=None, help="RLIMIT_AS of every measured process")
    ap.add_argument("--timeout-s", type=float, default=None, help="stop a measured process after this long")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up measurements")
    ap.add_argument("--fresh", action="store_true", help="do not merge with the existing results")
    ap.add_argument("--render", action="store_true", help="only write the Markdown again from the JSON")
    opts = ap.parse_args()
    json_path = opts.out.with_suffix(".json")
    if opts.render:
        opts.out.write_text(markdown(json.loads(json_path.read_text(encoding="utf-8"))), encoding="utf-8")
        return
    only = [s for s in opts.only.split(",") if s]
    skip = {s for s in opts.skip.split(",") if s}
    unknown = (set(only) | skip) - set(STEPS)
    if unknown:
        raise SystemExit(f"unknown steps: {', '.join(sorted(unknown))} (known: {', '.join(STEPS)})")
    steps = [s for s in STEPS if (not only or s in only) and s not in skip]
    results: dict[str, Any] = {"sizes": {}}
    if json_path.is_file() and not opts.fresh:
        results = json.loads(json_path.read_text(encoding="utf-8"))
    freeze(Path(opts.cache_root))
    print(f"measuring casd at {CODE['label']}" + (f" (a copy in {CODE['copy']})" if "copy" in CODE else ""), flush=True)
    results["machine"] = machine()
    print(json.dumps(results["machine"]), flush=True)
    if not opts.no_startup:
        results["startup"] = startup(opts)
    for size in (int(s) for s in opts.sizes.split(",") if s):
        r = run_size(size, opts, steps)
        old = results["sizes"].get(str(size), {})
        merged_steps = {**old.get("steps", {}), **r["steps"]}
        results["sizes"][str(size)] = {**r, "generated": {**old.get("generated", {}), **r["generated"]}, "steps": merged_steps}
        add_ratios(results["sizes"][str(size)])
        json_path.write_text(json.dumps(results, indent=1, default=_json_default) + "\n", encoding="utf-8")
        opts.out.write_text(markdown(results), encoding="utf-8")
        print(f"wrote {opts.out} and {json_path}", flush=True)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    raise TypeError(type(obj))


if __name__ == "__main__":
    main()
