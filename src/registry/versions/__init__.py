"""Semantic versions of artifacts: parsing, npm-style ranges, and recording them."""
