"""Curation: reading the YAML records, resolving evidence, checking rules, measuring coverage."""
