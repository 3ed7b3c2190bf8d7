"""Other domains add blocks to the artifact page through WebService.add_artifact_section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.auth.schemas import Principal
from registry.auth.service import AuthService
from registry.config import Settings
from registry.db.models import ArtifactRow
from registry.ids import utcnow
from registry.web.logring import LogRing
from registry.web.render import build_environment
from registry.web.service import ArtifactSection, WebService

TEMPLATES = Path(__file__).resolve().parents[3] / "web" / "templates"
ADMIN = Principal(1, "admin", True, True, True, True, "t")


def service() -> WebService:
    return WebService(
        auth=AuthService(Settings()),
        logs=LogRing(),
        templates=build_environment(TEMPLATES),
        static=object(),  # type: ignore[arg-type]
    )


def row(kind: str) -> ArtifactRow:
    now = utcnow()
    return ArtifactRow(
        id="1", name="m", type=kind, url="u", source_kind="url", source_ref="u",
        created_by="a", created_at=now, updated_at=now,
    )  # fmt: skip


async def test_sections_are_ordered_filtered_by_type_and_may_opt_out() -> None:
    web = service()
    seen: list[str] = []

    def loader(name: str, result: dict[str, Any] | None) -> Any:
        async def load(uow: Any, artifact: ArtifactRow, principal: Principal) -> Any:
            seen.append(name)
            return result

        return load

    web.add_artifact_section(ArtifactSection("late", "Late", "t.html", loader("late", {}), 200))
    web.add_artifact_section(
        ArtifactSection("rating", "Rating", "t.html", loader("rating", {"net": 0.7}), 10)
    )
    web.add_artifact_section(
        ArtifactSection("models-only", "M", "t.html", loader("models-only", {}), types=("model",))
    )
    web.add_artifact_section(ArtifactSection("absent", "A", "t.html", loader("absent", None)))
    blocks = await web.section_blocks(None, row("dataset"), ADMIN)  # type: ignore[arg-type]
    assert [(s.key, ctx) for s, ctx in blocks] == [("rating", {"net": 0.7}), ("late", {})]
    assert "models-only" not in seen  # not even loaded for other types
    assert "absent" in seen
