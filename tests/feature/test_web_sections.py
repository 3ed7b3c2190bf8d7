"""The artifact page's sections and actions, and the upload, ingest and filter pages, in
process: what each shows, and every refusal as HTML with the right status, storing nothing."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from registry.web.render import size
from tests.fixtures import zips
from tests.fixtures.registry_client import GH, HF, WebClient, register, token_of

HX = {"HX-Request": "true"}


async def _register(client: httpx.AsyncClient, path: str) -> str:
    return await register(client, f"{HF}/{path}")


async def _upload_form(
    browser: httpx.AsyncClient,
    body: bytes,
    *,
    name: str = "web-tiny",
    version: str = "1.0.0",
    token: str | None = None,
    headers: dict[str, str] | None = None,
    artifact_type: str = "model",
) -> httpx.Response:
    if token is None:
        token = token_of((await browser.get("/ui/upload")).text)
    return await browser.post(
        "/ui/upload",
        data={"csrf_token": token, "type": artifact_type, "name": name, "version": version},
        files={"file": ("package.zip", body, "application/zip")},
        headers=headers or {},
    )


async def _count(client: httpx.AsyncClient) -> int:
    listing = await client.post("/artifacts", json=[{"name": "*"}])
    return len(listing.json())


async def test_model_page_shows_trust_lineage_license_and_parts(
    web: WebClient, client: httpx.AsyncClient
) -> None:
    base = await _register(client, "google-bert/bert-base-uncased")
    child = await _register(client, "acme/bert-finetuned-sst2")
    browser = await web()
    page = (await browser.get(f"/ui/artifacts/model/{child}")).text
    # Trust: a badge and one labelled meter per sub-score, from the stored rating.
    rating = (await client.get(f"/artifact/model/{child}/trust")).json()
    assert f"badge-{rating['status']}" in page
    meters = re.findall(r'<meter class="bar"[^>]*value="([0-9.]+)"[^>]*aria-labelledby', page)
    assert len(meters) >= 8
    assert f'value="{round(float(rating["rating"]["bus_factor"]), 2)}"' in page
    # Lineage: a picture with both models and a table row linking the base model.
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert "bert-base-uncased" in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert f'href="/ui/artifacts/model/{base}">bert-base-uncased</a>' in page
    # License check form and the downloads section (a hub model: its files, by part).
    assert 'hx-post="/ui/artifacts/model/' in page and "license-github" in page
    assert f'href="/ui/artifacts/model/{child}/download?part=config"' in page


async def test_download_a_part_matches_the_rest_download_and_is_audited(
    web: WebClient, client: httpx.AsyncClient
) -> None:
    browser = await web()
    created = await _upload_form(browser, zips.tiny_zip())
    assert created.status_code == 303, created.text
    artifact_id = created.headers["location"].rsplit("/", 1)[1]
    page = (await browser.get(created.headers["location"])).text
    assert "Download weights" in page and "Download package" in page
    for part in ("weights", "config", None):
        params = {"part": part} if part else {}
        ours = await browser.get(f"/ui/artifacts/model/{artifact_id}/download", params=params)
        rest = await client.get(f"/artifacts/model/{artifact_id}/download", params=params)
        assert ours.status_code == rest.status_code == 200
        assert ours.content == rest.content and ours.headers["etag"] == rest.headers["etag"]
        assert ours.headers["content-disposition"].startswith("attachment")
        if part is None:  # the button states the size of what the download serves
            assert f"Download package ({size(len(ours.content))})" in page
    audit = (await client.get(f"/artifact/model/{artifact_id}/audit")).json()
    assert sum(1 for entry in audit if entry["action"] == "DOWNLOAD") == 6
    bad = await browser.get(f"/ui/artifacts/model/{artifact_id}/download", params={"part": "x"})
    assert bad.status_code == 400 and "unknown part" in bad.text
    missing = await browser.get("/ui/artifacts/model/987654/download")
    assert missing.status_code == 404


async def test_download_needs_the_download_permission(
    web: WebClient, client: httpx.AsyncClient, make_user: object
) -> None:
    artifact_id = await _register(client, "google-bert/bert-base-uncased")
    await make_user("looker", download=False)  # type: ignore[operator]
    looker = await web("looker", "s3cret-passw0rd")
    page = (await looker.get(f"/ui/artifacts/model/{artifact_id}")).text
    assert "/download" not in page.split("Downloads", 1)[1]
    refused = await looker.get(f"/ui/artifacts/model/{artifact_id}/download")
    assert refused.status_code == 403 and "download" in refused.text


async def test_upload_page_refuses_bad_zips_and_keeps_nothing(
    web: WebClient, client: httpx.AsyncClient
) -> None:
    browser = await web()
    before = await _count(client)
    cases = [
        (zips.traversal_zip(), 400, "file"),
        (zips.symlink_zip(), 400, "file"),
        (b"not a zip at all", 400, "file"),
        (zips.truncated_zip(), 400, "file"),
    ]
    for body, status, field in cases:
        response = await _upload_form(browser, body, headers=HX)
        assert response.status_code == status, response.text
        assert 'role="alert"' in response.text and "Nothing was stored" in response.text
        assert f'id="upload-{field}"' in response.text
        tag = re.search(rf'<input id="upload-{field}"[^>]*>', response.text)
        assert tag and 'aria-invalid="true"' in tag.group(0)
    bad_version = await _upload_form(browser, zips.tiny_zip(), version="one")
    assert bad_version.status_code == 400
    tag = re.search(r'<input id="upload-version"[^>]*>', bad_version.text)
    assert tag and 'aria-invalid="true"' in tag.group(0)
    bad_type = await _upload_form(browser, zips.tiny_zip(), artifact_type="weights")
    assert bad_type.status_code == 400 and "unknown artifact type" in bad_type.text
    tag = re.search(r'<select id="upload-type"[^>]*>', bad_type.text)
    assert tag and 'aria-invalid="true"' in tag.group(0)
    assert await _count(client) == before
    first = await _upload_form(browser, zips.tiny_zip(), name="dup")
    assert first.status_code == 303
    again = await _upload_form(browser, zips.tiny_zip(), name="dup")
    assert again.status_code == 409 and "uploaded already" in again.text


async def test_upload_page_needs_csrf_length_and_permission(
    web: WebClient, make_user: object
) -> None:
    browser = await web()
    forged = await _upload_form(browser, zips.tiny_zip(), token="forged")
    assert forged.status_code == 403 and "csrf_failed" in forged.text
    token = token_of((await browser.get("/ui/upload")).text)

    async def chunked():  # type: ignore[no-untyped-def]
        yield b"--x\r\n"

    no_length = await browser.post(
        "/ui/upload",
        content=chunked(),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert no_length.status_code == 400 and "Content-Length" in no_length.text
    huge = await browser.post(
        "/ui/upload",
        data={"csrf_token": token},
        headers={"content-length": str(10**13)},
    )
    assert huge.status_code == 413
    no_file = await browser.post(
        "/ui/upload",
        data={"csrf_token": token, "type": "model", "name": "n", "version": "1.0.0"},
    )
    assert no_file.status_code == 400 and "choose a .zip file" in no_file.text
    await make_user("reader2", upload=False)  # type: ignore[operator]
    reader = await web("reader2", "s3cret-passw0rd")
    assert (await reader.get("/ui/upload")).status_code == 403
    assert (await reader.get("/ui/ingest")).status_code == 403


async def test_ingest_page_shows_the_424_reasons_then_ingests_a_vetted_model(
    web: WebClient, client: httpx.AsyncClient
) -> None:
    browser = await web()
    token = token_of((await browser.get("/ui/ingest")).text)
    before = await _count(client)
    refused = await browser.post(
        "/ui/ingest", data={"csrf_token": token, "url": f"{HF}/nobody/bare-model"}, headers=HX
    )
    assert refused.status_code == 424, refused.text
    assert "Refused:" in refused.text and "below the bar" in refused.text
    assert 'aria-describedby="ingest-error"' in refused.text
    assert await _count(client) == before
    not_hub = await browser.post(
        "/ui/ingest", data={"csrf_token": token, "url": f"{GH}/openai/whisper"}
    )
    assert not_hub.status_code == 400 and "Hugging Face model URL" in not_hub.text
    vetted = await browser.post(
        "/ui/ingest", data={"csrf_token": token, "url": f"{HF}/trusty/stdlib-demo"}
    )
    assert vetted.status_code == 303
    assert re.fullmatch(r"/ui/artifacts/model/\d+", vetted.headers["location"])


async def test_license_check_and_rate_actions(web: WebClient, client: httpx.AsyncClient) -> None:
    artifact_id = await _register(client, "google-bert/bert-base-uncased")
    browser = await web()
    token = token_of((await browser.get(f"/ui/artifacts/model/{artifact_id}")).text)
    path = f"/ui/artifacts/model/{artifact_id}/license-check"
    body = {"csrf_token": token, "github_url": f"{GH}/openai/whisper", "policy": "share"}
    verdict = await browser.post(path, data=body, headers=HX)
    expected = await client.post(
        f"/artifact/model/{artifact_id}/license-check/explain",
        json={"github_url": f"{GH}/openai/whisper", "policy": "share"},
    )
    assert verdict.status_code == 200
    word = "Compatible" if expected.json()["compatible"] else "Not compatible"
    assert f"<strong>{word}</strong>" in verdict.text and "<html" not in verdict.text
    assert expected.json()["rule"] in verdict.text
    whole = await browser.post(path, data=body)
    assert whole.status_code == 200 and "<html" in whole.text and "Back to the model" in whole.text
    elsewhere = body | {"github_url": "https://example.com/x"}
    wrong = await browser.post(path, data=elsewhere, headers=HX)
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    policy = await browser.post(path, data=body | {"policy": "steal"}, headers=HX)
    assert policy.status_code == 400 and "policy" in policy.text
    rated = await browser.post(
        f"/ui/artifacts/model/{artifact_id}/rate", data={"csrf_token": token, "refresh": "1"}
    )
    assert rated.status_code == 303
    forged = await browser.post(
        f"/ui/artifacts/model/{artifact_id}/rate", data={"csrf_token": "x", "refresh": "1"}
    )
    assert forged.status_code == 403


async def test_directory_filters_by_version_range_and_trust(
    web: WebClient, client: httpx.AsyncClient
) -> None:
    bert = await _register(client, "google-bert/bert-base-uncased")  # tags v1.0.0, 1.1.0
    sst2 = await _register(client, "acme/bert-finetuned-sst2")  # tag v0.1.0
    trusty = await _register(client, "trusty/stdlib-demo")
    browser = await web()
    caret = (await browser.get("/ui/artifacts", params={"version": "^1.0.0"})).text
    assert f"/ui/artifacts/model/{bert}" in caret and f"/ui/artifacts/model/{sst2}" not in caret
    assert "<td>1.0.0, 1.1.0</td>" in caret  # the versions that satisfy the range
    zero = (await browser.get("/ui/artifacts", params={"version": "~0.1.0", "q": "bert"})).text
    assert "No artifact matches" in zero  # the exact name "bert" does not exist
    regex = await browser.get(
        "/ui/artifacts", params={"version": "~0.1.0", "q": "sst2", "mode": "regex"}
    )
    assert f"/ui/artifacts/model/{sst2}" in regex.text
    status = (await client.get(f"/artifact/model/{trusty}/trust")).json()["status"]
    vetted = (await browser.get("/ui/artifacts", params={"trust": status})).text
    assert f"/ui/artifacts/model/{trusty}" in vetted
    malformed = await browser.get("/ui/artifacts", params={"version": "^^1"})
    assert malformed.status_code == 400
    tag = re.search(r'<input id="version"[^>]*>', malformed.text)
    assert tag and 'aria-invalid="true"' in tag.group(0)


async def test_admins_mirror_a_dataset_from_its_page(
    web: WebClient, client: httpx.AsyncClient, make_user: object, registry_app: Starlette
) -> None:
    created = await client.post(
        "/artifact/dataset", json={"url": f"{HF}/datasets/bookcorpus/bookcorpus"}
    )
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]
    path = f"/ui/artifacts/dataset/{artifact_id}"
    admin = await web()
    page = (await admin.get(path)).text
    assert "Mirror the files now" in page and "0 of" in page
    await make_user("uploader", upload=True)  # type: ignore[operator]
    uploader = await web("uploader", "s3cret-passw0rd")
    uploader_page = (await uploader.get(path)).text
    assert "Mirror the files now" not in uploader_page
    denied = await uploader.post(f"{path}/mirror", data={"csrf_token": token_of(uploader_page)})
    assert denied.status_code == 403
    queued = await admin.post(f"{path}/mirror", data={"csrf_token": token_of(page)})
    assert queued.status_code == 303 and queued.headers["location"].endswith("#section-downloads")
    jobs = (await client.get(f"/artifacts/dataset/{artifact_id}/jobs")).json()
    assert len(jobs) == 1
    done = await registry_app.state.services.jobs.wait(jobs[0]["id"], 60)
    assert done.status == "succeeded", done.error
    assert "All " in (await admin.get(path)).text
    reference = await client.post("/artifact/dataset", json={"url": "https://example.com/d.csv"})
    ref_path = f"/ui/artifacts/dataset/{reference.json()['metadata']['id']}"
    by_ref = await admin.post(f"{ref_path}/mirror", data={"csrf_token": token_of(page)})
    assert by_ref.status_code == 400 and "registered by reference" in by_ref.text
