"""Zip layout checks: every reader of an accepted zip must see the same entries, and nothing else.

A zip can be read two ways: from its central directory at the end (zipfile, Info-ZIP unzip,
7-Zip) or front to back through its local headers (streaming extractors: `bsdtar -x -f -`,
Java's ZipInputStream, many browsers' JS unzippers). A crafted zip shows the two different
things: a prefix before the first entry, data hidden between entries, a local header whose
name or size differs from its central entry, a second end record inside the comment, or many
central entries sharing one range of compressed data (the overlapping-entry zip bomb).

No library checks this. zipfile trusts the central directory, adds any prefix to every offset
(it "supports" self-extractors) and, before Python 3.11.8/3.12.1, did not notice overlapping
entries at all (its later check only compares each entry with the next one). So this module
reads the end records and every local header itself with struct and demands the canonical
layout every ordinary writer produces: entries back to back from byte 0, in central-directory
order, then the central directory, then the end record(s), then the comment, then nothing.
Everything here is one pass over the entries (linear in their count).
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from registry.errors import PayloadTooLargeError, ZipRejectedError

EOCD = struct.Struct(
    "<4s4H2LH"
)  # sig, disk, cd disk, entries here, entries, cd size, offset, comment
EOCD_SIG = b"PK\x05\x06"
LOCATOR = struct.Struct("<4sLQL")  # sig, disk of the zip64 record, its offset, disk count
LOCATOR_SIG = b"PK\x06\x07"
EOCD64 = struct.Struct("<4sQ2H2L4Q")  # sig, record size, versions, disks, counts, cd size, offset
EOCD64_SIG = b"PK\x06\x06"
LOCAL = struct.Struct("<4s5H3L2H")  # sig, version, flags, method, time, date, crc, sizes, lengths
LOCAL_SIG = b"PK\x03\x04"
DESCRIPTOR_SIG = b"PK\x07\x08"
# Every signature a reader may hunt for; none may hide in the archive comment.
SIGNATURES = (LOCAL_SIG, b"PK\x01\x02", EOCD_SIG, EOCD64_SIG, LOCATOR_SIG, DESCRIPTOR_SIG)
MAX_TAIL = EOCD.size + 0xFFFF  # the end record plus the longest comment
# A central entry is 46 bytes plus its name, extra field and comment; more than this on average
# is padding meant to make the parser work, not a package.
MAX_CENTRAL_BYTES_PER_ENTRY = 8 * 1024
FLAG_ENCRYPTED, FLAG_DESCRIPTOR, FLAG_UTF8 = 0x1, 0x8, 0x800
ZIP64_EXTRA = 0x0001
# Extra fields that let an extractor see something other than what the central entry says.
UNSAFE_EXTRAS = {
    0x7075: "an Info-ZIP Unicode Path field (a second name for the entry)",
    0x000D: "a PKWARE Unix field (it can carry a link target or device numbers)",
}


def _reject(message: str, entry: str | None = None) -> ZipRejectedError:
    return ZipRejectedError(message, details={"entry": entry[:300]} if entry is not None else None)


@dataclass(frozen=True, slots=True)
class EndRecord:
    """Where the central directory is and how many entries it declares."""

    entries: int
    cd_offset: int
    cd_size: int


def read_end_record(handle: BinaryIO, max_entries: int) -> EndRecord:
    """Find the one end record, check what follows and precedes it; 413 past max_entries.

    Runs before zipfile parses the central directory, so a declared count or directory size
    over the limits costs nothing."""
    size = handle.seek(0, 2)
    start = max(size - MAX_TAIL, 0)
    handle.seek(start)
    tail = handle.read()
    # An end record is a signature whose comment length reaches exactly the end of the file.
    found = [
        at
        for at in _find_all(tail, EOCD_SIG)
        if at + EOCD.size <= len(tail)
        and at + EOCD.size + EOCD.unpack_from(tail, at)[7] == len(tail)
    ]
    if not found:
        if tail.rfind(EOCD_SIG) >= 0:
            raise _reject("the zip has data after its end record (or a wrong comment length)")
        raise _reject("the upload is not a readable zip archive: no end record")
    if len(found) > 1:
        raise _reject("the zip comment holds a second end record: readers would disagree")
    at = found[0]
    _, disk, cd_disk, here, entries, cd_size, cd_offset, _ = EOCD.unpack_from(tail, at)
    comment = tail[at + EOCD.size :]
    if any(sig in comment for sig in SIGNATURES) or tail.find(EOCD_SIG, at + 1) >= 0:
        raise _reject("the zip comment holds zip signatures: readers would disagree")
    end_at = start + at
    cd_end = end_at
    if end_at >= LOCATOR.size and _read(handle, end_at - LOCATOR.size, 4) == LOCATOR_SIG:
        entries, cd_size, cd_offset, cd_end = _zip64(handle, end_at)
    elif disk or cd_disk or here != entries:
        raise _reject("multi-disk (split) zips are not accepted")
    elif entries == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):  # values moved to zip64
        raise _reject("the zip's end record points to a zip64 record that is missing")
    if entries > max_entries:
        raise PayloadTooLargeError(
            f"the zip holds {entries} entries; at most {max_entries} are accepted"
        )
    if cd_offset + cd_size != cd_end:
        raise _reject(
            "the central directory does not end where the end record says "
            "(data prefixed to the zip, as in a self-extractor, or a damaged archive)"
        )
    if cd_size > max(entries, 1) * MAX_CENTRAL_BYTES_PER_ENTRY:
        raise _reject(f"the central directory is {cd_size} bytes for {entries} entries")
    return EndRecord(entries, cd_offset, cd_size)


def _zip64(handle: BinaryIO, end_at: int) -> tuple[int, int, int, int]:
    """Entries, directory size and offset from the zip64 record, which must sit right before
    its locator; and where the central directory therefore ends."""
    _, record_disk, record_at, disks = LOCATOR.unpack(_read(handle, end_at - LOCATOR.size, 20))
    if record_disk or disks != 1:
        raise _reject("multi-disk (split) zips are not accepted")
    if record_at != end_at - LOCATOR.size - EOCD64.size:
        raise _reject("the zip64 end record is not where its locator says")
    raw = _read(handle, record_at, EOCD64.size)
    sig, record_size, _, _, disk, cd_disk, here, entries, cd_size, cd_offset = EOCD64.unpack(raw)
    if sig != EOCD64_SIG or record_size != EOCD64.size - 12:
        raise _reject("the zip64 end record is damaged or carries extra data")
    if disk or cd_disk or here != entries:
        raise _reject("multi-disk (split) zips are not accepted")
    return entries, cd_size, cd_offset, record_at


def check_local_headers(handle: BinaryIO, infos: list[zipfile.ZipInfo], end: EndRecord) -> None:
    """Each entry's local header matches its central entry, and the entries tile the file from
    byte 0 to the central directory in order: no prefix, gap, overlap or reordering."""
    if len(infos) != end.entries:
        raise _reject(
            f"the central directory lists {len(infos)} entries but the end record says "
            f"{end.entries}"
        )
    starts = {info.header_offset for info in infos}
    expected = 0
    for info in infos:
        name = info.orig_filename
        if info.volume:
            raise _reject("multi-disk (split) zips are not accepted", name)
        _check_extras(info.extra, name)
        if info.header_offset != expected:
            raise _misplaced(info, expected, listed_later=expected in starts)
        expected = _check_entry(handle, info)
    if expected != end.cd_offset:
        raise _reject(
            f"{end.cd_offset - expected} bytes are hidden between the last entry and the "
            "central directory"
            if expected < end.cd_offset
            else "the last entry runs into the central directory"
        )


def _misplaced(info: zipfile.ZipInfo, expected: int, *, listed_later: bool) -> ZipRejectedError:
    name, offset = info.orig_filename, info.header_offset
    if listed_later:
        return _reject("the central directory lists the entries out of order", name)
    if expected == 0:
        return _reject(
            f"{offset} bytes precede the first entry (a self-extractor stub or hidden data)",
            name,
        )
    if offset < expected:
        return _reject(
            f"the entry starts at byte {offset}, inside the entry before it (ends at byte "
            f"{expected}): entries overlap or are out of order (an overlapping-entry zip bomb?)",
            name,
        )
    return _reject(f"{offset - expected} bytes are hidden before the entry", name)


def _check_entry(handle: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Compare the local header with the central entry; return where the entry ends."""
    name = info.orig_filename
    raw = _read(handle, info.header_offset, LOCAL.size)
    sig, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = LOCAL.unpack(raw)
    if sig != LOCAL_SIG:
        raise _reject("the entry's local header is missing", name)
    local = _read(handle, info.header_offset + LOCAL.size, name_len + extra_len)
    local_name, local_extra = local[:name_len], local[name_len:]
    _check_extras(local_extra, name)
    mask = FLAG_ENCRYPTED | FLAG_DESCRIPTOR | FLAG_UTF8
    central_name = name.encode("utf-8" if info.flag_bits & FLAG_UTF8 else "cp437")
    if local_name != central_name or (flags & mask) != (info.flag_bits & mask):
        raise _reject("the entry's local header names it differently", name)
    if method != info.compress_type:
        raise _reject("the entry's local header gives another compression method", name)
    zip64 = _find_extra(local_extra, ZIP64_EXTRA)
    if 0xFFFFFFFF in (csize, usize):
        if zip64 is None or len(zip64) < 16:
            raise _reject("the entry's local header lacks its zip64 sizes", name)
        usize, csize = struct.unpack_from("<2Q", zip64)
    declared = (crc, csize, usize)
    central = (info.CRC, info.compress_size, info.file_size)
    data_end: int = info.header_offset + LOCAL.size + name_len + extra_len + info.compress_size
    if not flags & FLAG_DESCRIPTOR:
        if declared != central:
            raise _reject("the entry's local header gives other sizes or CRC", name)
        return data_end
    if declared not in ((0, 0, 0), central):
        raise _reject("the entry's local header gives other sizes or CRC", name)
    return _check_descriptor(handle, info, data_end, wide=zip64 is not None)


def _check_descriptor(handle: BinaryIO, info: zipfile.ZipInfo, at: int, *, wide: bool) -> int:
    """The data descriptor after a streamed entry must repeat the central CRC and sizes."""
    raw = _read(handle, at, 24)
    skip = 4 if raw[:4] == DESCRIPTOR_SIG else 0
    layout = "<L2Q" if wide else "<3L"
    length = skip + struct.calcsize(layout)
    if len(raw) < length:
        raise _reject("the entry's data descriptor is truncated", info.orig_filename)
    if struct.unpack_from(layout, raw, skip) != (info.CRC, info.compress_size, info.file_size):
        raise _reject("the entry's data descriptor gives other sizes or CRC", info.orig_filename)
    return at + length


def _check_extras(extra: bytes, name: str) -> None:
    for field_id, _ in _extras(extra, name):
        if field_id in UNSAFE_EXTRAS:
            raise _reject(f"the entry carries {UNSAFE_EXTRAS[field_id]}", name)


def _extras(extra: bytes, name: str) -> list[tuple[int, bytes]]:
    fields: list[tuple[int, bytes]] = []
    at = 0
    while at + 4 <= len(extra):
        field_id, length = struct.unpack_from("<2H", extra, at)
        if at + 4 + length > len(extra):
            raise _reject("the entry's extra field is malformed", name)
        fields.append((field_id, extra[at + 4 : at + 4 + length]))
        at += 4 + length
    if at != len(extra):
        raise _reject("the entry's extra field is malformed", name)
    return fields


def _find_extra(extra: bytes, field_id: int) -> bytes | None:
    return next((data for fid, data in _extras(extra, "") if fid == field_id), None)


def _find_all(data: bytes, needle: bytes) -> list[int]:
    found: list[int] = []
    at = data.find(needle)
    while at >= 0:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


def _read(handle: BinaryIO, offset: int, length: int) -> bytes:
    handle.seek(offset)
    return handle.read(length)
