"""Packages: zip uploads, mirroring of hub and GitHub content, downloads, and size cost."""
