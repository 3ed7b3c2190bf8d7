"""The directory: enumerate, search by exact name or regex, filter by type, paginate."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.responses import Response

from registry.artifacts.schemas import ArtifactQuery, ArtifactType
from registry.errors import NotFoundError, ValidationError
from registry.web.context import Page, page

PAGE_SIZE = 20
MODES = {"name": "Exact name", "regex": "Regular expression (names and cards)"}


@dataclass(frozen=True, slots=True)
class Query:
    """The directory's filters, parsed from the query string."""

    q: str
    mode: str
    type: str
    page: int

    def url(self, page_number: int) -> str:
        """The directory URL for another page of the same search."""
        params = {"q": self.q, "mode": self.mode, "type": self.type, "page": str(page_number)}
        return "/ui/artifacts?" + urlencode({k: v for k, v in params.items() if v})


def parse_query(current: Page) -> Query:
    """Read q/mode/type/page; anything unknown falls back to a default (filters never 400)."""
    params = current.request.query_params
    mode = params.get("mode", "name")
    kind = params.get("type", "")
    raw_page = params.get("page", "1")
    number = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 1
    return Query(
        q=params.get("q", "").strip()[:512],
        mode=mode if mode in MODES else "name",
        type=kind if kind in ArtifactType.__members__ else "",
        page=max(number, 1),
    )


@page
async def directory(current: Page) -> Response:
    """GET /ui/artifacts: the whole page, or only the results for htmx's live search."""
    current.require("search")
    query = parse_query(current)
    svc = current.svc
    rows: list[tuple[str, str, str]] = []
    has_next = False
    error: str | None = None
    empty_reason = "No artifacts are registered yet."
    async with svc.db.unit_of_work() as uow:
        try:
            if not query.q:
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
                    hits = await svc.artifacts.by_regex(uow, query.q)
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
        except ValidationError as exc:
            error = exc.message
    context = {
        "query": query,
        "modes": MODES,
        "types": [t.value for t in ArtifactType],
        "rows": rows,
        "has_next": has_next,
        "error": error,
        "empty_reason": empty_reason,
    }
    status = 400 if error else 200
    if current.is_htmx and current.request.headers.get("hx-target") == "results":
        return current.render("directory/_results.html", context | {"fragment": True}, status)
    return current.render("directory/index.html", context | {"fragment": False}, status)
