"""ramp_up_time: how quickly an engineer can start using the model, judged from its card."""

from __future__ import annotations

import re
from typing import Any

from registry.rating.facts import Facts
from registry.rating.metrics.common import clamp, words
from registry.sources.cards import has_code_block

NAME = "ramp_up_time"
HEADING = re.compile(r"^#{1,4}\s+\S", re.M)
READY_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json")


def score(
    card_text: str, card_data: dict[str, Any], files: list[str], extra: dict[str, Any]
) -> float:
    """0.3 card length (400 words = full) + 0.3 a usage code block + 0.2 sections (4 = full)
    + 0.1 a declared library or task + 0.1 loadable config/tokenizer files."""
    length = clamp(words(card_text) / 400)
    example = 1.0 if has_code_block(card_text) else 0.0
    sections = clamp(len(HEADING.findall(card_text)) / 4)
    library = any(
        (extra.get("library_name"), extra.get("pipeline_tag"), card_data.get("library_name"))
    )
    ready = any(name in files for name in READY_FILES)
    total = 0.3 * length + 0.3 * example + 0.2 * sections + 0.1 * library + 0.1 * ready
    return round(clamp(total), 4)


async def measure(facts: Facts) -> float:
    """ramp_up_time of the facts' model."""
    info = facts.info
    return score(info.card_text, info.card_data, [f.path for f in info.files], info.extra)
