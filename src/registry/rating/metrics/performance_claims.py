"""performance_claims: how well the card backs its claimed results with evidence."""

from __future__ import annotations

import re
from typing import Any

from registry.rating.facts import Facts

NAME = "performance_claims"
METRIC_WORDS = re.compile(
    r"\b(accuracy|f1|bleu|rouge|perplexity|wer|cer|exact match|auc|precision|recall|map|"
    r"glue|squad|mmlu|top-1|top-5)\b[^\n]{0,80}?\d+(\.\d+)?",
    re.I,
)
TABLE_ROW = re.compile(r"^\s*\|.*\d+(\.\d+)?.*\|\s*$", re.M)
CITATION = re.compile(r"arxiv\.org/|arxiv:\s*\d|doi\.org/|@(article|inproceedings|misc)\{", re.I)
RESULTS_HEADING = re.compile(r"^#{1,4}\s+.*(evaluation|results|benchmark|performance)", re.M | re.I)


def reported_results(card_data: dict[str, Any]) -> int:
    """How many numeric metric values the card's `model-index` reports."""
    count = 0
    for model in card_data.get("model-index") or []:
        for result in (model or {}).get("results") or [] if isinstance(model, dict) else []:
            metrics = result.get("metrics") if isinstance(result, dict) else None
            count += sum(
                1
                for m in metrics or []
                if isinstance(m, dict) and isinstance(m.get("value"), int | float)
            )
    return count


def score(card_text: str, card_data: dict[str, Any], tags: list[str]) -> float:
    """0.5 structured results (model-index; 2 values = full) + 0.2 numbers beside metric names
    or in a table + 0.15 a citable paper + 0.15 an evaluation/results section."""
    structured = min(1.0, reported_results(card_data) / 2)
    evidence = bool(METRIC_WORDS.search(card_text) or TABLE_ROW.search(card_text))
    paper = bool(CITATION.search(card_text)) or any(t.startswith("arxiv:") for t in tags)
    section = bool(RESULTS_HEADING.search(card_text))
    return round(0.5 * structured + 0.2 * evidence + 0.15 * paper + 0.15 * section, 4)


async def measure(facts: Facts) -> float:
    """performance_claims of the facts' model."""
    return score(facts.info.card_text, facts.info.card_data, facts.info.tags)
