"""The pure query toolkit: untrusted RE2 patterns, their required literals, and version ranges.

It imports nothing of the registry but `registry.errors`, so the database adapters (SQLite's
REGEXP function, the search and version repositories) and the search domain can both use it.
"""
