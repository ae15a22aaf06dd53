"""Safe file system operations: bounded reads of regular files, durable atomic writes, an atomic
folder swap, and the project's write lock. Stdlib only; used by both sides.

* :func:`read_regular` reads only a regular file (never a FIFO, a device or a symlink where one is
  refused), up to a size limit, so no input can hang casd or exhaust its memory;
* :func:`write_atomic` writes a file to a temporary name, fsyncs it, renames it into place and
  fsyncs the folder: after a crash or power cut the name holds the old content or the new, never
  a torn or empty file;
* :func:`swap_folders` exchanges two folders in one atomic step (``renameat2(RENAME_EXCHANGE)`` on
  Linux), so ``build/current`` is never missing;
* :class:`ProjectLock` serialises every command that writes the build, the releases or the records,
  with ``fcntl.flock`` on ``build/.lock``: the kernel releases it when its holder dies, so it is
  never stale.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import stat
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from .errors import CasdError

#: Largest record, side file or index casd reads (bytes); a larger file is refused, not read.
MAX_RECORD_BYTES = 8 * 2**20
#: Largest seed text casd reads (bytes).
MAX_SEED_BYTES = 64 * 2**20


class FileRefused(CasdError):
    """A file is not a regular file, is too large, or is a refused symlink."""


def read_regular(path: Path | str, limit: int, follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (:class:`FileRefused` otherwise,
    ``OSError`` when it cannot be read). Opening never blocks: a FIFO is refused, not waited on."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if e.errno == errno.ELOOP and not follow_symlinks:
            raise FileRefused(f"{path}: a symbolic link, not a file") from e
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"{path}: not a regular file")
        if info.st_size > limit:
            raise FileRefused(f"{path}: {info.st_size} bytes, more than the limit of {limit}")
        chunks = []
        total = 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > limit:  # grew while being read
                raise FileRefused(f"{path}: more than the limit of {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


_CRC = struct.Struct("<I")

#: a file's size, mtime_ns, ctime_ns and inode, packed: what casd's caches compare to know a file
#: unchanged without reading it (a quarter of the memory of a tuple of ints)
STATUS = struct.Struct("<qqqQ")


#: git's "racily clean" window: a file changed this close to the time its status was taken may
#: change again, within the clock's tick and to the same size, without its status changing
RACY_NS = 2_000_000_000


def status(info: os.stat_result) -> bytes:
    """A file's status (``os.stat`` or ``os.lstat``), packed as :data:`STATUS`."""
    return STATUS.pack(info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def framed(magic: bytes, payload: bytes) -> bytes:
    """A file's content as casd's caches write it: ``magic`` (what the file is), the CRC-32 of
    ``payload``, then ``payload`` (read back by :func:`unframed`)."""
    return magic + _CRC.pack(zlib.crc32(payload)) + payload


def unframed(magic: bytes, raw: bytes) -> memoryview:
    """The payload of content :func:`framed` with ``magic``, not copied; ValueError if the tag or
    the checksum does not hold (a damaged, short or foreign file). A byte changed on disk is found
    here, not when (or never if) something reads the value it falls in."""
    head = len(magic) + _CRC.size
    body = memoryview(raw)[head:]
    if raw[: len(magic)] != magic or len(raw) < head or _CRC.unpack(raw[len(magic) : head])[0] != zlib.crc32(body):
        raise ValueError("a damaged cache file")
    return body


def fsync_folder(folder: Path) -> None:
    """Make a folder's entries (renames, new files) durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes) -> None:
    """Write a new file and fsync it (its folder is fsynced by whoever renames it into place)."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temporary file, fsync, rename, fsync of the folder."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write_durable(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_folder(path.parent)


_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def swap_folders(a: Path, b: Path) -> bool:
    """Atomically exchange two existing folders (True), or return False where the system cannot."""
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is None:
        return False
    res = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if res == 0:
        fsync_folder(Path(b).parent)
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


# --- the project lock ------------------------------------------------------------------------


class Busy(CasdError):
    """Another casd command is writing this project."""


_held: dict[str, int] = {}


class ProjectLock:
    """An exclusive lock on a project's writes, re-entrant within one process.

    The second command waits (``CASD_LOCK_TIMEOUT`` seconds, default 60) and then gives up with a
    message naming the holder; the lock file records only the holder's pid and command.
    """

    def __init__(self, lock_file: Path, command: str, timeout: float | None = None):
        self.path = Path(lock_file)
        self.command = command
        self.timeout = float(os.environ.get("CASD_LOCK_TIMEOUT", "60")) if timeout is None else timeout
        self.fd: int | None = None

    def __enter__(self) -> ProjectLock:
        key = str(self.path.resolve())
        if _held.get(key):
            _held[key] += 1
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self._holder(fd)
                    os.close(fd)
                    raise Busy(f"another casd command is writing this project ({holder}); try again when it has finished") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "command": self.command}).encode())
        self.fd = fd
        _held[key] = 1
        return self

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"pid {info.get('pid')}: casd {info.get('command')}"
        except (OSError, ValueError):
            return "holder unknown"

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        key = str(self.path.resolve())
        _held[key] -= 1
        if _held[key]:
            return
        del _held[key]
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


@contextlib.contextmanager
def locked(lock_file: Path, command: str) -> Iterator[None]:
    with ProjectLock(lock_file, command):
        yield
