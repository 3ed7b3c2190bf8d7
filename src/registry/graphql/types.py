"""GraphQL object types: artifacts, lineage graphs, license verdicts."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from registry.graphql.context import GraphQLContext
from registry.licenses.rules import Verdict
from registry.lineage.graph import Graph, GraphNode

Ctx = Info[GraphQLContext, None]
F = TypeVar("F", bound=Callable[..., Any])


def described(text: str) -> Callable[[F], F]:
    """@strawberry.field(description=...) with its type kept (Strawberry types it as Any)."""
    return cast(Callable[[F], F], strawberry.field(description=text))


@strawberry.enum
class ArtifactKind(Enum):
    """An artifact or lineage node type."""

    MODEL = "model"
    DATASET = "dataset"
    CODE = "code"


@strawberry.enum
class LineageDirection(Enum):
    """Which way a lineage query walks from its artifact."""

    ANCESTORS = "ancestors"
    DESCENDANTS = "descendants"
    BOTH = "both"


@strawberry.enum
class LicensePolicy(Enum):
    """How the fine-tuned model is released: privately, shared, or sold."""

    PERSONAL = "personal"
    SHARE = "share"
    SELL = "sell"


@strawberry.type(description="Ratings and trust status, read through one batched lookup.")
class Rated:
    """Mixin: rating and trust status fields loaded by dataloader."""

    artifact_id: strawberry.Private[str | None]

    @described("The latest ModelRating (null until rated).")
    async def rating(self, info: Ctx) -> JSON | None:
        """The artifact's latest rating."""
        if self.artifact_id is None:
            return None
        # JSON is Strawberry's NewType over object; a rating dict is one.
        return cast(JSON | None, await info.context.ratings.load(self.artifact_id))

    @described("Trust status from the ingest gate (null until rated).")
    async def trust_status(self, info: Ctx) -> str | None:
        """The artifact's trust status."""
        if self.artifact_id is None:
            return None
        return await info.context.trust.load(self.artifact_id)


@strawberry.type(description="A registered model, dataset or code artifact.")
class Artifact(Rated):
    """A registered artifact."""

    id: strawberry.ID
    name: str
    type: ArtifactKind
    url: str
    license: str | None
    repo_id: str | None = strawberry.field(description="Hub or GitHub repository id.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> Artifact:
        """Build from a summary row (repositories.lineage.NODE_COLUMNS)."""
        repo = (
            row["source_ref"]
            if row["source_kind"] in ("hf_model", "hf_dataset", "github")
            else None
        )
        return cls(
            artifact_id=str(row["id"]),
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            type=ArtifactKind(row["type"]),
            url=row["url"],
            license=row["license"],
            repo_id=repo,
        )


@strawberry.type(description="A node of a lineage graph: registered or external.")
class LineageNode(Rated):
    """A lineage node."""

    key: strawberry.ID = strawberry.field(description="Artifact id, or ext-... when external.")
    name: str
    type: ArtifactKind
    external: bool = strawberry.field(description="True when not registered (yet).")
    repo_id: str | None
    license: str | None
    depth: int = strawberry.field(description="Hops from the queried artifact.")
    source: str = strawberry.field(description="Metadata field the node was found through.")

    @described("The registered artifact (null for external nodes).")
    async def artifact(self, info: Ctx) -> Artifact | None:
        """The node's artifact, batched."""
        if self.artifact_id is None:
            return None
        row = await info.context.artifacts.load(self.artifact_id)
        return Artifact.of(row) if row else None

    @classmethod
    def of(cls, node: GraphNode) -> LineageNode:
        """Build from a graph node."""
        return cls(
            artifact_id=node.artifact_id,
            key=strawberry.ID(node.key),
            name=node.name,
            type=ArtifactKind(node.kind),
            external=node.external,
            repo_id=node.ref,
            license=node.license,
            depth=node.depth,
            source=node.source,
        )


@strawberry.type(description="A parent -> child relation.")
class LineageEdge:
    """A lineage edge."""

    parent: strawberry.ID = strawberry.field(description="Key of the parent node.")
    child: strawberry.ID = strawberry.field(description="Key of the child node.")
    relationship: str = strawberry.field(description="base_model, training_dataset, ...")
    relation: str | None = strawberry.field(description="finetune, adapter, merge, quantized.")
    source: str


@strawberry.type(description="Nodes and edges around one artifact.")
class LineageGraph:
    """A lineage graph."""

    root: strawberry.ID
    nodes: list[LineageNode]
    edges: list[LineageEdge]

    @classmethod
    def of(cls, graph: Graph) -> LineageGraph:
        """Build from a service graph."""
        return cls(
            root=strawberry.ID(graph.root),
            nodes=[LineageNode.of(n) for n in graph.nodes],
            edges=[
                LineageEdge(
                    parent=strawberry.ID(e.parent),
                    child=strawberry.ID(e.child),
                    relationship=e.relationship,
                    relation=e.relation,
                    source=e.source,
                )
                for e in graph.edges
            ],
        )


@strawberry.type(description="Whether a model and a GitHub project may be used together.")
class LicenseCheck:
    """A license verdict and its explanation."""

    compatible: bool
    rule: str = strawberry.field(description="The rule of docs/licenses.md that decided.")
    reason: str
    policy: LicensePolicy
    model_license: str | None
    code_license: str | None
    github_repo: str
    obligations: list[str]

    @classmethod
    def of(cls, verdict: Verdict, repo: str) -> LicenseCheck:
        """Build from a rule verdict."""
        return cls(
            compatible=verdict.compatible,
            rule=verdict.rule,
            reason=verdict.reason,
            policy=LicensePolicy(verdict.policy.value),
            model_license=verdict.model_license,
            code_license=verdict.code_license,
            github_repo=repo,
            obligations=verdict.obligations,
        )


@strawberry.type
class PageInfo:
    """Cursor pagination state."""

    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ArtifactEdge:
    """One artifact of a page and its cursor."""

    cursor: str
    node: Artifact


@strawberry.type
class ArtifactConnection:
    """A page of artifacts (Relay-style cursor connection)."""

    edges: list[ArtifactEdge]
    page_info: PageInfo


@strawberry.input(description="Artifact filter; every given field must match.")
class ArtifactFilter:
    """Filter for the artifacts query."""

    name: str | None = strawberry.field(default=None, description="Exact, case-sensitive.")
    types: list[ArtifactKind] | None = None
    license: str | None = strawberry.field(default=None, description="Case-insensitive.")
