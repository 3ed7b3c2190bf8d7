"""One exception tree for the whole registry, translated once per transport.

    RegistryError                      (500, "internal_error")
    ├── ValidationError                (400, "invalid_request")
    │   ├── SourceNotFoundError        (400, "source_not_found")
    │   └── ZipRejectedError           (400, "invalid_package")
    ├── SignInRequiredError            (401, "sign_in_required"; pages only)
    ├── InvalidCredentialsError        (401, "invalid_credentials")
    ├── AuthenticationError            (403, "authentication_failed")
    ├── PermissionDeniedError          (403, "permission_denied"; 401 where the contract says so)
    ├── CsrfError                      (403, "csrf_failed"; pages only)
    ├── NotFoundError                  (404, "not_found")
    ├── ConflictError                  (409, "conflict")
    │   └── ArtifactIdentityTakenError (409, "conflict"; type, name and URL taken)
    ├── PayloadTooLargeError           (413, "payload_too_large")
    │   └── SearchTimeoutError         (413, "search_budget_exceeded")
    ├── RangeNotSatisfiableError       (416, "range_not_satisfiable")
    ├── RatingDisqualifiedError        (424, "rating_disqualified")
    ├── OperationFailedError           (the failing operation's status and code; a group's)
    ├── TooManyRequestsError           (429, "too_many_requests"; carries Retry-After)
    ├── MetricFailedError              (500, "metric_failed")
    ├── SourceUnavailableError         (502, "source_unavailable")
    ├── DatabaseUnavailableError       (503, "database_unavailable")
    ├── SearchUnavailableError         (503, "search_unavailable")
    ├── ConfigurationError             (500, "configuration_error"; at start-up; a ValueError)
    │   └── UnknownSearchBackendError  (500, "configuration_error")
    └── StorageError                   (500, "storage_error")
        ├── BlobNotFoundError          (404, "blob_not_found")
        ├── BlobStoreUnavailableError  (503, "blob_store_unavailable"; unreachable or silent)
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


class ZipRejectedError(ValidationError):
    """The upload is not an acceptable zip package."""

    code = "invalid_package"


class SignInRequiredError(RegistryError):
    """The page needs a signed-in user."""

    status_code = 401
    code = "sign_in_required"


class InvalidCredentialsError(RegistryError):
    """The user name or password is wrong."""

    status_code = 401
    code = "invalid_credentials"


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


class CsrfError(RegistryError):
    """A form came without this session's CSRF token, or from another origin."""

    status_code = 403
    code = "csrf_failed"


class NotFoundError(RegistryError):
    """The addressed resource does not exist."""

    status_code = 404
    code = "not_found"


class ConflictError(RegistryError):
    """The resource exists already."""

    status_code = 409
    code = "conflict"


class ArtifactIdentityTakenError(ConflictError):
    """Another artifact holds this type, name and URL (the database's unique index said so)."""

    def __init__(self, artifact_type: str, name: str, url: str) -> None:
        super().__init__(
            f"{artifact_type} '{name}' from {url} is registered already",
            details={"type": artifact_type, "name": name, "url": url},
        )


class PayloadTooLargeError(RegistryError):
    """The request or its result is larger than the registry allows."""

    status_code = 413
    code = "payload_too_large"


class SearchTimeoutError(PayloadTooLargeError):
    """A search ran past its time budget (the pattern narrows too little for the corpus)."""

    code = "search_budget_exceeded"


class RangeNotSatisfiableError(RegistryError):
    """The requested byte range lies outside the content."""

    status_code = 416
    code = "range_not_satisfiable"


class RatingDisqualifiedError(RegistryError):
    """The artifact's rating does not pass the ingest gate."""

    status_code = 424
    code = "rating_disqualified"


class OperationFailedError(RegistryError):
    """One operation of an atomic group failed, so none was applied; answers with that
    operation's own status and code, the message and details naming which one."""

    def __init__(self, index: int, op: str, cause: RegistryError) -> None:
        details: dict[str, Any] = {"operation": index, "op": op, "status": cause.status_code}
        if cause.details:
            details["cause"] = cause.details
        super().__init__(
            f"operation {index} ({op}) failed, so nothing was applied: {cause.message}",
            details=details,
        )
        self.index = index
        self.op = op
        self.cause = cause
        self.status_code = cause.status_code
        self.code = cause.code


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


class MetricFailedError(RegistryError):
    """At least one metric could not be computed; the message names them."""

    status_code = 500
    code = "metric_failed"


class SourceUnavailableError(RegistryError):
    """An upstream source (hub, GitHub) could not be reached or answered badly."""

    status_code = 502
    code = "source_unavailable"


class DatabaseUnavailableError(RegistryError):
    """The metadata database could not be reached."""

    status_code = 503
    code = "database_unavailable"


class SearchUnavailableError(RegistryError):
    """The search index backend could not answer (e.g. OpenSearch unreachable)."""

    status_code = 503
    code = "search_unavailable"


class ConfigurationError(RegistryError, ValueError):
    """A setting names something this build does not have; raised at start-up only.

    Also a ValueError, as the start-up failures it replaces were, so callers that caught those
    still do."""

    code = "configuration_error"


class UnknownSearchBackendError(ConfigurationError):
    """search_backend names no adapter this build knows."""


class StorageError(RegistryError):
    """The blob store failed."""

    status_code = 500
    code = "storage_error"


class BlobNotFoundError(StorageError):
    """No blob is stored under this digest."""

    status_code = 404
    code = "blob_not_found"


class BlobStoreUnavailableError(StorageError):
    """The blob store could not be reached or did not answer in time (retry later)."""

    status_code = 503
    code = "blob_store_unavailable"


class BlobIntegrityError(StorageError):
    """The stored bytes do not match the digest they were promised under."""

    code = "blob_integrity"
