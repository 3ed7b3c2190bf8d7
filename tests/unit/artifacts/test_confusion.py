"""Package-confusion heuristics."""

from __future__ import annotations

from datetime import datetime, timedelta

from registry.artifacts.confusion import ModelFacts, find_suspects, normalise

T0 = datetime(2026, 1, 1)


def model(i: str, name: str, owner: str, downloads: int, age_days: int = 0) -> ModelFacts:
    return ModelFacts(
        i, name, f"https://hub/{owner}/{name}", owner, downloads, T0 + timedelta(days=age_days)
    )


def test_normalise_folds_case_separators_and_homoglyphs() -> None:
    assert normalise("BERT_base-Unca5ed") == normalise("bert.base.uncased")
    assert normalise("l1ama") == normalise("llama")


def test_flags_namespace_confusion_typos_and_lookalikes() -> None:
    real = model("1", "bert-base-uncased", "google-bert", 5_000_000)
    same_name = model("2", "bert-base-uncased", "evil", 3, age_days=5)
    typo = model("3", "bert-base-uncasd", "evil", 0, age_days=6)
    lookalike = model("4", "BERT_base_unca5ed", "evil", 1, age_days=7)
    suspects = {s.model.id: s for s in find_suspects([real, same_name, typo, lookalike])}
    assert set(suspects) == {"2", "3", "4"}
    assert "same name" in suspects["2"].reasons[0]
    assert "edits away" in suspects["3"].reasons[0]
    assert "look-alike" in suspects["4"].reasons[0]
    assert suspects["3"].to_dict()["metadata"]["similar_to"] == ["1"]


def test_leaves_popular_originals_same_owner_and_unrelated_names_alone() -> None:
    real = model("1", "bert-base-uncased", "google-bert", 5_000_000)
    sibling = model(
        "2", "bert-base-cased", "google-bert", 900_000, age_days=3
    )  # same owner as real
    unrelated = model("3", "whisper-tiny", "openai", 0, age_days=4)
    short = model("4", "gpt", "x", 0)
    popular_fork = model("5", "bert-base-uncased", "community", 4_000_000, age_days=9)
    assert find_suspects([real, sibling, unrelated, short, popular_fork]) == []
