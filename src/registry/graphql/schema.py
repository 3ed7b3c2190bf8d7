"""The GraphQL schema: queries, limits, and errors carrying the registry's error codes."""

from __future__ import annotations

import base64
import binascii

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from registry.artifacts.schemas import ARTIFACT_ID_RE
from registry.db.repositories.lineage import LineageRepository
from registry.errors import NotFoundError, ValidationError
from registry.graphql.mutations import Mutation
from registry.graphql.types import (
    Artifact,
    ArtifactConnection,
    ArtifactEdge,
    ArtifactFilter,
    ArtifactKind,
    Ctx,
    LicenseCheck,
    LicensePolicy,
    LineageDirection,
    LineageGraph,
    PageInfo,
    described,
)
from registry.licenses.rules import Policy
from registry.lineage.graph import Direction
from registry.lineage.service import MAX_DEPTH
from registry.textcheck import is_ascii_digits

MAX_PAGE = 100
MAX_QUERY_DEPTH = 6  # the deepest real selection (lineage > nodes > artifact > name) is 4
MAX_TOKENS = 2000
MAX_ALIASES = 20


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def _after(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        kind, _, number = text.partition(":")
        if kind != "seq" or not is_ascii_digits(number) or len(number) > 18:
            raise ValueError(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("after is not a cursor this API handed out") from None
    return int(number)


def _artifact_id(value: str) -> str:
    if not ARTIFACT_ID_RE.match(value):
        raise ValidationError("id must be 1-64 characters of letters, digits and '-'")
    return value


@strawberry.type
class Query:
    """Read-only queries for analysts."""

    @described("One artifact by id (null when there is none).")
    async def artifact(self, info: Ctx, id: strawberry.ID) -> Artifact | None:
        """An artifact by id."""
        row = await info.context.artifacts.load(_artifact_id(str(id)))
        return Artifact.of(row) if row else None

    @described("Artifacts in registration order, cursor-paginated.")
    async def artifacts(
        self,
        info: Ctx,
        filter: ArtifactFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ArtifactConnection:
        """A page of artifacts matching the filter."""
        if not 1 <= first <= MAX_PAGE:
            raise ValidationError(f"first must be between 1 and {MAX_PAGE}")
        start = _after(after)
        f = filter or ArtifactFilter()
        types = [t.value for t in f.types] if f.types else None
        rows = await info.context.db(
            lambda uow: LineageRepository(uow.session).artifacts_after(
                start, first + 1, name=f.name, types=types, license_=f.license
            )
        )
        page = rows[:first]
        edges = [ArtifactEdge(cursor=_cursor(int(r["seq"])), node=Artifact.of(r)) for r in page]
        return ArtifactConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @described("The lineage graph around an artifact.")
    async def lineage(
        self,
        info: Ctx,
        id: strawberry.ID,
        direction: LineageDirection = LineageDirection.BOTH,
        depth: int = 10,
        types: list[ArtifactKind] | None = None,
    ) -> LineageGraph:
        """Ancestors and/or descendants up to depth hops, of the given node types."""
        artifact_id = _artifact_id(str(id))
        if not 1 <= depth <= MAX_DEPTH:
            raise ValidationError(f"depth must be between 1 and {MAX_DEPTH}")
        kinds = frozenset(t.value for t in types) if types else None
        graph = await info.context.db(
            lambda uow: info.context.feature.graph.graph_by_id(
                uow, artifact_id, direction=Direction(direction.value), depth=depth, kinds=kinds
            )
        )
        return LineageGraph.of(graph)

    @described("May a GitHub project be used with this model? With why.")
    async def license_check(
        self,
        info: Ctx,
        id: strawberry.ID,
        github_url: str,
        policy: LicensePolicy | None = None,
    ) -> LicenseCheck:
        """The license verdict, deciding rule and obligations."""
        row = await info.context.artifacts.load(_artifact_id(str(id)))
        if row is None or row["type"] != "model":
            raise NotFoundError(f"model artifact '{id}' does not exist")
        chosen = Policy(policy.value) if policy else None
        verdict, repo = await info.context.feature.licenses.explain(
            row["license"], github_url, chosen
        )
        return LicenseCheck.of(verdict, repo)


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    # Factories, not instances: each execution gets fresh extension state.
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
    ],
)
