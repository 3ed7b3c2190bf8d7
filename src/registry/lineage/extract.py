"""Pure lineage extraction: which parents (base models, datasets, code) an artifact's stored
metadata names, in the order Hugging Face's model tree defines them.

Order for base models (the first signal that names a usable parent wins):
card `base_model` (+ `base_model_relation`), PEFT `adapter_config.json`
`base_model_name_or_path`, transformers `config.json` `_name_or_path`, diffusers
`model_index.json` `_name_or_path`. Datasets come from the card's `datasets`; code from GitHub
repository links in the card text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from registry.db.models import ArtifactRow
from registry.sources.urls import GITHUB_RESERVED, HF_PART

RELATIONS = frozenset({"adapter", "merge", "quantized", "finetune"})
MAX_PARENTS = 20  # per kind: a card listing hundreds of bases is noise, not lineage
MAX_CODE_LINKS = 5
_HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
_GITHUB_LINK = re.compile(
    r"https?://(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})"
)
# Extra flags the Hugging Face adapter sets when a metadata file could not be parsed.
_INVALID_FLAGS = {
    "config_invalid": "config.json is not a valid JSON object",
    "adapter_config_invalid": "adapter_config.json is not a valid JSON object",
    "model_index_invalid": "model_index.json is not a valid JSON object",
    "card_metadata_invalid": "the model card's YAML metadata block is malformed",
}


@dataclass(frozen=True, slots=True)
class ParentRef:
    """A parent named by metadata, identified by a reference key until it is registered."""

    kind: str  # model | dataset | code
    ref: str  # repo id as found ("google-bert/bert-base-uncased")
    relationship: str  # base_model | training_dataset | linked_code
    relation: str | None  # finetune | adapter | merge | quantized (models only)
    source: str  # model_card | adapter_config | config_json | model_index | card_text

    @property
    def key(self) -> str:
        """The reference key a registered artifact must answer to."""
        return reference_key(SOURCE_KIND_OF[self.kind], self.ref)


@dataclass(slots=True)
class Extraction:
    """What one artifact's metadata says about its parents, and what was unreadable."""

    parents: list[ParentRef] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


SOURCE_KIND_OF = {"model": "hf_model", "dataset": "hf_dataset", "code": "github"}


def reference_key(source_kind: str, repo_id: str) -> str:
    """Key of a repository reference: hub and GitHub ids compare case-insensitively."""
    return f"{source_kind}:{repo_id.strip().lower()}"


def artifact_keys(row: ArtifactRow) -> list[str]:
    """Every reference key a registered artifact answers to (its repo id and known aliases)."""
    if row.source_kind not in ("hf_model", "hf_dataset", "github"):
        return []
    ids = {row.source_ref}
    requested = (row.extra or {}).get("requested_repo_id")
    if isinstance(requested, str) and requested:
        ids.add(requested)  # a legacy id ("bert-base-uncased") the hub redirected
    return sorted({reference_key(row.source_kind, i) for i in ids if i})


def hub_repo_id(value: Any, *, dataset: bool = False, require_owner: bool = False) -> str | None:
    """Normalise a hub reference (id or hub URL) to "owner/name"; None for paths and junk."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 300:
        return None
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        if (parts.hostname or "").lower() not in _HF_HOSTS:
            return None
        segments = [s for s in parts.path.split("/") if s]
        prefix = "datasets" if dataset else "models"
        if segments[:1] == [prefix]:
            segments = segments[1:]
        elif segments[:1] in (["datasets"], ["spaces"]):
            return None  # a dataset URL where a model is expected, or a Space
        segments = segments[:2]
    else:
        # A local checkpoint path ("./out", "/ckpt", "C:\\x") is not a hub id.
        if text.startswith((".", "/", "~")) or "\\" in text or ":" in text:
            return None
        segments = text.split("/")
    if not 1 <= len(segments) <= 2 or not all(HF_PART.match(s) for s in segments):
        return None
    if require_owner and len(segments) != 2:
        return None
    return "/".join(segments)


def malformed(row: ArtifactRow) -> list[str]:
    """Problems with the stored metadata that make a lineage graph unreliable."""
    extra = row.extra or {}
    return [message for flag, message in _INVALID_FLAGS.items() if extra.get(flag)]


def _own_ids(row: ArtifactRow) -> set[str]:
    ids = {row.source_ref.lower()}
    requested = (row.extra or {}).get("requested_repo_id")
    if isinstance(requested, str):
        ids.add(requested.lower())
    return ids


def _card_bases(card: dict[str, Any], problems: list[str]) -> list[str]:
    value = card.get("base_model")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items[:MAX_PARENTS]:
        repo = hub_repo_id(item)
        if repo is None:
            problems.append(f"model card base_model entry {str(item)[:80]!r} is not a hub id")
        else:
            ids.append(repo)
    return ids


def _relation(row: ArtifactRow, card: dict[str, Any], bases: list[str], source: str) -> str:
    declared = card.get("base_model_relation")
    if isinstance(declared, str) and declared.strip().lower() in RELATIONS:
        return declared.strip().lower()
    # The hub's own inference when the card is silent: several bases merge, adapter files
    # adapt, GGUF files or a quantization config quantize, anything else fine-tunes.
    if len(bases) > 1:
        return "merge"
    if source == "adapter_config" or isinstance((row.extra or {}).get("adapter_config"), dict):
        return "adapter"
    config = row.config or {}
    gguf = any(str(f.get("path", "")).lower().endswith(".gguf") for f in row.files or [])
    if gguf or "quantization_config" in config:
        return "quantized"
    return "finetune"


def _base_models(row: ArtifactRow, problems: list[str]) -> tuple[list[str], str]:
    card = row.card_data or {}
    bases = _card_bases(card, problems)
    if bases:
        return bases, "model_card"
    extra = row.extra or {}
    candidates: list[tuple[Any, str]] = []
    adapter = extra.get("adapter_config")
    if isinstance(adapter, dict):
        candidates.append((adapter.get("base_model_name_or_path"), "adapter_config"))
    if isinstance(row.config, dict):
        candidates.append((row.config.get("_name_or_path"), "config_json"))
    index = extra.get("model_index")
    if isinstance(index, dict):
        candidates.append((index.get("_name_or_path"), "model_index"))
    own = _own_ids(row)
    for value, source in candidates:
        # Files record where weights were loaded from: often a local dir or the model itself.
        repo = hub_repo_id(value, require_owner=True)
        if repo is not None and repo.lower() not in own:
            return [repo], source
    return [], ""


def _datasets(card: dict[str, Any], problems: list[str]) -> list[str]:
    value = card.get("datasets")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items[:MAX_PARENTS]:
        repo = hub_repo_id(item, dataset=True)
        if repo is None:
            problems.append(f"model card datasets entry {str(item)[:80]!r} is not a hub id")
        else:
            ids.append(repo)
    return ids


def _code_links(text: str) -> list[str]:
    found: list[str] = []
    for owner, repo in _GITHUB_LINK.findall(text or ""):
        repo = repo.removesuffix(".git").rstrip(".")
        repo_id = f"{owner}/{repo}"
        if owner.lower() in GITHUB_RESERVED or not repo:
            continue
        if repo_id.lower() not in {f.lower() for f in found}:
            found.append(repo_id)
        if len(found) >= MAX_CODE_LINKS:
            break
    return found


def extract(row: ArtifactRow) -> Extraction:
    """Parents named by a model's stored metadata (datasets and code have none)."""
    result = Extraction(problems=malformed(row))
    if row.type != "model":
        return result
    card = row.card_data or {}
    if not isinstance(card, dict):
        result.problems.append("the model card metadata is not a mapping")
        return result
    bases, source = _base_models(row, result.problems)
    relation = _relation(row, card, bases, source) if bases else None
    own = _own_ids(row)
    seen: set[str] = set()
    refs = [
        *(ParentRef("model", b, "base_model", relation, source) for b in bases),
        *(
            ParentRef("dataset", d, "training_dataset", None, "model_card")
            for d in _datasets(card, result.problems)
        ),
        *(
            ParentRef("code", c, "linked_code", None, "card_text")
            for c in _code_links(row.card_text)
        ),
    ]
    for ref in refs:
        if ref.key not in seen and (ref.kind != "model" or ref.ref.lower() not in own):
            seen.add(ref.key)
            result.parents.append(ref)
    return result
