"""The lineage area's services as one container field (lineage graph, licenses, ratings port)."""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.licenses.service import LicenseService
from registry.lineage.ratings import NoRatings, RatingLookup
from registry.lineage.service import LineageService


@dataclass(slots=True)
class LineageFeature:
    """What the lineage, license and GraphQL transports call."""

    graph: LineageService
    licenses: LicenseService
    # Swapped for the rating service's lookup when it is wired (see docs/lineage.md).
    ratings: RatingLookup = field(default_factory=NoRatings)
