"""The part table: which file of a package belongs to which downloadable part.

One path maps to exactly one part, so the parts of a package partition it. Rules are tried in
order; the first that matches wins (docs/packages.md shows the same table).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath

from registry.errors import ValidationError


class Part(StrEnum):
    """A slice of a package that can be downloaded on its own (the contract's ArtifactPart)."""

    weights = "weights"
    config = "config"
    tokenizer = "tokenizer"
    code = "code"
    docs = "docs"
    datasets = "datasets"


DATA_DIRS = frozenset({"data", "datasets", "dataset"})
CODE_DIRS = frozenset({"code", "src", "scripts"})
TOKENIZER_NAMES = frozenset(
    {
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
        "vocab.json",
        "merges.txt",
        "special_tokens_map.json",
        "added_tokens.json",
        "tokenizer.model",
        "spiece.model",
        "sentencepiece.bpe.model",
        "spm.model",
    }
)
WEIGHT_SUFFIXES = frozenset(
    {
        ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".onnx", ".gguf",
        ".ggml", ".tflite", ".mlmodel", ".ot", ".pb", ".keras", ".joblib", ".pkl", ".pickle",
        ".npz", ".npy", ".params",
    }
)  # fmt: skip
WEIGHT_INDEX_SUFFIXES = (".safetensors.index.json", ".bin.index.json")
CODE_SUFFIXES = frozenset(
    {
        ".py", ".ipynb", ".sh", ".js", ".ts", ".c", ".cc", ".cpp", ".h", ".hpp", ".cu", ".go",
        ".rs", ".java", ".scala", ".r", ".jl", ".lua",
    }
)  # fmt: skip
CODE_NAMES = frozenset(
    {"requirements.txt", "setup.py", "setup.cfg", "pyproject.toml", "makefile", "dockerfile"}
)
DOC_PREFIXES = ("readme", "license", "licence", "copying", "notice", "changelog", "citation")
DOC_SUFFIXES = frozenset(
    {".md", ".rst", ".txt", ".pdf", ".html", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
)
DATA_SUFFIXES = frozenset(
    {".csv", ".tsv", ".parquet", ".arrow", ".jsonl", ".avro", ".orc", ".feather", ".tfrecord"}
)
CONFIG_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".toml", ".ini", ".cfg"})


def part_of(path: str) -> Part:
    """The part a package path belongs to (see the module docstring for the rule order)."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    suffix = pure.suffix.lower()
    top = pure.parts[0].lower() if len(pure.parts) > 1 else ""
    if top in DATA_DIRS:
        return Part.datasets
    if name in TOKENIZER_NAMES or (suffix == ".model" and "token" in name):
        return Part.tokenizer
    if suffix in WEIGHT_SUFFIXES or name.endswith(WEIGHT_INDEX_SUFFIXES):
        return Part.weights
    if top in CODE_DIRS or suffix in CODE_SUFFIXES or name in CODE_NAMES:
        return Part.code
    if name.startswith(DOC_PREFIXES) or suffix in DOC_SUFFIXES:
        return Part.docs
    if suffix in DATA_SUFFIXES:
        return Part.datasets
    if suffix in CONFIG_SUFFIXES or name.startswith("."):
        return Part.config
    # Whatever no rule claims still has to be downloadable, so it travels with the docs.
    return Part.docs


def parse_part(value: str | None) -> Part | None:
    """Parse the `part` query parameter; None means the whole package."""
    if value is None or value == "":
        return None
    try:
        return Part(value)
    except ValueError:
        allowed = ", ".join(p.value for p in Part)
        raise ValidationError(
            f"unknown part '{value[:32]}': expected one of {allowed}",
            details={"allowed": [p.value for p in Part]},
        ) from None
