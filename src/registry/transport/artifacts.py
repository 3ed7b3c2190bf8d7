"""The one resolver of an artifact named by a request path: `{artifact_type}/{id}`.

Every route and page on such a path starts the same way: check the caller, parse the type
and the id (400 naming the bad part), then read the artifact (404) in the transaction the
route opens. `resolve` does the first two for token-authenticated transports; the pages
check their session themselves and call `target_of`. Either way the order is kept: the
caller is checked before the path is parsed, and nothing is read before both are valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from registry.artifacts.schemas import ArtifactType
from registry.artifacts.service import parse_id, parse_type
from registry.auth.schemas import Permission, Principal
from registry.db.models import ArtifactRow
from registry.db.repositories import UnitOfWork
from registry.services import Services
from registry.transport.requests import authenticate, services


@dataclass(frozen=True, slots=True)
class ArtifactTarget:
    """An artifact a request names: the caller, the parsed type and id; not read yet."""

    svc: Services
    principal: Principal
    type: ArtifactType
    id: str

    async def get(self, uow: UnitOfWork) -> ArtifactRow:
        """The named artifact, read in the caller's unit of work; 404 if there is none."""
        return await self.svc.artifacts.get(uow, self.type, self.id)

    async def read(self) -> ArtifactRow:
        """The named artifact, read in a read transaction of its own; 404 if there is none."""
        async with self.svc.db.unit_of_work() as uow:
            return await self.get(uow)


def target_of(
    svc: Services,
    principal: Principal,
    params: Mapping[str, Any],
    artifact_type: ArtifactType | None = None,
) -> ArtifactTarget:
    """Parse the path's `{artifact_type}` (unless the route fixes it) and `{id}`; 400 if bad."""
    kind = artifact_type if artifact_type is not None else parse_type(params["artifact_type"])
    return ArtifactTarget(svc, principal, kind, parse_id(params["id"]))


async def resolve(
    request: Request,
    permission: Permission | None,
    *,
    artifact_type: ArtifactType | None = None,
    status_code: int = 403,
) -> ArtifactTarget:
    """Check the token and permission (counting the call), then parse the artifact path."""
    principal = await authenticate(request, permission, status_code=status_code)
    return target_of(services(request), principal, request.path_params, artifact_type)
