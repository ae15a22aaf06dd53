"""The readers' website: a static, self-contained site for a verified release or the working build,
with the sources annotated. Reads only through casd.read (any release, 1.0.0 included)."""
