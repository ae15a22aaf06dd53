"""The data model, declared once: record models, field types and markers, vocabularies, EDTF dates,
dataset metadata, and the relational layout derived from them. No I/O."""
