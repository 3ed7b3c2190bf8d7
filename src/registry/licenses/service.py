"""The license check: a registered model's license against a GitHub project's license."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from registry.errors import NotFoundError, SourceNotFoundError, ValidationError
from registry.licenses.rules import Policy, Verdict, evaluate
from registry.sources.base import CodeHost
from registry.sources.urls import ParsedSource


class SimpleLicenseCheckRequest(BaseModel):
    """The contract's SimpleLicenseCheckRequest (plus our optional release policy)."""

    model_config = ConfigDict(extra="ignore")
    github_url: StrictStr = Field(min_length=1, max_length=2048)
    policy: Policy | None = None


class GitHubLicenses(Protocol):
    """What the check needs from the sources: URL parsing and the GitHub adapter."""

    @property
    def github(self) -> CodeHost:
        """The GitHub adapter."""
        ...

    def parse(self, url: str) -> ParsedSource:
        """Classify a URL; ValidationError when unusable."""
        ...


class LicenseService:
    """Runs the rule table on a model's stored license and the project's GitHub license."""

    def __init__(self, sources: GitHubLicenses, default_policy: Policy = Policy.share) -> None:
        self.sources = sources
        self.default_policy = default_policy

    def github_repo(self, url: str) -> str:
        """The "owner/repo" a GitHub URL names; 400 for anything else (network-free)."""
        parsed = self.sources.parse(url)
        if parsed.kind != "github":
            raise ValidationError(
                "github_url must name a GitHub repository (github.com/owner/repo)"
            )
        return parsed.repo_id

    async def code_license(self, repo_id: str) -> str | None:
        """The project's SPDX id as GitHub detects it (None: no license); 404 / 502 otherwise."""
        owner, repo = repo_id.split("/", 1)
        spdx = await self.sources.github.license_id(owner, repo)
        if spdx is not None:
            return spdx
        # No license file, or no repository at all: only the repository call tells them apart.
        try:
            info = await self.sources.github.fetch(
                repo_id, "github", f"https://github.com/{repo_id}"
            )
        except SourceNotFoundError:
            raise NotFoundError(f"GitHub repository '{repo_id}' does not exist") from None
        return info.license

    async def explain(
        self, model_license: str | None, github_url: str, policy: Policy | None = None
    ) -> tuple[Verdict, str]:
        """The verdict for a model license with the project, and the project's repo id."""
        repo_id = self.github_repo(github_url)
        code = await self.code_license(repo_id)
        return evaluate(model_license, code, policy or self.default_policy), repo_id
