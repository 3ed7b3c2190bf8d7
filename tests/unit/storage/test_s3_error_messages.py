"""The S3 adapter's errors say what failed without the vendor's text (which names the endpoint)."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from registry.errors import BlobNotFoundError, BlobStoreUnavailableError, StorageError
from registry.storage.s3_errors import translated

ENDPOINT = "http://10.9.8.7:9000"


@pytest.mark.parametrize(
    ("vendor", "message"),
    [
        (EndpointConnectionError(endpoint_url=ENDPOINT), "could not be reached"),
        (aiohttp.ClientConnectionError(f"Cannot connect to {ENDPOINT}"), "could not be reached"),
        (ConnectTimeoutError(endpoint_url=ENDPOINT), "did not answer in time"),
        (ReadTimeoutError(endpoint_url=ENDPOINT), "did not answer in time"),
        (TimeoutError(), "did not answer in time"),
        (NoCredentialsError(), "client failed (NoCredentialsError)"),
    ],
)
def test_vendor_failures_become_generic_storage_errors(
    vendor: Exception, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="registry.storage.s3")
    with pytest.raises(StorageError) as caught, translated("upload"):
        raise vendor
    assert caught.value.message == f"S3 upload failed: the object store {message}"
    assert "10.9.8.7" not in caught.value.message
    assert caught.value.__cause__ is vendor
    # An unreachable or silent store is 503 (retry later); a client that cannot sign is 500.
    away = message != "client failed (NoCredentialsError)"
    assert isinstance(caught.value, BlobStoreUnavailableError) == away
    assert caught.value.status_code == (503 if away else 500)
    logged = [r.getMessage() for r in caplog.records if r.name == "registry.storage.s3"]
    assert logged and logged[0].startswith(f"S3 upload failed: {type(vendor).__name__}")


def test_client_errors_name_the_s3_code_or_the_status() -> None:
    denied = ClientError({"Error": {"Code": "AccessDenied"}}, "PutObject")
    with (
        pytest.raises(StorageError, match=r"^S3 upload failed: AccessDenied$"),
        translated("upload"),
    ):
        raise denied
    bare = ClientError({"ResponseMetadata": {"HTTPStatusCode": 503}}, "PutObject")
    with pytest.raises(StorageError, match=r"^S3 upload failed: HTTP 503$"), translated("upload"):
        raise bare
    missing = ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
    with pytest.raises(BlobNotFoundError), translated("download", "ab" * 32):
        raise missing
