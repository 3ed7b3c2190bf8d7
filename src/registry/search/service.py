"""Search extension: name / type / regex / semver-range filters, keyset (cursor) pages, budgets.

Every search is a subset of the directory by construction: it is the enumeration query
(`seq` order, optional name and type filters) with extra filters, never a separate listing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from registry.artifacts.schemas import ArtifactType
from registry.config import Settings
from registry.db.repositories import UnitOfWork
from registry.db.repositories.search import ScanFilter, VersionRepository
from registry.errors import NotFoundError, PayloadTooLargeError, ValidationError
from registry.query.regex import compile_untrusted
from registry.query.versions import VersionRange, parse_range
from registry.search.base import SearchHit, SearchIndex

CURSOR_MAX_LENGTH = 512
REGEX_RESULT_CAP = 1000  # hits of one POST /artifact/byRegEx


class ArtifactSearchRequest(BaseModel):
    """Body of POST /artifacts/search: every given filter must hold (AND)."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr | None = Field(default=None, min_length=1, max_length=512)
    types: list[ArtifactType] | None = None
    regex: StrictStr | None = None
    version: StrictStr | None = None
    trust: Literal["vetted", "unvetted"] | None = None
    limit: StrictInt | None = None
    cursor: StrictStr | None = None


@dataclass(slots=True)
class SearchItem:
    """One artifact found, with the versions that satisfied the range (or all it has)."""

    name: str
    id: str
    type: str
    versions: list[str]


@dataclass(slots=True)
class SearchPage:
    """A page of results and the cursor of the next page, if more may follow."""

    items: list[SearchItem] = field(default_factory=list)
    next_cursor: str | None = None
    budget_exhausted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the extension route."""
        return {
            "items": [
                {"name": i.name, "id": i.id, "type": i.type, "versions": i.versions}
                for i in self.items
            ],
            "next_cursor": self.next_cursor,
            "budget_exhausted": self.budget_exhausted,
        }


def query_fingerprint(request: ArtifactSearchRequest) -> str:
    """Ties a cursor to its query, so a cursor replayed with other filters is refused."""
    types = sorted(t.value for t in request.types) if request.types else []
    canonical = json.dumps([request.name, types, request.regex, request.version, request.trust])
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(after: int, fingerprint: str) -> str:
    """An opaque cursor: where the next page starts and which query it belongs to."""
    raw = json.dumps({"a": after, "q": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> int:
    """The resume point of a cursor from encode_cursor; 400 on anything else."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise ValidationError("cursor is not one this registry issued")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        after, query = data["a"], data["q"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise ValidationError("cursor is not one this registry issued") from None
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise ValidationError("cursor is not one this registry issued")
    if query != fingerprint:
        raise ValidationError("cursor belongs to a different query; resend the same filters")
    return after


class SearchService:
    """Regex lookups and the search extension, through the SearchIndex port within a budget."""

    def __init__(self, settings: Settings, index: SearchIndex) -> None:
        self.settings = settings
        self.index = index

    async def by_regex(self, uow: UnitOfWork, pattern_text: str) -> list[SearchHit]:
        """Artifacts whose name or card/README matches the pattern, or 404."""
        pattern = compile_untrusted(pattern_text, max_length=self.settings.regex_max_length)
        budget = self.settings.search_budget_seconds
        hits = await self.index.regex(uow, pattern, limit=REGEX_RESULT_CAP, budget_seconds=budget)
        if not hits:
            raise NotFoundError("no artifact matches this regex")
        return hits

    def page_size(self, limit: int | None) -> int:
        """The page size asked for, checked against the cap (413) and the minimum (400)."""
        size = self.settings.page_size if limit is None else limit
        if size < 1:
            raise ValidationError("limit must be at least 1")
        if size > self.settings.page_size_cap:
            raise PayloadTooLargeError(
                f"a page holds at most {self.settings.page_size_cap} artifacts; ask for fewer"
            )
        return size

    async def search(self, uow: UnitOfWork, request: ArtifactSearchRequest) -> SearchPage:
        """One page of artifacts matching every filter, in registration order."""
        size = self.page_size(request.limit)
        pattern = (
            compile_untrusted(request.regex, max_length=self.settings.regex_max_length)
            if request.regex is not None
            else None
        )
        version_range = parse_range(request.version) if request.version is not None else None
        fingerprint = query_fingerprint(request)
        after = decode_cursor(request.cursor, fingerprint) if request.cursor else 0
        base = ScanFilter(
            name=request.name,
            types=[t.value for t in request.types] if request.types else None,
            bounds=version_range.bounds() if version_range else None,
            trust=request.trust,
        )
        deadline = time.monotonic() + self.settings.search_budget_seconds
        versions = VersionRepository(uow.session)
        page = SearchPage()
        while True:
            outcome = await self.index.scan(
                uow,
                base,
                pattern,
                after=after,
                limit=size - len(page.items),
                budget_seconds=max(deadline - time.monotonic(), 0.001),
            )
            after = outcome.resume_after
            found = await versions.for_seqs([row[0] for row in outcome.rows])
            for seq, id_, name, type_, _ in outcome.rows:
                kept = _kept_versions(found.get(seq, []), version_range)
                if version_range is None or kept:
                    page.items.append(SearchItem(name, id_, type_, kept))
            if outcome.complete:
                return page
            if outcome.budget_exhausted or time.monotonic() >= deadline:
                page.budget_exhausted = True
                page.next_cursor = encode_cursor(after, fingerprint)
                return page
            if len(page.items) >= size:
                page.next_cursor = encode_cursor(after, fingerprint)
                return page


def _kept_versions(versions: list[str], version_range: VersionRange | None) -> list[str]:
    if version_range is None:
        return versions
    return [v for v in versions if version_range.satisfies(v)]
