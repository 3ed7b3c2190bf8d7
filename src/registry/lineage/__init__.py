"""Lineage: parents named by artifacts' metadata, as a graph."""
