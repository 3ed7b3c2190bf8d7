"""Gated ingest: register a public hub model only when its rating passes the trust gate.

The REST route and the ingest page both call this, so they refuse the same models the same
way (424 naming the failing metrics) and nothing is stored for a refused model.
"""

from __future__ import annotations

from registry.artifacts.schemas import ArtifactCreateRequest, ArtifactType
from registry.artifacts.service import ArtifactService, Draft
from registry.auth.schemas import Principal
from registry.db.models import ArtifactRow
from registry.errors import RegistryError, ValidationError
from registry.rating.engine import Computed
from registry.rating.listener import RATING, RATING_ERROR, gate
from registry.rating.service import RatingService


async def ingest_model(
    artifacts: ArtifactService,
    rating: RatingService,
    principal: Principal,
    body: ArtifactCreateRequest,
) -> ArtifactRow:
    """Rate the hub model, refuse it (424) unless vetted, else register it."""
    if rating.sources.parse(body.url).kind != "hf_model":
        raise ValidationError("ingest takes a public Hugging Face model URL")
    return await artifacts.create(principal, ArtifactType.model, body, vet=_vetted)


def _vetted(draft: Draft) -> None:
    """Refuse the draft unless its rating (computed while preparing it) passes the gate."""
    error = draft.annotations.get(RATING_ERROR)
    if isinstance(error, RegistryError):
        raise error
    computed = draft.annotations.get(RATING)
    if not isinstance(computed, Computed):  # pragma: no cover - the listener always sets one
        raise RegistryError("the model was not rated")
    gate(computed)  # 424 with the failing metrics; nothing has been stored
