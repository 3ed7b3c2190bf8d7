"""The web transport's own state: browser sessions, CSRF tokens, the log ring, page sections."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jinja2
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp

from registry.auth.schemas import Principal
from registry.auth.service import AuthService
from registry.db.models import ArtifactRow
from registry.db.models.web import WebSessionRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.users import TokenOwner
from registry.db.repositories.web import WebSessionRepository
from registry.ids import hash_token, utcnow
from registry.web.logring import LogRing

# Marks principals that came from a browser session rather than an API token.
WEB_TOKEN_PREFIX = "web-session:"  # noqa: S105 - a label, not a secret

SectionLoader = Callable[[UnitOfWork, ArtifactRow, Principal], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser: who it is and the CSRF token its forms must carry."""

    principal: Principal
    csrf_token: str
    id_hash: str

    def csrf_ok(self, submitted: str | None) -> bool:
        """Tell whether a submitted form token is this session's (constant-time)."""
        return bool(submitted) and hmac.compare_digest(
            self.csrf_token.encode(), str(submitted).encode()
        )


@dataclass(frozen=True, slots=True)
class ArtifactSection:
    """A block of the artifact page another domain contributes (rating, lineage, packages...).

    `load` returns the template's context, or None to leave the section out for this artifact.
    """

    key: str
    title: str
    template: str
    load: SectionLoader
    order: int = 100
    types: tuple[str, ...] = ("model", "dataset", "code")


@dataclass(slots=True)
class WebService:
    """Sign-in sessions for the pages, plus what the pages show beyond the core services."""

    auth: AuthService
    logs: LogRing
    templates: jinja2.Environment
    static: ASGIApp  # serves web/static (CSS and the vendored htmx)
    # False when set-up has not copied htmx yet: pages then work as plain forms and links.
    htmx_available: bool = False
    session_ttl_seconds: int = 8 * 3600
    sections: list[ArtifactSection] = field(default_factory=list)

    def add_artifact_section(self, section: ArtifactSection) -> None:
        """Let another domain add a block to the artifact page."""
        self.sections.append(section)
        self.sections.sort(key=lambda s: (s.order, s.key))

    async def sign_in(self, uow: UnitOfWork, user: TokenOwner) -> tuple[str, WebSession]:
        """Open a session for a user whose password was verified (AuthService.verify_login,
        before this write transaction opened); return the cookie secret and the session."""
        repo = WebSessionRepository(uow.session)
        now = utcnow()
        await repo.delete_expired(now)
        secret = secrets.token_urlsafe(32)
        row = WebSessionRow(
            id_hash=hash_token(secret),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(seconds=self.session_ttl_seconds),
        )
        await repo.add(row)
        principal = Principal.of(user, WEB_TOKEN_PREFIX + row.id_hash)
        return secret, WebSession(principal, row.csrf_token, row.id_hash)

    async def resolve(self, uow: UnitOfWork, secret: str | None) -> WebSession | None:
        """The live session behind a cookie secret, or None (unknown, expired, user gone)."""
        if not secret or len(secret) > 128:
            return None
        found = await WebSessionRepository(uow.session).live(hash_token(secret), utcnow())
        if found is None:
            return None
        row, user = found
        principal = Principal.of(user, WEB_TOKEN_PREFIX + row.id_hash)
        return WebSession(principal, row.csrf_token, row.id_hash)

    async def sign_out(self, uow: UnitOfWork, session: WebSession) -> None:
        """Forget the session server-side, so a copied cookie stops working too."""
        await WebSessionRepository(uow.session).delete(session.id_hash)

    async def section_blocks(
        self, uow: UnitOfWork, row: ArtifactRow, principal: Principal
    ) -> list[tuple[ArtifactSection, dict[str, Any]]]:
        """Every contributed section that applies to this artifact, with its context."""
        blocks: list[tuple[ArtifactSection, dict[str, Any]]] = []
        for section in self.sections:
            if row.type not in section.types:
                continue
            context = await section.load(uow, row, principal)
            if context is not None:
                blocks.append((section, context))
        return blocks


def web_service(connection: HTTPConnection) -> WebService:
    """The pages' own state (sessions, templates, log ring, sections) for this app.

    It lives on `app.state.web`, beside the shared `Services` container, because only this
    transport uses it: REST and GraphQL never see browser sessions or templates."""
    return connection.app.state.web  # type: ignore[no-any-return]
