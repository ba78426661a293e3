"""Files in.

Staging, validation, and one importer per kind of file: golden sets, runs,
labels, pairwise verdicts.
"""
