"""The part table and Range parsing."""

from __future__ import annotations

import pytest

from registry.errors import RangeNotSatisfiableError, ValidationError
from registry.packages.parts import Part, parse_part, part_of
from registry.packages.ranges import parse_range


@pytest.mark.parametrize(
    ("path", "part"),
    [
        ("model.safetensors", Part.weights),
        ("model-00001-of-00002.safetensors", Part.weights),
        ("model.safetensors.index.json", Part.weights),
        ("pytorch_model.bin", Part.weights),
        ("onnx/model.onnx", Part.weights),
        ("config.json", Part.config),
        ("1_Pooling/config.json", Part.config),
        ("generation_config.json", Part.config),
        (".gitattributes", Part.config),
        ("tokenizer.json", Part.tokenizer),
        ("vocab.txt", Part.tokenizer),
        ("spiece.model", Part.tokenizer),
        ("src/train.py", Part.code),
        ("modeling_custom.py", Part.code),
        ("requirements.txt", Part.code),
        ("README.md", Part.docs),
        ("LICENSE", Part.docs),
        ("images/arch.png", Part.docs),
        ("data/train.csv", Part.datasets),
        ("data/vocab.txt", Part.datasets),
        ("eval.parquet", Part.datasets),
        ("mystery.xyz", Part.docs),
    ],
)
def test_part_table(path: str, part: Part) -> None:
    assert part_of(path) == part


def test_parse_part() -> None:
    assert parse_part(None) is None
    assert parse_part("") is None
    assert parse_part("weights") is Part.weights
    with pytest.raises(ValidationError, match="expected one of weights"):
        parse_part("all")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 10)),
        ("bytes=5-", (5, 100)),
        ("bytes=-10", (90, 100)),
        ("bytes=-1000", (0, 100)),
        ("bytes=90-1000", (90, 100)),
        ("bytes=0-1,5-6", None),  # multi-range: whole content
        ("items=0-1", None),
        ("bytes=9-3", None),
        ("bytes=a-b", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=150-200", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiableError) as caught:
        parse_range(header, 100)
    assert caught.value.status_code == 416
