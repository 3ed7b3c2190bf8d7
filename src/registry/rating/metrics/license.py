"""license: how usable the model's license is for the company's LGPL-2.1 product."""

from __future__ import annotations

from registry.rating.facts import Facts

NAME = "license"
# Compatible with shipping inside an LGPL-2.1 product: permissive and LGPL licenses.
COMPATIBLE = frozenset(
    "apache-2.0 mit bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear isc zlib unlicense cc0-1.0 "
    "cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 bsl-1.0 lgpl-2.1 lgpl-2.1-only lgpl-2.1-or-later "
    "lgpl-3.0 lgpl-lr mpl-2.0 wtfpl pddl odc-by artistic-2.0 python-2.0 afl-3.0 ecl-2.0 "
    "openrail openrail++ bigscience-openrail-m creativeml-openrail-m".split()
)
# Usable only under conditions legal must review (use restrictions, attribution-share-alike).
CONDITIONAL = frozenset(
    "cc-by-sa-3.0 cc-by-sa-4.0 llama2 llama3 llama3.1 llama3.2 gemma bigscience-bloom-rail-1.0 "
    "bigcode-openrail-m epl-1.0 epl-2.0 odbl".split()
)
CONDITIONAL_SCORE = 0.5


def normalise(license_id: str | None) -> str | None:
    """Lower-case, trimmed license id ('' and 'unknown' become None)."""
    if not license_id:
        return None
    value = license_id.strip().lower()
    return None if value in ("", "unknown", "none", "noassertion") else value


def score(license_id: str | None) -> float:
    """1 compatible, 0.5 conditional, 0 missing, copyleft (GPL/AGPL), non-commercial or other."""
    value = normalise(license_id)
    if value is None:
        return 0.0
    if value in COMPATIBLE:
        return 1.0
    if value in CONDITIONAL:
        return CONDITIONAL_SCORE
    return 0.0


async def measure(facts: Facts) -> float:
    """license of the facts' model (the linked repo's license when the card states none)."""
    stated = facts.info.license
    if normalise(stated) is None:
        repo = await facts.repo()
        stated = repo.info.license if repo is not None else None
    return score(stated)
