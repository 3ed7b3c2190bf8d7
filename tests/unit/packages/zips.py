"""Zip builders for package tests: a tiny HF-layout package and hostile archives."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

CARD = """---
license: apache-2.0
tags: [internal, text-classification]
pipeline_tag: text-classification
---
# Tiny internal model

Classifies support tickets; quokka-marker-7 makes this card findable.
"""
TINY_FILES: dict[str, bytes] = {
    "README.md": CARD.encode(),
    "config.json": b'{"model_type": "bert", "hidden_size": 8}',
    "model.safetensors": bytes(range(256)) * 64,
    "tokenizer.json": b'{"version": "1.0"}',
    "vocab.txt": b"[PAD]\n[UNK]\nhello\n",
    "src/train.py": b"print('train')\n",
    "data/train.csv": b"text,label\nhi,1\n",
}


def zip_bytes(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of these files, in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            # A fixed date keeps the bytes identical between calls.
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, compression)
    return buffer.getvalue()


def zip_dir(directory: Path, target: Path, *, prefix: str = "") -> Path:
    """Zip a directory tree (stored, as weights barely compress) to target."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, prefix + path.relative_to(directory).as_posix())
    return target


def tiny_zip() -> bytes:
    """The tiny HF-layout package."""
    return zip_bytes(TINY_FILES)


def traversal_zip() -> bytes:
    """An entry that climbs out of the package."""
    return zip_bytes({"config.json": b"{}", "../../etc/evil": b"x"})


def absolute_zip() -> bytes:
    """An entry with an absolute path."""
    return zip_bytes({"config.json": b"{}", "/etc/passwd": b"x"})


def backslash_zip() -> bytes:
    """A Windows-style traversal."""
    return zip_bytes({"config.json": b"{}", "..\\..\\evil.txt": b"x"})


def symlink_zip() -> bytes:
    """An entry marked as a Unix symbolic link."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", b"{}")
        link = zipfile.ZipInfo("weights.bin")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def bomb_zip(size: int = 64 * 1024 * 1024) -> bytes:
    """One entry of zeros that deflates about 1000:1."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("model.safetensors", "w") as member:
            block = bytes(1024 * 1024)
            for _ in range(size // len(block)):
                member.write(block)
    return buffer.getvalue()


def truncated_zip() -> bytes:
    """A real zip cut in the middle."""
    data = tiny_zip()
    return data[: len(data) // 2]


def corrupt_zip() -> bytes:
    """A zip whose central directory is intact but one member's bytes are flipped (bad CRC)."""
    data = bytearray(zip_bytes(TINY_FILES, compression=zipfile.ZIP_STORED))
    marker = data.find(bytes(range(256)))
    data[marker + 10] ^= 0xFF
    return bytes(data)
