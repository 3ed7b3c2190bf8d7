"""POST /artifact/model/{id}/license-check and its /explain extension."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from registry.app import create_app
from registry.config import Settings
from tests.fixtures.openapi_check import assert_conforms
from tests.fixtures.registry_client import GH, HF, register

SST2 = f"{HF}/acme/bert-finetuned-sst2"  # MIT
LLAMA = f"{HF}/acme/llama-chat-finetune"  # llama2
ND = f"{HF}/acme/nd-summarizer"  # cc-by-nc-nd-4.0


PAIRS = [
    (SST2, "google-research/bert", True),  # MIT + Apache-2.0
    (SST2, "openai/whisper", True),  # MIT + MIT
    (SST2, "gnu-stuff/gpl-tool", True),  # MIT joins a GPL-3.0 whole
    (SST2, "someone/no-license", False),  # no license grants nothing
    (LLAMA, "gnu-stuff/gpl-tool", False),  # use restrictions vs GPL
    (LLAMA, "openai/whisper", True),  # obligations only
    (ND, "openai/whisper", False),  # no derivatives may be shared
]


async def test_verdicts_are_bare_booleans(client: httpx.AsyncClient) -> None:
    ids = {url: await register(client, url) for url in (SST2, LLAMA, ND)}
    answers = []
    for model, repo, _expected in PAIRS:
        response = await client.post(
            f"/artifact/model/{ids[model]}/license-check", json={"github_url": f"{GH}/{repo}"}
        )
        assert response.status_code == 200, response.text
        assert_conforms(response)
        answers.append(response.json())
    assert answers == [expected for *_, expected in PAIRS]


async def test_explain_names_rule_and_obligations(client: httpx.AsyncClient) -> None:
    model_id = await register(client, LLAMA)

    response = await client.post(
        f"/artifact/model/{model_id}/license-check/explain",
        json={"github_url": f"{GH}/gnu-stuff/gpl-tool"},
    )

    assert response.status_code == 200, response.text
    assert_conforms(response)
    body = response.json()
    assert body["compatible"] is False
    assert body["rule"] == "use-restrictions-vs-copyleft"
    assert body["model_license"] == "Llama2" and body["code_license"] == "GPL-3.0-only"
    assert body["github_repo"] == "gnu-stuff/gpl-tool"
    assert any("Acceptable Use Policy" in o for o in body["obligations"])


async def test_explain_with_personal_policy(client: httpx.AsyncClient) -> None:
    model_id = await register(client, ND)
    response = await client.post(
        f"/artifact/model/{model_id}/license-check/explain",
        json={"github_url": f"{GH}/openai/whisper", "policy": "personal"},
    )
    assert response.status_code == 200
    assert response.json()["compatible"] is True
    assert response.json()["rule"] == "private-use"


async def test_unknown_github_repo_is_404(client: httpx.AsyncClient) -> None:
    model_id = await register(client, SST2)
    response = await client.post(
        f"/artifact/model/{model_id}/license-check", json={"github_url": f"{GH}/nobody/nothing"}
    )
    assert response.status_code == 404
    assert_conforms(response)
    assert "nobody/nothing" in response.json()["message"]


async def test_unknown_model_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/artifact/model/987654321/license-check", json={"github_url": f"{GH}/openai/whisper"}
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"github_url": 42},
        {"github_url": ""},
        {"github_url": "not a url"},
        {"github_url": f"{HF}/acme/bert-finetuned-sst2"},
        {"github_url": f"{GH}/openai/whisper", "policy": "steal"},
    ],
)
async def test_malformed_body_is_400(client: httpx.AsyncClient, body: object) -> None:
    # The body is checked before the model is looked up, so no registration is needed.
    response = await client.post("/artifact/model/123/license-check", json=body)
    assert response.status_code == 400, response.text
    assert_conforms(response)
    assert response.json()["error"] == "invalid_request"


async def test_non_json_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/artifact/model/123/license-check",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400


async def test_no_token_is_403(anon: httpx.AsyncClient) -> None:
    response = await anon.post(
        "/artifact/model/123/license-check", json={"github_url": f"{GH}/openai/whisper"}
    )
    assert response.status_code == 403


@pytest_asyncio.fixture
async def unreachable_github(settings: Settings, fresh: str) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database whose GitHub API address refuses connections."""
    broken = settings.model_copy(update={"github_api_url": "http://127.0.0.1:9"})
    app: Starlette = create_app(broken)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://registry.test"
        ) as client:
            client.headers["X-Authorization"] = fresh
            yield client


async def test_github_unreachable_is_502(
    client: httpx.AsyncClient, unreachable_github: httpx.AsyncClient
) -> None:
    model_id = await register(client, SST2)

    response = await unreachable_github.post(
        f"/artifact/model/{model_id}/license-check", json={"github_url": f"{GH}/openai/whisper"}
    )

    assert response.status_code == 502
    assert_conforms(response)
    assert response.json()["error"] == "source_unavailable"
