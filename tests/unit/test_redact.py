"""Internal addresses never leave in a server error's body; client errors keep their text."""

from __future__ import annotations

import pytest

from registry.errors import (
    SourceUnavailableError,
    StorageError,
    ValidationError,
)
from registry.redact import HIDDEN, scrub_addresses, scrub_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'Could not connect to the endpoint URL: "http://127.0.0.1:9000/bucket/key"',
            f'Could not connect to the endpoint URL: "{HIDDEN}"',
        ),
        ("connect to s3.internal.example:9000 failed", f"connect to {HIDDEN} failed"),
        ("minio:9000 refused", f"{HIDDEN} refused"),
        ("Connect call failed ('10.1.2.3', 5432)", f"Connect call failed ('{HIDDEN}', 5432)"),
        ("[::1]:5432 refused", f"{HIDDEN} refused"),
        ("postgresql+asyncpg://u:p@db/registry down", f"{HIDDEN} down"),
        (
            "the GitHub API answered 500 for /repos/a/b",
            "the GitHub API answered 500 for /repos/a/b",
        ),
        ("S3 upload failed: SlowDown", "S3 upload failed: SlowDown"),
        ("digest sha256:12ab not found", "digest sha256:12ab not found"),
    ],
)
def test_addresses_are_hidden(text: str, expected: str) -> None:
    assert scrub_addresses(text) == expected


def test_nested_values_are_scrubbed() -> None:
    value = {"a": ["http://x.internal/", 3, ("10.0.0.1",)], "b": None}
    assert scrub_value(value) == {"a": [HIDDEN, 3, [HIDDEN]], "b": None}


def test_server_errors_render_without_addresses() -> None:
    error = StorageError(
        "S3 upload failed: Could not connect to http://127.0.0.1:9000",
        details={"endpoint": "http://127.0.0.1:9000", "attempts": 3},
    )
    body = error.to_dict()
    assert body == {
        "error": "storage_error",
        "message": f"S3 upload failed: Could not connect to {HIDDEN}",
        "details": {"endpoint": HIDDEN, "attempts": 3},
    }
    assert error.message.endswith("http://127.0.0.1:9000")  # the log keeps the detail
    hub = SourceUnavailableError("the hub at https://hf-mirror.corp:8443 is down").to_dict()
    assert "hf-mirror" not in hub["message"]


def test_client_errors_keep_their_text() -> None:
    error = ValidationError("'http://127.0.0.1:1/x' is not a supported URL")
    assert error.to_dict()["message"] == "'http://127.0.0.1:1/x' is not a supported URL"
