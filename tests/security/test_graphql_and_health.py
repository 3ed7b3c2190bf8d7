"""GraphQL refuses recursive fragments, queries over its alias and token limits, and calls
without a token; anonymous health checks disclose no endpoints, backends or latencies."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.deployment import Deployment

pytestmark = pytest.mark.security


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert body.get("data") is None
    return list(body["errors"])


# The schema has no cycles (the deepest real selection is 4 < the depth limit of 6), and
# introspection is exempt from the depth limit: the way to nest without end is a fragment
# spreading itself, which validation refuses.
RECURSIVE = (
    "query { artifacts { edges { node { ...A } } } } "
    "fragment A on Artifact { name ...B } fragment B on Artifact { id ...A }"
)


@pytest.mark.parametrize(
    ("query", "phrase"),
    [
        (RECURSIVE, "cannot spread fragment"),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(50)) + " }", "aliases"),
        ("{ " + "__typename " * 3000 + "}", "token"),
    ],
    ids=["recursive-fragment", "aliases", "tokens"],
)
def test_queries_over_the_limits_are_refused(admin: httpx.Client, query: str, phrase: str) -> None:
    errors = _errors(admin.post("/graphql", json={"query": query}))
    assert phrase in json.dumps(errors).lower()


def test_graphql_without_a_token_is_refused(
    deployment: Deployment, client: Callable[..., httpx.Client]
) -> None:
    response = client(deployment.second).post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 403
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == "authentication_failed"


def test_anonymous_health_components_disclose_nothing_internal(
    deployment: Deployment, client: Callable[..., httpx.Client]
) -> None:
    response = client(deployment.second).get("/health/components")
    assert response.status_code == 200
    text = response.text.lower()
    for leak in ("http://", "https://", "127.0.0.1", "postgres", "s3", "latency", "endpoint"):
        assert leak not in text, leak
    assert all(set(c) <= {"id", "status", "observed_at"} for c in response.json()["components"])
