"""Zip validation for uploads: hostile archives are refused before any byte is extracted.

Checks, in the order a reader meets them: it must be a zip; no entry may be encrypted, a symlink
or another special file; every path must stay inside the package (no absolute paths, drive
letters, backslashes, `..` or `.` segments, control characters or duplicates); the entry count
and the declared uncompressed total are capped; no entry may expand more than `max_ratio` times
(zip bombs). Extraction later reads at most each entry's declared size and zipfile verifies its
CRC, so a lying header cannot make it write more.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from registry.errors import PayloadTooLargeError, ValidationError
from registry.packages.parts import CODE_DIRS, DATA_DIRS

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_PATH_LENGTH = 1024
RATIO_FLOOR_BYTES = 1024 * 1024  # tiny entries may compress well without being a threat
# Files a HF-layout package root usually holds; their absence below one folder means "unwrap".
ROOT_MARKERS = frozenset({"config.json", "README.md", "model_index.json", "adapter_config.json"})


class ZipRejectedError(ValidationError):
    """The upload is not an acceptable zip package."""

    code = "invalid_package"


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
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode:  # Unix attributes are only meaningful from Unix
        if stat.S_ISLNK(mode):
            raise _reject("symbolic links are not accepted", info.filename)
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) and stat.S_IFMT(mode):
            raise _reject("special files are not accepted", info.filename)


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
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise _reject(f"the upload is not a readable zip archive: {exc}") from None
    if len(infos) > limits.max_entries:
        raise PayloadTooLargeError(
            f"the zip holds {len(infos)} entries; at most {limits.max_entries} are accepted"
        )
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
