"""What changed in a project's record folders and seeds since the last look, told by the kernel (Linux inotify).

``casd serve`` keeps a validation in memory; before each run it asks a :class:`Watcher` which
record files changed, so it neither lists the folders nor takes the status of the files nobody
touched. The kernel queues an event when a file is written, created, deleted, renamed or touched,
at the moment it happens, so an edit saved before ``casd validate`` starts is always seen by the
run that answers it.

What the watcher cannot vouch for, it says (:attr:`Changes.rescan`): the event queue overflowed,
a watched folder was removed or renamed, a folder appeared in ``dataset/``; the next run then
lists and takes the status of every file, as a run without a server does. Where inotify is
missing (another system), :func:`watcher` gives None and every run does so. Files changed through
a network file system by another machine raise no event here: serve such a project from the
machine that edits it, or run ``casd validate`` without the server; nor do files written through a
hard link from another folder.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import DATASET, PACKAGE_META, SEEDS, TOMBSTONES

# <sys/inotify.h>
IN_MODIFY = 0x2
IN_ATTRIB = 0x4
IN_CLOSE_WRITE = 0x8
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x1000000
IN_DONT_FOLLOW = 0x2000000

#: what a file's change looks like
FILE_EVENTS = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
#: what is asked of the kernel for each watched folder
MASK = FILE_EVENTS | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW
#: what makes the watcher unable to vouch for anything (the folders are watched again)
LOST = IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF
#: a folder's list of names changed
ENTRIES = IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
#: a name came into a folder
CAME = IN_MOVED_TO | IN_CREATE

#: the files directly in dataset/ that every run reads anyway
_READ_EVERY_RUN = {PACKAGE_META.name, TOMBSTONES.name}

_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len (native order, as the kernel writes it)


@dataclass
class Changes:
    """What changed since the last :meth:`Watcher.changes`."""

    files: set[str] = field(default_factory=set)
    """record files written, touched, created, deleted or renamed (``dataset/<table>/<name>``)"""
    folders: set[str] = field(default_factory=set)
    """table folders whose list of names changed (``dataset/<table>``)"""
    entries: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    """for each of :attr:`folders`: each name that came (True) or went (False), in the kernel's order"""
    seeds: bool = False
    """something in ``seeds/`` changed (or it cannot be watched)"""
    rescan: bool = False
    """the watcher cannot vouch for any file: list and check them all"""


def parse(buffer: bytes) -> list[tuple[int, int, str]]:
    """``(wd, mask, name)`` of each event in what the kernel wrote (``struct inotify_event``)."""
    out = []
    at = 0
    while at + _EVENT.size <= len(buffer):
        wd, mask, _cookie, length = _EVENT.unpack_from(buffer, at)
        at += _EVENT.size
        name = buffer[at : at + length].split(b"\0", 1)[0]
        at += length
        out.append((wd, mask, os.fsdecode(name)))
    return out


class Watcher:
    """The kernel's events for ``dataset/``, each folder in it and ``seeds/``, read without blocking."""

    def __init__(self, project: Path, libc: ctypes.CDLL) -> None:
        self.project = Path(project)
        self._libc = libc
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), "inotify_init1")
        self.fd: int = fd
        self._folders: dict[int, str] = {}
        self._blind = False
        self._seeds = False
        self.watch()

    def _add(self, folder: Path, shown: str, follow: bool = False) -> None:
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(folder), MASK & ~IN_DONT_FOLLOW if follow else MASK)
        if wd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(folder))
        self._folders[wd] = shown

    def watch(self) -> None:
        """Watch ``dataset/`` and every folder in it, afresh. Raises OSError if a folder cannot be
        watched; until a later call succeeds, every :meth:`changes` is a rescan."""
        for wd in list(self._folders):
            self._libc.inotify_rm_watch(self.fd, wd)
        self._folders.clear()
        self._blind = True
        self._drain()  # events of the watches just removed
        base = self.project / DATASET
        self._add(base, DATASET.as_posix())
        with os.scandir(base) as entries:
            folders = sorted(e.name for e in entries if e.is_dir())  # a folder linked in is read as one: watched through the link
        for name in folders:
            self._add(base / name, f"{DATASET.as_posix()}/{name}", follow=True)
        try:
            self._add(self.project / SEEDS, SEEDS.as_posix())
            self._seeds = True
        except OSError:  # no seeds folder (yet): every run reads the seeds
            self._seeds = False
        self._blind = False

    def _drain(self) -> bytes:
        chunks = []
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def changes(self) -> Changes:
        """Everything that happened since the last call (never blocks)."""
        found = Changes(rescan=self._blind, seeds=not self._seeds)
        for wd, mask, name in parse(self._drain()):
            folder = self._folders.get(wd)
            if mask & LOST or folder is None:
                found.rescan = True
            elif folder == SEEDS.as_posix():
                found.seeds = True
            elif folder == DATASET.as_posix():
                if name not in _READ_EVERY_RUN:  # a folder (or a link to one) appeared, went or was renamed
                    found.rescan = True
            elif not name:  # the folder itself (its permissions, say): what it lets be read may have changed
                found.rescan = True
            else:
                found.files.add(f"{folder}/{name}")
                if mask & ENTRIES:
                    found.folders.add(folder)
                    found.entries.setdefault(folder, []).append((name, bool(mask & CAME)))
        if found.rescan:
            try:
                self.watch()
            except OSError:
                pass  # the dataset folder is gone or unreadable: the run reports it; watched again next time
        return found

    def close(self) -> None:
        os.close(self.fd)


def watcher(project: Path) -> Watcher | None:
    """A watcher of the project's record folders, or None where the system has no inotify (or the
    folders cannot be watched: too many watches, no dataset folder)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        if not hasattr(libc, "inotify_init1"):
            return None
        return Watcher(project, libc)
    except OSError:
        return None
