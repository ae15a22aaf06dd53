"""Packaging: rows, file writers, Data Package descriptors, the working build and generated docs."""
