"""``casd serve``: answer ``casd validate`` from a validation kept in memory.

The server (:mod:`casd.curate.resident`) listens on ``.casd-cache/serve.sock``; the ``casd``
console script (:mod:`casd.client`) sends it ``casd validate``'s arguments and folder. Each request
runs the very ``validate`` command of this CLI in this process, its output captured, so the answer
is what a one-shot run prints; only what it reads is faster. One request is answered at a time.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
import typer.main

from ..client import MAX_REQUEST, at_socket
from ..errors import CasdError
from ..paths import SERVER_SOCKET
from .app import app
from .common import ProjectOpt, root

if TYPE_CHECKING:
    from ..curate.resident import Resident

#: how long a client may take to send its request, or to take its answer
CLIENT_TIMEOUT_S = 30
#: after an answer, how long the server waits for the next request before it writes the cache (a
#: shard of a million records' cache takes about a second): the saves of a burst are each answered
#: at once, and the cache is written once they stop
SETTLE_AFTER_S = 1.0
#: the most answers given before the cache is written, however closely they follow each other
SETTLE_EVERY = 16


class _Stop(BaseException):
    """SIGTERM, or Ctrl-C once serving: stop serving (not an Exception: no command's handler turns it into an exit code)."""


def refuse_a_second(project: Path) -> None:
    """A :class:`~casd.errors.CasdError` (exit 2) if another server already answers for the project;
    the socket of a server that was killed is removed."""
    path = project / SERVER_SOCKET
    if path.exists() or path.is_symlink():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                at_socket(path, probe.connect)
            except OSError:  # left by a server that was killed: nobody answers on it
                path.unlink(missing_ok=True)
            else:
                raise CasdError(f"another `casd serve` already answers for this project ({SERVER_SOCKET.as_posix()})")


@contextlib.contextmanager
def listening(project: Path) -> Iterator[socket.socket]:
    """The server's socket, bound for this project's clients only (mode 0600), removed at the end.
    A :class:`~casd.errors.CasdError` (exit 2) if another server already answers here."""
    path = project / SERVER_SOCKET
    path.parent.mkdir(parents=True, exist_ok=True)
    refuse_a_second(project)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o077)
    try:
        at_socket(path, sock.bind)
    except OSError as e:
        sock.close()
        raise CasdError(f"cannot listen on {SERVER_SOCKET.as_posix()}: {e.strerror or e} (is another `casd serve` starting?)") from None
    finally:
        os.umask(mask)
    mine = path.stat().st_ino
    try:
        sock.listen(16)
        yield sock
    finally:
        sock.close()
        with contextlib.suppress(OSError):
            if path.stat().st_ino == mine:
                path.unlink()


def _read_request(conn: socket.socket) -> dict[str, Any] | None:
    """A client's request, or None if it is not one (too large, not JSON, not the expected shape)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := conn.recv(1 << 16):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REQUEST:
            return None
    try:
        request = json.loads(b"".join(chunks))
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    argv, cwd, project, key = request.get("argv"), request.get("cwd"), request.get("project"), request.get("key")
    if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv) and isinstance(cwd, str) and isinstance(project, str) and isinstance(key, str)):
        return None
    return request


@functools.cache
def _command() -> Any:
    """The click command of the CLI (made once: typer builds it anew on each call)."""
    return typer.main.get_command(app)


def _run(argv: list[str], cwd: str) -> dict[str, Any]:
    """``casd <argv>`` in this process, from ``cwd``: its exit code and output (as a one-shot run
    writes them to pipes)."""
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            _command().main(args=argv, prog_name="casd")
        code: Any = 0
    except SystemExit as done:  # how click ends every command (standalone mode)
        code = done.code
    except Exception as e:  # noqa: BLE001 - the CLI turns every error into an exit code: this is a bug
        err.write(f"internal error: {type(e).__name__}: {e}\nThis is a bug in casd; run again with CASD_SERVER=0.\n")
        code = 3
    finally:
        os.chdir(here)
    if not isinstance(code, int):  # a message instead of a code, as sys.exit("...") gives
        if code is not None:
            err.write(f"{code}\n")
        code = 0 if code is None else 1
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


@app.command()
def serve(project: ProjectOpt = Path(".")) -> None:
    """Keep the project's validation in memory and answer `casd validate` from it, until stopped.

    Runs in the foreground (Ctrl-C or SIGTERM stops it, once the answer in hand is given and the
    cache written). While it runs, `casd validate` in the project is answered by it, with the
    output and exit code of a one-shot run: after an edit, it reads only the files changed since the
    last run (the kernel tells it which, on Linux) and runs the rules across records on those
    records and the records next to them. It writes its cache to disk once no request has come for
    a second, so that the saves of a burst are each answered at once. Set CASD_SERVER=0 to
    run `casd validate` without it, or CASD_SERVER=require to fail (exit 2) when no server answers.
    Exits 2 if another server already answers for the project, or once casd's own code has changed
    (start it again).
    """
    from ..curate.resident import Resident, Stale

    base = root(project)
    if not hasattr(socket, "AF_UNIX"):
        raise CasdError("casd serve needs UNIX sockets, which this system lacks: run casd validate on its own")
    refuse_a_second(base)  # before the first validation, which takes a while
    _Signals.busy = _Signals.asked = False
    handlers = signal.signal(signal.SIGTERM, _on_term), signal.getsignal(signal.SIGINT)
    resident = Resident(base)
    try:
        resident.before()
        first = _run(["validate"], str(base))
        resident.after(first["code"] in (0, 1))
        resident.settle()
        with listening(base) as server:
            summary = first["stderr"].strip().splitlines()[-1:] or [""]
            how = "told what changed by inotify" if resident.watcher is not None else "no inotify here: every file's status is taken"
            typer.echo(f"serving {base} ({summary[0]}; {how}). Ctrl-C stops.", err=True)
            signal.signal(signal.SIGINT, _on_term)  # from now on, Ctrl-C too waits for the answer in hand
            while True:
                if resident.unsettled and (resident.unsettled >= SETTLE_EVERY or not _asked(server, SETTLE_AFTER_S)):
                    with _undivided():
                        _settle(resident)
                conn, _ = server.accept()
                with conn, _undivided():
                    _answer(conn, resident, base)
    except (KeyboardInterrupt, _Stop):
        typer.echo("stopped", err=True)
    except Stale as e:
        typer.echo(f"stopped: {e}", err=True)
        raise typer.Exit(2) from None
    finally:
        if resident.unsettled:  # answered, not yet written: written before the server goes (a second signal cuts it short)
            with contextlib.suppress(KeyboardInterrupt, _Stop):
                _settle(resident)
        resident.close()
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])


def _asked(server: socket.socket, within: float) -> bool:
    """Whether a client asks (or is already waiting) within ``within`` seconds."""
    ready, _, _ = select.select([server], [], [], within)
    return bool(ready)


def _settle(resident: Resident) -> None:
    """Write the cache of the answers given since it was last written (:meth:`Resident.settle`), and log it."""
    answers, started = resident.unsettled, time.perf_counter()
    resident.settle()
    typer.echo(f"cache written in {time.perf_counter() - started:.2f} s, after {answers} answer(s)", err=True)
    sys.stderr.flush()


class _Signals:
    """A SIGTERM or Ctrl-C while the server answers or writes its cache is noted, and the server
    stops once that is done (its cache written); a second one stops it at once."""

    busy = False
    asked = False


def _on_term(signum: int, frame: object) -> None:
    if _Signals.busy and not _Signals.asked:
        _Signals.asked = True
        return
    raise _Stop


@contextlib.contextmanager
def _undivided() -> Iterator[None]:
    """An answer, or a write of the cache, that a signal does not cut short (see :class:`_Signals`)."""
    _Signals.busy = True
    try:
        yield
    finally:
        _Signals.busy = False
    if _Signals.asked:
        raise _Stop


#: how a run found the issues of the rules across records (:attr:`casd.curate.cache.Cache.across_by`), as the server's log says it
ACROSS = {"kept": "nothing they read changed", "near": "run around the changed records", "every": "run on every record"}


def _answer(conn: socket.socket, resident: Resident, base: Path) -> None:
    """Answer one client (a :class:`~casd.curate.resident.Stale` is raised once the client is told)."""
    from ..curate.resident import Stale

    conn.settimeout(CLIENT_TIMEOUT_S)
    started = time.perf_counter()
    try:
        request = _read_request(conn)
    except OSError:
        return
    reply: dict[str, Any]
    stale: Stale | None = None
    if request is None:
        reply = {"refused": "not a request"}
    elif request["project"] != str(base) or request["argv"][:1] != ["validate"]:
        reply = {"refused": "this server answers `casd validate` in its own project only"}
    elif request["key"] != resident.key:
        reply = {"refused": "the client runs other casd code than this server (another environment?)"}
    else:
        try:
            resident.before()
        except Stale as e:
            stale, reply = e, {"refused": str(e)}
        else:
            try:
                reply = _run(request["argv"], request["cwd"])
            except OSError as e:  # the client's folder is gone
                reply = {"refused": f"{e.strerror or e}"}
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps(reply).encode())
    conn.close()  # the client reads to the end: it has its answer now, not once the cache is kept
    answered = time.perf_counter()
    if "code" in reply:
        reread, patched, across = resident.cache.reread, resident.cache.patching, ACROSS.get(resident.cache.across_by, "")
        resident.after(reply["code"] in (0, 1))
        how = f"{reread} file(s) read again" + (", the rest as in the last run" if patched else "") + (f"; rules across records: {across}" if across else "")
        typer.echo(f"validate: exit {reply['code']}, answered in {answered - started:.2f} s ({how}); kept in {time.perf_counter() - answered:.2f} s", err=True)
        sys.stderr.flush()
    if stale is not None:
        raise stale
