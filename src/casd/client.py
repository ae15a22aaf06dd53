"""The ``casd`` console script: ``casd validate`` answered by a running ``casd serve``, else the CLI.

When ``casd serve`` runs for a project, it listens on ``.casd-cache/serve.sock`` and keeps the
project's validation in memory. ``casd validate`` (the console script, run in that project) then
sends it its arguments and folder and prints what the server answers, with its exit code: the
output of the same command run in that process, which is what a one-shot run prints. Only the
standard library is imported on this path (a contract in ``pyproject.toml`` keeps it so): the
answer does not wait for casd's own imports.

The request carries the client's :func:`casd.codekey.key`: a server running other code (another
environment's casd, or casd edited since it started) refuses it. Any other command, or no server
(no socket, a dead one, a server of another project or code, an answer cut off), hands over to :func:`casd.cli.main`, which does the work itself. Nothing is
printed twice: the answer is printed only once it has fully arrived.

``CASD_SERVER``: unset, use a server if one runs; ``0``, never; ``require``, exit 2 with a message
if no server answers (for editors and tests that must know which one answered).
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .codekey import key
from .errors import ProjectError
from .paths import SERVER_SOCKET, find_project

T = TypeVar("T")

#: a UNIX socket's path must fit in 108 bytes: a longer one is reached from its own folder
_PATH_MAX = 100
#: the largest request a server reads
MAX_REQUEST = 1 << 20


def at_socket(path: Path, act: Callable[[str], T]) -> T:
    """``act(address)`` on the socket at ``path``, by a relative address from its folder when the
    full path is too long for a UNIX socket."""
    if len(os.fsencode(path)) <= _PATH_MAX:
        return act(str(path))
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        return act(path.name)
    finally:
        os.chdir(here)


def _project_hint(args: list[str]) -> str:
    """Where the command would start looking for the project (``--project``/``-C``; the server
    checks that the command's own reading of the arguments agrees)."""
    for i, arg in enumerate(args):
        if arg in ("--project", "-C") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--project="):
            return arg.split("=", 1)[1]
        if arg.startswith("-C") and len(arg) > 2:
            return arg[2:]
    return "."


def ask(args: list[str]) -> dict[str, Any] | None:
    """The server's answer to ``casd <args>``, or None if no server of this project answered."""
    try:
        project = find_project(_project_hint(args))
    except (ProjectError, OSError):
        return None
    path = project / SERVER_SOCKET
    if not hasattr(socket, "AF_UNIX") or not path.exists():
        return None
    request = json.dumps({"argv": args, "cwd": os.getcwd(), "project": str(project), "key": key()}).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)  # a server that does not take the call: do the work here
            at_socket(path, sock.connect)
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(None)  # the answer takes as long as the validation
            chunks = []
            while chunk := sock.recv(1 << 16):
                chunks.append(chunk)
        answer = json.loads(b"".join(chunks))
    except (OSError, ValueError):  # no server, a dead one, an answer cut off
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("code"), int):
        return None  # refused (another project, casd changed): the work is done here
    return answer


def main() -> None:
    """The console script's entry point."""
    args = sys.argv[1:]
    mode = os.environ.get("CASD_SERVER", "")
    if args[:1] == ["validate"] and mode != "0" and not os.environ.get("CASD_NO_CACHE"):
        answer = ask(args)
        if answer is not None:
            try:
                sys.stdout.write(answer.get("stdout", ""))
                sys.stderr.write(answer.get("stderr", ""))
                sys.stdout.flush()
                sys.stderr.flush()
            except OSError:  # a reader that stopped early (`casd validate | head`): no traceback
                pass
            os._exit(answer["code"])
        if mode == "require":
            sys.stderr.write("error: no `casd serve` answered for this project (CASD_SERVER=require)\n")
            sys.exit(2)
    # the CLI itself, imported only now (importlib: the contract on this module's imports holds)
    importlib.import_module("casd.cli").main()
