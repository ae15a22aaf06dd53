"""The exceptions casd raises on purpose: one root, few subclasses, each with its exit code.

Exit codes of the ``casd`` command (documented in the README and ``casd --help``):

* 0: success (the dataset is valid, the build or release was written);
* 1: problems found (validation issues, a stale build, a tampered release);
* 2: usage or environment error (not inside a casd project, an unknown version, bad options);
* 3: internal error (a bug in casd: please report it; ``--debug`` shows the traceback).

Light: imported by the consumer side too (stdlib only).
"""

from __future__ import annotations


class CasdError(Exception):
    """Root of every exception casd raises on purpose (a usage or environment error by default)."""

    exit_code = 2


class ProjectError(CasdError):
    """Not inside a casd project, or the project is incomplete."""


class IntegrityError(CasdError):
    """A file does not match its recorded checksum, or a release would be rewritten."""

    exit_code = 1
