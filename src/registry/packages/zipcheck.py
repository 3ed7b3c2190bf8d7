"""Zip validation for uploads: hostile archives are refused before any byte is extracted.

Checks, in the order a reader meets them: it must be a zip whose layout every reader sees alike
(ziplayout: one end record, no prefix, gap, overlap or reordering, local headers matching the
central directory); no entry may be encrypted, a symlink or another special file, whatever
system the zip claims to come from; every path must stay inside the package (no absolute paths,
drive letters, backslashes, `..` or `.` segments, control characters or duplicates); the entry
count and the declared uncompressed total are capped; no entry may expand more than `max_ratio`
times (zip bombs). Extraction later reads at most each entry's declared size and zipfile
verifies its CRC, so a lying header cannot make it write more. Every check is one pass over the
central directory, whose size is capped before it is parsed.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from registry.errors import PayloadTooLargeError, ZipRejectedError
from registry.packages.parts import CODE_DIRS, DATA_DIRS
from registry.packages.ziplayout import check_local_headers, read_end_record

__all__ = ["ZipEntry", "ZipLimits", "clean_path", "inspect_zip"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_PATH_LENGTH = 1024
RATIO_FLOOR_BYTES = 1024 * 1024  # tiny entries may compress well without being a threat
# Files a HF-layout package root usually holds; their absence below one folder means "unwrap".
ROOT_MARKERS = frozenset({"config.json", "README.md", "model_index.json", "adapter_config.json"})
# MS-DOS/NTFS attribute bits (the low 16 bits of external_attr) that mark no ordinary file:
# a reparse point is how Windows zippers (7-Zip -snl) store symlinks and junctions.
DOS_DIRECTORY, DOS_DEVICE, DOS_REPARSE_POINT = 0x10, 0x40, 0x400


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Caps that keep an upload from exhausting disk or CPU."""

    max_entries: int = 10_000
    max_uncompressed_bytes: int = 20 * 1024**3
    max_ratio: float = 200.0


@dataclass(frozen=True, slots=True)
class ZipEntry:
    """One regular file of an accepted zip: its name in the archive and its package path."""

    name: str
    path: str
    size: int


def _reject(message: str, entry: str | None = None) -> ZipRejectedError:
    details = {"entry": entry[:300]} if entry is not None else None
    return ZipRejectedError(message, details=details)


def clean_path(name: str) -> str:
    """The package path of a zip entry name; ZipRejectedError when it could escape the package."""
    if len(name) > MAX_PATH_LENGTH:
        raise _reject(f"entry path is longer than {MAX_PATH_LENGTH} characters", name)
    if _CONTROL.search(name):
        raise _reject("entry path contains control characters", name)
    if "\\" in name:
        raise _reject("entry path contains a backslash", name)
    if name.startswith("/") or _DRIVE.match(name):
        raise _reject("entry path is absolute", name)
    segments = name.rstrip("/").split("/")
    if any(s in ("", ".", "..") for s in segments):
        raise _reject("entry path has an empty, '.' or '..' segment", name)
    return "/".join(segments)


def _check_kind(info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise _reject("encrypted entries are not accepted", info.filename)
    # Unix mode bits are honoured by unzip whatever system the entry claims to come from
    # (Info-ZIP reads them for Atari, BeOS, AtheOS, VMS, ... too), so they are checked for all.
    mode = info.external_attr >> 16
    dos = info.external_attr & 0xFFFF
    if stat.S_ISLNK(mode) or dos & DOS_REPARSE_POINT:
        raise _reject("symbolic links are not accepted", info.filename)
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR) or dos & DOS_DEVICE:
        raise _reject("special files (devices, pipes, sockets) are not accepted", info.filename)
    if mode & (stat.S_ISUID | stat.S_ISGID):
        raise _reject("set-user-ID and set-group-ID bits are not accepted", info.filename)
    marked_dir = stat.S_ISDIR(mode) or bool(dos & DOS_DIRECTORY)
    if marked_dir != info.is_dir() and (marked_dir or stat.S_IFMT(mode)):
        raise _reject(
            "the entry's attributes and name disagree on it being a folder", info.filename
        )
    if info.is_dir() and (info.file_size or info.compress_size > 2):
        raise _reject("a folder entry carries data", info.filename)


def _unwrap(entries: list[ZipEntry]) -> list[ZipEntry]:
    """Drop a single top-level folder that wraps the whole package (zip -r name.zip name/)."""
    tops = {e.path.split("/", 1)[0] for e in entries}
    if len(tops) != 1 or any("/" not in e.path for e in entries):
        return entries
    if any(e.path in ROOT_MARKERS for e in entries) or tops & (DATA_DIRS | CODE_DIRS):
        return entries  # a package of only data/ or src/ keeps its folder
    return [ZipEntry(e.name, e.path.split("/", 1)[1], e.size) for e in entries]


def inspect_zip(path: Path, limits: ZipLimits) -> list[ZipEntry]:
    """Validate the zip at path (blocking: run it in a thread); return its regular files."""
    try:
        with path.open("rb") as handle:
            end = read_end_record(handle, limits.max_entries)
            with zipfile.ZipFile(handle) as archive:
                infos = archive.infolist()
            check_local_headers(handle, infos, end)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise _reject(f"the upload is not a readable zip archive: {exc}") from None
    entries: list[ZipEntry] = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        clean = clean_path(info.filename)
        _check_kind(info)
        if info.is_dir():
            continue
        if clean in seen:
            raise _reject("the zip names the same path twice", info.filename)
        seen.add(clean)
        total += info.file_size
        if total > limits.max_uncompressed_bytes:
            raise PayloadTooLargeError(
                f"the zip expands to more than {limits.max_uncompressed_bytes} bytes"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
            raise _reject(
                f"entry expands {ratio:.0f} times (more than {limits.max_ratio:g}): a zip bomb?",
                info.filename,
            )
        entries.append(ZipEntry(info.filename, clean, info.file_size))
    if not entries:
        raise _reject("the zip holds no files")
    return _unwrap(entries)
