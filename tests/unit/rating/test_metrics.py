"""Each metric's pure scoring function, including its edge cases."""

from __future__ import annotations

import pytest

from registry.rating.facts import (
    CodeStats,
    DatasetFacts,
    ReviewSample,
    dataset_refs,
    find_github_repo,
)
from registry.rating.metrics import (
    bus_factor,
    code_quality,
    dataset_and_code,
    dataset_quality,
    license,
    performance_claims,
    ramp_up,
    reviewedness,
    size,
    tree,
)
from registry.sources.base import SourceInfo

GIB = 1024**3


def info(
    card: str = "", card_data: dict | None = None, tags: list[str] | None = None
) -> SourceInfo:
    return SourceInfo(
        "hf_model", "u", "o/m", "m", card_text=card, card_data=card_data or {}, tags=tags or []
    )


def test_github_link_prefers_metadata_and_skips_library_repos() -> None:
    card = "uses https://github.com/huggingface/transformers and github.com/acme/code.git here"
    assert find_github_repo(info(card)) == "acme/code"
    assert find_github_repo(info(card, {"repository": "https://github.com/x/y"})) == "x/y"
    assert find_github_repo(info("no links")) is None


def test_dataset_refs_merge_card_and_tags_without_duplicates() -> None:
    found = dataset_refs(
        info(card_data={"datasets": ["a/b", "c"]}, tags=["dataset:c", "dataset:d"])
    )
    assert found == ["a/b", "c", "d"]
    assert dataset_refs(info(card_data={"datasets": "solo"})) == ["solo"]


def test_ramp_up_full_card_beats_empty() -> None:
    card = "# T\n## A\n## B\n## C\n```python\nimport x\n```\n" + "word " * 400
    assert ramp_up.score(card, {}, ["config.json"], {"library_name": "transformers"}) == 1.0
    assert ramp_up.score("", {}, [], {}) == 0.0


def test_bus_factor_edges() -> None:
    assert bus_factor.score(None, 0, 0) == 0.0
    assert bus_factor.score(None, 10**9, 10**6) == bus_factor.NO_REPO_CAP
    assert bus_factor.score([], 0, 0) == 0.0
    one_person = bus_factor.score([100], 0, 0)
    team = bus_factor.score([20, 20, 20, 20, 20], 0, 0)
    assert one_person == pytest.approx(0.08) and team == pytest.approx(0.6)


def test_performance_claims_counts_model_index_values() -> None:
    data = {"model-index": [{"results": [{"metrics": [{"value": 0.9}, {"value": "n/a"}]}]}]}
    assert performance_claims.reported_results(data) == 1
    assert performance_claims.reported_results({"model-index": "junk"}) == 0
    full = "## Evaluation\naccuracy of 91.2\narxiv.org/abs/1"
    data2 = {"model-index": [{"results": [{"metrics": [{"value": 1}, {"value": 2}]}]}]}
    assert performance_claims.score(full, data2, []) == 1.0
    assert performance_claims.score("", {}, []) == 0.0


@pytest.mark.parametrize(
    ("license_id", "expected"),
    [
        ("MIT", 1.0),
        ("apache-2.0", 1.0),
        ("lgpl-2.1", 1.0),
        ("llama2", 0.5),
        ("gpl-3.0", 0.0),
        ("cc-by-nc-4.0", 0.0),
        (None, 0.0),
        ("unknown", 0.0),
        ("  ", 0.0),
        ("other", 0.0),
    ],
)
def test_license_table(license_id: str | None, expected: float) -> None:
    assert license.score(license_id) == expected


def test_size_uses_the_smallest_weight_format_and_calibration() -> None:
    files = [
        ("model.safetensors", 440 * 1024**2),
        ("pytorch_model.bin", 440 * 1024**2),
        ("tf_model.h5", 530 * 1024**2),
        ("README.md", 10),
    ]
    assert size.download_bytes(files) == 440 * 1024**2
    assert size.download_bytes([("README.md", 10)]) == 10
    bert = size.score(int(0.44 * GIB))
    assert bert["raspberry_pi"] == pytest.approx(0.15) and bert["jetson_nano"] == pytest.approx(0.4)
    assert bert["desktop_pc"] == pytest.approx(0.95) and bert["aws_server"] == 1.0
    huge = size.score(100 * GIB)
    assert huge == {"raspberry_pi": 0.0, "jetson_nano": 0.0, "desktop_pc": 0.0, "aws_server": 0.0}
    assert set(size.score(0).values()) == {1.0}


def test_dataset_and_code_quarters() -> None:
    assert dataset_and_code.score(0, 0, False, False) == 0.0
    assert dataset_and_code.score(2, 1, True, False) == 0.75
    assert dataset_and_code.score(1, 1, True, True) == 1.0


def test_dataset_quality_mean_and_missing() -> None:
    assert dataset_quality.score([]) == 0.0
    assert dataset_quality.score([DatasetFacts("x", found=False)]) == 0.0
    rich = DatasetFacts(
        "a/b",
        True,
        card_text="w " * 300,
        card_data={"task_categories": ["x"]},
        license="mit",
        downloads=10**6,
        file_count=3,
    )
    assert dataset_quality.score([rich]) == 1.0
    assert dataset_quality.score([rich, DatasetFacts("gone", found=False)]) == 1.0


def test_code_quality_components_and_archive_penalty() -> None:
    stats = CodeStats(
        files=["a.py"],
        python_files=1,
        code_lines=8,
        comment_lines=2,
        has_tests=True,
        has_manifest=True,
        has_ci=True,
        has_license=True,
    )
    best = code_quality.score("w " * 300, "MIT", 5000, False, stats)
    assert best == 1.0
    assert code_quality.score("w " * 300, "MIT", 5000, True, stats) == 0.5
    assert code_quality.score("", None, 0, False, CodeStats(files=[], available=False)) == 0.0


def test_reviewedness_edges() -> None:
    assert reviewedness.score(None) == -1.0
    assert reviewedness.score(ReviewSample(0, 0, 0, 0, False)) == 0.0
    assert reviewedness.score(ReviewSample(3, 2, 200, 220, False)) == pytest.approx(0.9091)


def test_tree_score_mean_or_not_applicable() -> None:
    assert tree.score(None) == 0.0 and tree.score([]) == 0.0
    assert tree.score([0.5, 1.0]) == 0.75
