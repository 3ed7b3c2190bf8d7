"""Atomic groups of changes: create, upload, update and delete artifacts all or none."""
