"""Derived formats of a verified release or of the working build: SQLite for Datasette, Croissant,
W3C Web Annotations, verified file copies. Reads only through casd.read (any release, 1.0.0 included)."""
