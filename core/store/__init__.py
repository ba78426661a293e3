"""The store.

The DuckDB connection and schema migrations, settings, SQL quoting, and the one
writer of shared tables.
"""
