"""Package-confusion heuristics: models whose names imitate an established model's name.

A typosquat or namespace-confusion upload looks like a popular model (same name under another
owner, one or two edits away, homoglyphs such as 0/o and 1/l) but lacks its adoption. Names are
compared with rapidfuzz's Levenshtein distance (a maintained C implementation; pairwise
distance in Python would be too slow for thousands of names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz.distance import Levenshtein

_HOMOGLYPHS = str.maketrans({"0": "o", "1": "l", "3": "e", "5": "s", "7": "t", "$": "s", "@": "a"})
_SEPARATORS = re.compile(r"[-_.\s]+")
MIN_NAME_LENGTH = 5  # shorter names collide by chance
ADOPTION_RATIO = 10  # the imitated model must be this much more downloaded


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What the heuristics need to know about one registered model."""

    id: str
    name: str
    url: str
    owner: str
    downloads: int
    created_at: datetime


@dataclass(slots=True)
class Suspect:
    """A model flagged as a likely imitation, with why."""

    model: ModelFacts
    reasons: list[str] = field(default_factory=list)
    similar_to: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Render as the contract's suspected-entry object."""
        return {
            "artifact_id": self.model.id,
            "name": self.model.name,
            "source_url": self.model.url,
            "metadata": {
                "owner": self.model.owner,
                "downloads": self.model.downloads,
                "reasons": self.reasons,
                "similar_to": self.similar_to,
            },
        }


def normalise(name: str) -> str:
    """Fold case, separators and common homoglyphs so look-alike names compare equal."""
    return _SEPARATORS.sub("", name.lower().translate(_HOMOGLYPHS))


def _established(candidate: ModelFacts, other: ModelFacts) -> bool:
    """Is `other` the real thing `candidate` may imitate? Only if it is far more adopted:
    two popular models with close names (a well-used fork) are not a confusion attack."""
    return other.downloads >= ADOPTION_RATIO * max(candidate.downloads, 1)


def find_suspects(models: list[ModelFacts]) -> list[Suspect]:
    """Flag models whose names imitate a more established model of another owner."""
    suspects: dict[str, Suspect] = {}
    for model in models:
        if len(model.name) < MIN_NAME_LENGTH:
            continue
        key = normalise(model.name)
        for other in models:
            if other.id == model.id or other.owner == model.owner or not _established(model, other):
                continue
            reason = None
            if model.name == other.name:
                reason = f"same name as {other.owner}/{other.name} under another owner"
            elif key == normalise(other.name):
                reason = (
                    f"look-alike of {other.owner}/{other.name} (case, separators or homoglyphs)"
                )
            elif Levenshtein.distance(model.name.lower(), other.name.lower(), score_cutoff=2) <= 2:
                reason = f"one or two edits away from {other.owner}/{other.name}"
            if reason:
                entry = suspects.setdefault(model.id, Suspect(model))
                entry.reasons.append(reason)
                entry.similar_to.append(other.id)
    return sorted(suspects.values(), key=lambda s: s.model.created_at)
