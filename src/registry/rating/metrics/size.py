"""size_score: how well the weights' download size fits each class of hardware."""

from __future__ import annotations

from collections import defaultdict
from pathlib import PurePosixPath

from registry.rating.facts import Facts
from registry.rating.metrics.common import clamp

NAME = "size_score"
GIB = 1024**3
# (size with full score, size with zero score) per device, in GiB; between them the score falls
# linearly. Calibrated on the reference ratings (bert 0.44 GB: 0.2/0.4/0.95/1; whisper-tiny
# 0.15 GB: 0.9/0.95/1/1) and the devices' usable memory (Pi 4 1-2 GB, Nano 4 GB shared).
DEVICES = {
    "raspberry_pi": (0.1, 0.5),
    "jetson_nano": (0.2, 0.6),
    "desktop_pc": (0.4, 1.2),
    "aws_server": (4.0, 40.0),
}
# One format of the weights is enough to run the model; repos often carry several.
WEIGHT_FORMATS = {
    ".safetensors": "safetensors",
    ".bin": "pytorch",
    ".pt": "pytorch",
    ".pth": "pytorch",
    ".ckpt": "pytorch",
    ".h5": "tensorflow",
    ".pb": "tensorflow",
    ".msgpack": "flax",
    ".onnx": "onnx",
    ".tflite": "tflite",
    ".gguf": "gguf",
    ".ot": "rust",
    ".npz": "numpy",
    ".npy": "numpy",
}


def download_bytes(files: list[tuple[str, int]]) -> int:
    """Bytes to download to run the model: its smallest weight format, else every file."""
    groups: dict[str, int] = defaultdict(int)
    for path, size in files:
        fmt = WEIGHT_FORMATS.get(PurePosixPath(path.lower()).suffix)
        if fmt is not None:
            groups[fmt] += size
    if groups:
        return min(groups.values())
    return sum(size for _path, size in files)


def score(size_bytes: int) -> dict[str, float]:
    """Per device: 1 up to its comfortable size, falling linearly to 0 at its limit."""
    gib = size_bytes / GIB
    return {
        device: round(clamp(1 - (gib - low) / (high - low)), 4)
        for device, (low, high) in DEVICES.items()
    }


async def measure(facts: Facts) -> dict[str, float]:
    """size_score of the facts' model."""
    return score(download_bytes([(f.path, f.size) for f in facts.info.files]))
