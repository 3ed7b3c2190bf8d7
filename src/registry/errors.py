"""One exception tree for the whole registry, translated once per transport.

    RegistryError                      (500, "internal_error")
    ├── ValidationError                (400, "invalid_request")
    │   └── SourceNotFoundError        (400, "source_not_found")
    ├── AuthenticationError            (403, "authentication_failed")
    ├── PermissionDeniedError          (403, "permission_denied"; 401 where the contract says so)
    ├── InvalidCredentialsError        (401, "invalid_credentials")
    ├── NotFoundError                  (404, "not_found")
    ├── ConflictError                  (409, "conflict")
    ├── PayloadTooLargeError           (413, "payload_too_large")
    ├── RatingDisqualifiedError        (424, "rating_disqualified")
    ├── TooManyRequestsError           (429, "too_many_requests"; carries Retry-After)
    ├── SourceUnavailableError         (502, "source_unavailable")
    └── StorageError                   (500, "storage_error")
        ├── BlobNotFoundError          (404, "blob_not_found")
        └── BlobIntegrityError         (500, "blob_integrity")

Adapters turn vendor errors (botocore, asyncpg, httpx) into these at their edge, so services and
transports never see a vendor exception.
"""

from __future__ import annotations

from typing import Any

from registry.redact import scrub_value


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """Render the error as the JSON body every transport returns."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        if self.status_code >= 500:
            # A server error may carry a vendor's text naming an internal endpoint: the log
            # keeps it (rest/errors.py logs self.message), the answer does not.
            body = scrub_value(body)
        return body

    def response_headers(self) -> dict[str, str]:
        """Headers the answer carries besides the body (none unless a subclass says so)."""
        return {}


class ValidationError(RegistryError):
    """The request is malformed or a value is not acceptable."""

    status_code = 400
    code = "invalid_request"


class SourceNotFoundError(ValidationError):
    """The referenced hub or GitHub repository does not exist."""

    code = "source_not_found"


class AuthenticationError(RegistryError):
    """The token is missing, unknown, expired or used up."""

    status_code = 403
    code = "authentication_failed"


class PermissionDeniedError(RegistryError):
    """The caller is authenticated but lacks the permission for this action."""

    status_code = 403
    code = "permission_denied"

    def __init__(self, message: str, *, status_code: int = 403) -> None:
        super().__init__(message)
        self.status_code = status_code


class InvalidCredentialsError(RegistryError):
    """The user name or password is wrong."""

    status_code = 401
    code = "invalid_credentials"


class NotFoundError(RegistryError):
    """The addressed resource does not exist."""

    status_code = 404
    code = "not_found"


class ConflictError(RegistryError):
    """The resource exists already."""

    status_code = 409
    code = "conflict"


class PayloadTooLargeError(RegistryError):
    """The request or its result is larger than the registry allows."""

    status_code = 413
    code = "payload_too_large"


class TooManyRequestsError(RegistryError):
    """Too many attempts (failed sign-ins, a full password-check queue); retry later."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after_seconds": max(1, retry_after)})
        self.retry_after = max(1, retry_after)

    def response_headers(self) -> dict[str, str]:
        """Retry-After, in whole seconds."""
        return {"Retry-After": str(self.retry_after)}


class RatingDisqualifiedError(RegistryError):
    """The artifact's rating does not pass the ingest gate."""

    status_code = 424
    code = "rating_disqualified"


class SourceUnavailableError(RegistryError):
    """An upstream source (hub, GitHub) could not be reached or answered badly."""

    status_code = 502
    code = "source_unavailable"


class StorageError(RegistryError):
    """The blob store failed."""

    status_code = 500
    code = "storage_error"


class BlobNotFoundError(StorageError):
    """No blob is stored under this digest."""

    status_code = 404
    code = "blob_not_found"


class BlobIntegrityError(StorageError):
    """The stored bytes do not match the digest they were promised under."""

    code = "blob_integrity"
