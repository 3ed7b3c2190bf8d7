"""Zip layout: every reader must see the same entries; crafted layouts are refused, fast."""

from __future__ import annotations

import io
import os
import stat
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from registry.errors import PayloadTooLargeError, ZipRejectedError
from registry.packages.zipcheck import ZipLimits, inspect_zip
from tests.fixtures import hostile_zips as hz


def check(tmp_path: Path, data: bytes, limits: ZipLimits | None = None) -> list[str]:
    path = tmp_path / "upload.zip"
    path.write_bytes(data)
    return [e.path for e in inspect_zip(path, limits or ZipLimits())]


def refused(tmp_path: Path, data: bytes) -> ZipRejectedError:
    with pytest.raises(ZipRejectedError) as caught:
        check(tmp_path, data)
    assert caught.value.status_code == 400
    assert caught.value.code == "invalid_package"
    return caught.value


@pytest.mark.parametrize(
    ("build", "words", "entry"),
    [
        (hz.symlink_zip, "symbolic links", "escape"),  # Atari
        (hz.msdos_symlink_zip, "symbolic links", "escape"),
        (hz.beos_symlink_zip, "symbolic links", "escape"),
        (hz.vms_symlink_zip, "symbolic links", "escape"),
        (lambda: hz.symlink_zip(hz.ATHEOS), "symbolic links", "escape"),
        (lambda: hz.symlink_zip(hz.UNIX), "symbolic links", "escape"),
        (hz.reparse_point_zip, "symbolic links", "escape"),
        (hz.device_zip, "special files", "mem"),
        (lambda: hz.device_zip(hz.MSDOS), "special files", "mem"),
        (hz.overlapping_bomb, "overlap", "shard-00001.bin"),
        (hz.prefixed_zip, "precede the first entry", "config.json"),
        (hz.hidden_gap_zip, "hidden before the entry", "model.bin"),
        (hz.out_of_order_zip, "out of order", "b.bin"),
        (hz.local_name_mismatch_zip, "names it differently", "model.bin"),
        (hz.unicode_path_zip, "Unicode Path", "model.bin"),
    ],
)
def test_hostile_entries_are_refused_naming_the_entry(
    tmp_path: Path, build: Callable[[], bytes], words: str, entry: str
) -> None:
    error = refused(tmp_path, build())
    assert words in error.message
    assert error.details == {"entry": entry}


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (hz.unadjusted_prefix_zip, "does not end where the end record says"),
        (hz.second_eocd_comment_zip, "second end record"),
        (hz.signature_comment_zip, "zip signatures"),
        (hz.trailing_data_zip, "data after its end record"),
    ],
)
def test_end_record_tricks_are_refused(
    tmp_path: Path, build: Callable[[], bytes], words: str
) -> None:
    assert words in refused(tmp_path, build()).message


def test_the_overlap_bomb_really_expands_in_zipfile(tmp_path: Path) -> None:
    """The fixture is a working bomb for this interpreter's zipfile (so the refusal is ours)."""
    data = hz.overlapping_bomb(entries=5, kernel_size=100_000)
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        expanded = sum(len(archive.read(name)) for name in archive.namelist())
    except zipfile.BadZipFile:  # an interpreter with its own overlap check (>= 3.11.8)
        expanded = 0
    assert expanded in (0, pytest.approx(500_000, rel=0.01))
    assert "overlap" in refused(tmp_path, data).message


def test_the_comment_zip_shows_zipfile_another_archive(tmp_path: Path) -> None:
    """zipfile would read the inner zip hidden in the comment; unzip reads the outer one."""
    data = hz.second_eocd_comment_zip()
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["evil.sh"]
    refused(tmp_path, data)


def test_ordinary_writers_pass(tmp_path: Path) -> None:
    # Streamed (data descriptors, with and without zip64), folders, a plain comment.
    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.buffer = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, data: object) -> int:
            assert isinstance(data, bytes | bytearray | memoryview)
            self.buffer += data
            return len(data)

    sink = Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg/", b"")
        archive.writestr("pkg/config.json", b"{}")
        with archive.open("pkg/model.bin", "w") as member:
            member.write(os.urandom(5000))
        with archive.open("pkg/big.bin", "w", force_zip64=True) as member:
            member.write(b"a" * 1000)
        archive.comment = b"built by a streaming writer"
    assert sorted(check(tmp_path, bytes(sink.buffer))) == ["big.bin", "config.json", "model.bin"]
    assert check(tmp_path, hz.assemble([hz.config(), hz.Member("m.bin", b"x" * 99, deflate=True)]))


def test_a_zip64_end_record_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # makes zipfile write zip64 records
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", b"{}")
        archive.writestr("model.bin", b"weights")
    data = buffer.getvalue()
    assert b"PK\x06\x06" in data
    assert check(tmp_path, data) == ["config.json", "model.bin"]
    # The zip64 record moved away from its locator: refused.
    locator_at = data.rindex(b"PK\x06\x07")
    moved = bytearray(data)
    struct.pack_into("<Q", moved, locator_at + 8, 0)
    assert "not where its locator says" in refused(tmp_path, bytes(moved)).message


def end_record(data: bytes) -> tuple[int, list[int]]:
    at = data.rindex(b"PK\x05\x06")
    return at, list(struct.unpack_from("<4H2LH", data, at + 4))


def with_end(data: bytes, **changes: int) -> bytes:
    at, fields = end_record(data)
    names = ["disk", "cd_disk", "here", "entries", "cd_size", "cd_offset", "comment"]
    for name, value in changes.items():
        fields[names.index(name)] = value
    return data[:at] + b"PK\x05\x06" + struct.pack("<4H2LH", *fields) + data[at + 22 :]


def test_end_record_fields_are_checked(tmp_path: Path) -> None:
    good = hz.assemble([hz.config(), hz.Member("model.bin", b"weights")])
    assert "multi-disk" in refused(tmp_path, with_end(good, disk=1)).message
    assert "multi-disk" in refused(tmp_path, with_end(good, here=1)).message
    assert "zip64 record" in refused(tmp_path, with_end(good, cd_offset=0xFFFFFFFF)).message
    assert "lists 2 entries" in refused(tmp_path, with_end(good, here=1, entries=1)).message
    assert "no end record" in refused(tmp_path, b"PK\x03\x04 not really a zip").message


def test_counts_and_directory_size_are_capped_before_parsing(tmp_path: Path) -> None:
    good = hz.assemble([hz.config(), hz.Member("model.bin", b"weights")])
    with pytest.raises(PayloadTooLargeError, match="2 entries; at most 1"):
        check(tmp_path, good, ZipLimits(max_entries=1))
    # A central directory padded far beyond what its entries need.
    padded = hz.assemble([hz.config(), hz.Member("model.bin", b"weights", extra=b"\0" * 65000)])
    _, fields = end_record(padded)
    assert fields[4] > 2 * 8192
    assert "central directory is" in refused(tmp_path, padded).message


def corrupt_local(data: bytes, index: int, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of the index-th local header."""
    at = -1
    for _ in range(index + 1):
        at = data.index(b"PK\x03\x04", at + 1)
    changed = bytearray(data)
    struct.pack_into(fmt, changed, at + offset, value)
    return bytes(changed)


def test_local_headers_must_match_the_central_directory(tmp_path: Path) -> None:
    good = hz.assemble([hz.config(), hz.Member("model.bin", b"weights", deflate=True)])
    assert check(tmp_path, good)
    cases = {
        (8, "<H", 0): "compression method",  # method
        (18, "<L", 1): "other sizes or CRC",  # compressed size
        (14, "<L", 0): "other sizes or CRC",  # CRC
        (6, "<H", 0): "names it differently",  # flags (UTF-8 name bit dropped)
        (0, "<L", 0): "local header is missing",  # signature
    }
    for (offset, fmt, value), words in cases.items():
        assert words in refused(tmp_path, corrupt_local(good, 1, offset, fmt, value)).message


def test_malformed_and_unsafe_extra_fields(tmp_path: Path) -> None:
    # zipfile vets central extra fields itself; the local copy is ours to check.
    extra = struct.pack("<2H", 0xCAFE, 2) + b"ab"
    good = hz.assemble([hz.config(), hz.Member("model.bin", b"w", extra=extra)])
    broken = good.replace(b"\xfe\xca\x02\x00", b"\xfe\xca\x09\x00", 1)
    assert "extra field is malformed" in refused(tmp_path, broken).message
    trailing = hz.assemble([hz.config(), hz.Member("model.bin", b"w", extra=extra + b"xy")])
    assert "extra field is malformed" in refused(tmp_path, trailing).message
    unix = hz.assemble(
        [hz.config(), hz.Member("model.bin", b"w", extra=struct.pack("<2H", 0x000D, 0))]
    )
    assert "PKWARE Unix field" in refused(tmp_path, unix).message


def test_data_descriptors_must_repeat_the_central_values(tmp_path: Path) -> None:
    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.buffer = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, data: object) -> int:
            assert isinstance(data, bytes | bytearray | memoryview)
            self.buffer += data
            return len(data)

    sink = Unseekable()
    with zipfile.ZipFile(sink, "w") as archive:
        with archive.open("model.bin", "w") as member:
            member.write(b"weights")
    data = bytearray(sink.buffer)
    descriptor = data.index(b"PK\x07\x08")
    data[descriptor + 4] ^= 0xFF  # the descriptor's CRC
    assert "data descriptor" in refused(tmp_path, bytes(data)).message


def test_folder_attributes_must_agree_with_the_name(tmp_path: Path) -> None:
    folder_as_file = hz.Member("weights", b"", mode=stat.S_IFDIR | 0o755)
    assert "folder" in refused(tmp_path, hz.assemble([hz.config(), folder_as_file])).message
    dos_folder = hz.Member("weights", b"", create_system=hz.MSDOS, mode=0, dos_attrs=0x10)
    assert "folder" in refused(tmp_path, hz.assemble([hz.config(), dos_folder])).message
    folder_with_data = hz.Member("weights/", b"payload", mode=stat.S_IFDIR | 0o755)
    assert "carries data" in refused(tmp_path, hz.assemble([hz.config(), folder_with_data])).message
    setuid = hz.Member("run.sh", b"#!/bin/sh\n", mode=stat.S_IFREG | stat.S_ISUID | 0o755)
    assert "set-user-ID" in refused(tmp_path, hz.assemble([hz.config(), setuid])).message
    plain_folder = hz.Member("weights/", b"", create_system=hz.MSDOS, mode=0, dos_attrs=0x10)
    assert check(tmp_path, hz.assemble([hz.config(), plain_folder])) == ["config.json"]


def test_ten_thousand_entries_are_inspected_in_linear_time(tmp_path: Path) -> None:
    data = hz.many_entries_zip(10_000)
    assert len(data) < 2 * 1024 * 1024
    path = tmp_path / "many.zip"
    path.write_bytes(data)
    started = time.perf_counter()
    entries = inspect_zip(path, ZipLimits())
    elapsed = time.perf_counter() - started
    assert len(entries) == 10_000
    # About 0.15 s here; the old quadratic path took minutes. Generous for a loaded machine.
    assert elapsed < 5, elapsed


def patch(data: bytes, signature: bytes, offset: int, fmt: str, value: int, nth: int = 0) -> bytes:
    """Overwrite a field of the nth record starting with signature."""
    at = -1
    for _ in range(nth + 1):
        at = data.index(signature, at + 1)
    changed = bytearray(data)
    struct.pack_into(fmt, changed, at + offset, value)
    return bytes(changed)


def test_damaged_zip64_and_split_archives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", b"{}")
        archive.writestr("model.bin", b"weights")
    data = buffer.getvalue()
    record, locator = b"PK\x06\x06", b"PK\x06\x07"
    assert "damaged" in refused(tmp_path, patch(data, record, 4, "<Q", 99)).message
    assert "multi-disk" in refused(tmp_path, patch(data, record, 16, "<L", 1)).message
    assert "multi-disk" in refused(tmp_path, patch(data, locator, 16, "<L", 2)).message
    good = hz.assemble([hz.config(), hz.Member("model.bin", b"weights")])
    # Disk number start of the second central entry (offset 34 of a central header).
    assert "multi-disk" in refused(tmp_path, patch(good, b"PK\x01\x02", 34, "<H", 1, 1)).message


def test_gaps_sizes_and_descriptors_at_the_edges(tmp_path: Path) -> None:
    gap = hz.assemble([hz.config()], gap=b"hidden")
    assert "between the last entry and the central directory" in refused(tmp_path, gap).message
    good = hz.assemble([hz.config(), hz.Member("model.bin", b"weights")])
    no_zip64 = corrupt_local(good, 1, 18, "<L", 0xFFFFFFFF)
    assert "lacks its zip64 sizes" in refused(tmp_path, no_zip64).message
    # A streamed entry (flag 3) whose local header carries sizes other than the central ones.
    streamed = patch(
        patch(good, b"PK\x03\x04", 6, "<H", 0x808, 1), b"PK\x01\x02", 8, "<H", 0x808, 1
    )
    assert (
        "other sizes or CRC" in refused(tmp_path, corrupt_local(streamed, 1, 18, "<L", 5)).message
    )
    # Its central sizes point past the end of the file: no room for the descriptor.
    beyond = patch(streamed, b"PK\x01\x02", 20, "<L", 10**6, 1)
    for field_offset in (14, 18, 22):  # a streamed entry's local CRC and sizes may be zero
        beyond = corrupt_local(beyond, 1, field_offset, "<L", 0)
    assert "descriptor is truncated" in refused(tmp_path, beyond).message


def test_encrypted_and_unreadable_directories(tmp_path: Path) -> None:
    good = hz.assemble([hz.config(), hz.Member("model.bin", b"weights")])
    encrypted = patch(
        patch(good, b"PK\x03\x04", 6, "<H", 0x801, 1), b"PK\x01\x02", 8, "<H", 0x801, 1
    )
    assert "encrypted" in refused(tmp_path, encrypted).message
    bad_magic = patch(good, b"PK\x01\x02", 0, "<L", 0x02014B51, 1)
    assert "not a readable zip" in refused(tmp_path, bad_magic).message
