"""Zip validation: each hostile shape is refused with its reason; good zips are listed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from registry.errors import PayloadTooLargeError, ZipRejectedError
from registry.packages.zipcheck import ZipLimits, clean_path, inspect_zip
from tests.fixtures import zips


def check(tmp_path: Path, data: bytes, limits: ZipLimits | None = None) -> list[str]:
    path = tmp_path / "upload.zip"
    path.write_bytes(data)
    return [e.path for e in inspect_zip(path, limits or ZipLimits())]


def test_a_good_zip_lists_its_files(tmp_path: Path) -> None:
    assert sorted(check(tmp_path, zips.tiny_zip())) == sorted(zips.TINY_FILES)


def test_a_wrapping_folder_is_dropped(tmp_path: Path) -> None:
    wrapped = zips.zip_bytes({f"pkg/{k}": v for k, v in zips.TINY_FILES.items()})
    assert sorted(check(tmp_path, wrapped)) == sorted(zips.TINY_FILES)


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (zips.traversal_zip, "'..'"),
        (zips.absolute_zip, "absolute"),
        (zips.backslash_zip, "backslash"),
        (zips.symlink_zip, "symbolic link"),
        (zips.bomb_zip, "zip bomb"),
        (zips.truncated_zip, "not a readable zip"),
        (lambda: b"not a zip at all", "not a readable zip"),
        (lambda: zips.zip_bytes({"a.txt": b"1", "./a.txt": b"2"}), "'.'"),
        (lambda: zips.zip_bytes({"C:/windows/x": b"1"}), "absolute"),
        (lambda: zips.zip_bytes({"a\x01b": b"1"}), "control characters"),
    ],
)
def test_hostile_zips(tmp_path: Path, build: Callable[[], bytes], words: str) -> None:
    with pytest.raises(ZipRejectedError) as caught:
        check(tmp_path, build())
    assert words in caught.value.message
    assert caught.value.status_code == 400


def test_duplicate_paths(tmp_path: Path) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", b"{}")
        with pytest.warns(UserWarning):
            archive.writestr("config.json", b"{}")
    with pytest.raises(ZipRejectedError, match="same path twice"):
        check(tmp_path, buffer.getvalue())


def test_caps_are_413(tmp_path: Path) -> None:
    with pytest.raises(PayloadTooLargeError, match="entries"):
        check(tmp_path, zips.tiny_zip(), ZipLimits(max_entries=2))
    with pytest.raises(PayloadTooLargeError, match="expands"):
        check(tmp_path, zips.tiny_zip(), ZipLimits(max_uncompressed_bytes=10))


def test_clean_path() -> None:
    assert clean_path("a/b/c.txt") == "a/b/c.txt"
    assert clean_path("dir/") == "dir"
    with pytest.raises(ZipRejectedError):
        clean_path("a//b")
    with pytest.raises(ZipRejectedError):
        clean_path("x" * 2000)
