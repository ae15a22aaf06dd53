"""Run a casd command in a subprocess that SIGKILLs itself just before its N-th file-system change.

An audit hook counts every operation under the project folder that changes something (opening a
file for writing, mkdir, rename and replace, remove, rmdir, rmtree) and sends SIGKILL to its own
process before operation ``CASD_KILL_AT``; with ``CASD_KILL_AT=0`` it only counts, and prints the
total on stderr as ``ops=N`` when the command ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOOK = r"""
import atexit, os, signal, sys
root = os.path.realpath(os.environ["CASD_KILL_ROOT"])
kill_at = int(os.environ["CASD_KILL_AT"])
count = 0
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def changes(event, args):
    if event == "open":
        path, mode, flags = args
        if isinstance(mode, str):
            return path if any(c in mode for c in "wax+") else None
        return path if flags is not None and flags & WRITE else None
    if event in ("os.rename", "os.replace", "os.remove", "os.mkdir", "os.rmdir", "shutil.rmtree"):
        return args[0]
    return None

def hook(event, args):
    global count
    path = changes(event, args)
    if path is None or isinstance(path, int):
        return
    try:
        path = os.path.realpath(os.fsdecode(path))
    except Exception:
        return
    if not path.startswith(root):
        return
    count += 1
    if count == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(hook)
atexit.register(lambda: print(f"ops={count}", file=sys.stderr))
sys.argv = ["casd"] + sys.argv[1:]
from casd.cli import main
main()
"""


def run(project: Path, args: list[str], kill_at: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(CASD_KILL_ROOT=str(project), CASD_KILL_AT=str(kill_at), CASD_NO_CACHE="1")  # the same operations every run
    return subprocess.run([sys.executable, "-c", HOOK, *args, "-C", str(project)], capture_output=True, text=True, env=env, timeout=300)


def count_ops(project: Path, args: list[str]) -> int:
    r = run(project, args, 0)
    assert r.returncode == 0, r.stderr
    return int(r.stderr.rsplit("ops=", 1)[1].split()[0])
