"""The readers' website: a static, self-contained site for a verified release or the working build,
with the sources annotated. Reads only through casd.read (any release, 1.0.0 included)."""

from __future__ import annotations

from .site import Built, build_site

__all__ = ["Built", "build_site"]
