"""The directory: enumerate, search by exact name or regex, filter by type, version range and
trust status, paginate (pages by number; with a version or trust filter, by cursor)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.responses import Response

from registry.artifacts.schemas import ArtifactQuery, ArtifactType
from registry.db.repositories import UnitOfWork
from registry.errors import NotFoundError, PayloadTooLargeError, ValidationError
from registry.search.service import ArtifactSearchRequest
from registry.textcheck import is_ascii_digits
from registry.web.context import Page, page

PAGE_SIZE = 20
MODES = {"name": "Exact name", "regex": "Regular expression (names and cards)"}
TRUST = {"vetted": "Vetted models", "unvetted": "Unvetted models"}


@dataclass(frozen=True, slots=True)
class Query:
    """The directory's filters, parsed from the query string."""

    q: str
    mode: str
    type: str
    page: int
    version: str = ""
    trust: str = ""
    cursor: str = ""

    @property
    def filtered(self) -> bool:
        """True when the search extension answers (version or trust filter): cursor pages."""
        return bool(self.version or self.trust)

    def url(self, page_number: int, cursor: str = "") -> str:
        """The directory URL for another page of the same search."""
        params = {
            "q": self.q,
            "mode": self.mode,
            "type": self.type,
            "version": self.version,
            "trust": self.trust,
            "cursor": cursor,
            "page": str(page_number),
        }
        return "/ui/artifacts?" + urlencode({k: v for k, v in params.items() if v})


def parse_query(current: Page) -> Query:
    """Read q/mode/type/page; anything unknown falls back to a default (filters never 400)."""
    params = current.request.query_params
    mode = params.get("mode", "name")
    kind = params.get("type", "")
    raw_page = params.get("page", "1")
    number = int(raw_page) if is_ascii_digits(raw_page) and len(raw_page) < 7 else 1
    trust = params.get("trust", "")
    return Query(
        q=params.get("q", "").strip()[:512],
        mode=mode if mode in MODES else "name",
        type=kind if kind in ArtifactType.__members__ else "",
        page=max(number, 1),
        version=params.get("version", "").strip()[:256],
        trust=trust if trust in TRUST else "",
        cursor=params.get("cursor", "")[:512],
    )


async def _filtered(
    current: Page, uow: UnitOfWork, query: Query, versions: dict[str, list[str]]
) -> tuple[list[tuple[str, str, str]], str | None, bool]:
    """One page from the search extension (the same filters as POST /artifacts/search).

    Fills `versions` with each artifact's versions that satisfy the range; the flag tells that
    the time budget cut the page short (the next page goes on from there)."""
    request = ArtifactSearchRequest(
        name=query.q if query.q and query.mode == "name" else None,
        regex=query.q if query.q and query.mode == "regex" else None,
        types=[ArtifactType(query.type)] if query.type else None,
        version=query.version or None,
        trust=query.trust or None,  # checked against TRUST by parse_query
        limit=PAGE_SIZE,
        cursor=query.cursor or None,
    )
    found = await current.svc.search.search(uow, request)
    versions.update({i.id: i.versions for i in found.items})
    return [(i.id, i.name, i.type) for i in found.items], found.next_cursor, found.budget_exhausted


@page
async def directory(current: Page) -> Response:
    """GET /ui/artifacts: the whole page, or only the results for htmx's live search."""
    current.require("search")
    query = parse_query(current)
    svc = current.svc
    rows: list[tuple[str, str, str]] = []
    versions: dict[str, list[str]] = {}
    has_next = False
    next_cursor: str | None = None
    error: str | None = None
    error_field = "q"
    status = 200
    empty_reason = "No artifacts are registered yet."
    async with svc.db.unit_of_work() as uow:
        try:
            if query.filtered:
                rows, next_cursor, cut_short = await _filtered(current, uow, query, versions)
                has_next = next_cursor is not None
                empty_reason = (
                    "The search reached its time budget before finding a match here; "
                    "the next page goes on, or narrow the filters."
                    if cut_short
                    else "No artifact matches these filters."
                )
            elif not query.q:
                types = [ArtifactType(query.type)] if query.type else None
                listing = await svc.artifacts.enumerate(
                    uow,
                    [ArtifactQuery(name="*", types=types)],
                    (query.page - 1) * PAGE_SIZE,
                    PAGE_SIZE,
                )
                rows = [(aid, name, kind) for _seq, aid, name, kind in listing.items]
                has_next = listing.next_offset is not None
                if query.type:
                    empty_reason = f"No {query.type} artifacts are registered yet."
            else:
                if query.mode == "regex":
                    hits = await svc.search.by_regex(uow, query.q)
                    found = [(h.id, h.name, h.type) for h in hits]
                else:
                    named = await svc.artifacts.by_name(uow, query.q)
                    found = [(aid, name, kind) for _seq, aid, name, kind in named]
                found = [r for r in found if not query.type or r[2] == query.type]
                start = (query.page - 1) * PAGE_SIZE
                rows = found[start : start + PAGE_SIZE]
                has_next = len(found) > start + PAGE_SIZE
                empty_reason = "No artifact matches this search."
        except NotFoundError:
            empty_reason = "No artifact matches this search."
        except (ValidationError, PayloadTooLargeError) as exc:
            error, status = exc.message, exc.status_code
            if query.version and ("range" in error or "version" in error):
                error_field = "version"
    context = {
        "query": query,
        "modes": MODES,
        "types": [t.value for t in ArtifactType],
        "rows": rows,
        "versions": versions,
        "has_next": has_next,
        "error": error,
        "error_field": error_field,
        "next_url": query.url(query.page + 1, next_cursor) if next_cursor else None,
        "trust_options": TRUST,
        "empty_reason": empty_reason,
    }
    if current.is_htmx and current.request.headers.get("hx-target") == "results":
        return current.render("directory/_results.html", context | {"fragment": True}, status)
    return current.render("directory/index.html", context | {"fragment": False}, status)
