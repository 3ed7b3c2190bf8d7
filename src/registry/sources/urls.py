"""Parse a source URL into the kind of source, its repository id and the name it implies.

    https://huggingface.co/<owner>/<name>[/tree/<rev>/...] -> hf_model   "<owner>/<name>"
    https://huggingface.co/<name>                          -> hf_model   "<name>" (legacy id)
    https://huggingface.co/datasets/<owner>/<name>         -> hf_dataset "<owner>/<name>"
    https://github.com/<owner>/<repo>[.git][/tree/...]     -> github     "<owner>/<repo>"
    any other http(s) URL                                  -> url        (by reference)

GitHub URLs name their artifact "owner-repo"; hub URLs the repository's own name.

The configured endpoints' hosts count as hub / GitHub hosts too, so a registry pointed at a
mirror (or at a test fake) understands URLs written for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from registry.errors import ValidationError
from registry.sources.base import SourceKind

PUBLIC_HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
PUBLIC_GITHUB_HOSTS = frozenset({"github.com", "www.github.com", "api.github.com"})
DEFAULT_MAX_URL_LENGTH = 2048
MAX_NAME_LENGTH = 128

# First path segments of huggingface.co that are site pages, not repository owners.
HF_RESERVED = frozenset(
    "api blog chat collections docs enterprise join learn login models new organizations "
    "papers posts pricing privacy settings spaces tasks terms-of-service".split()
)
# The same for github.com: a URL under these is a page of the site, not a repository.
GITHUB_RESERVED = frozenset(
    "about apps collections enterprise events explore features login marketplace new "
    "notifications orgs organizations pricing pulls issues search settings sponsors topics "
    "trending users".split()
)
# Hub names: letters, digits, '-', '_', '.'; no leading/trailing '-' or '.', no '--' or '..'.
HF_PART = re.compile(r"^(?!.*(--|\.\.))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
GITHUB_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
HF_SUFFIXES = frozenset(
    {"tree", "blob", "resolve", "raw", "commit", "commits", "discussions", "edit"}
)


@dataclass(frozen=True, slots=True)
class ParsedSource:
    """What a source URL names."""

    kind: SourceKind
    repo_id: str  # "owner/name", a legacy hub id, or the URL itself for plain URLs
    default_name: str
    canonical_url: str
    revision: str | None = None  # hub revision from /tree/<rev>, /blob/<rev>, /resolve/<rev>


def host_of(url: str) -> str:
    """The lowercase host[:port] of an endpoint URL, as parse_source_url matches it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def keyboard_name(text: str, fallback: str) -> str:
    """Reduce text to printable ASCII without spaces, capped; the fallback when nothing is left."""
    cleaned = "".join(c if "!" <= c <= "~" else "-" if c.isspace() else "" for c in text)
    cleaned = cleaned.strip("-")[:MAX_NAME_LENGTH]
    return cleaned or fallback


def _split(url: str, max_length: int) -> SplitResult:
    if not url:
        raise ValidationError("url must not be empty")
    if len(url) > max_length:
        raise ValidationError(f"url is longer than {max_length} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValidationError("url must not contain control characters")
    if any(c.isspace() for c in url):
        raise ValidationError("url must not contain spaces (percent-encode them)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ValidationError(f"url is malformed: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("url must use http or https")
    if not parts.hostname:
        raise ValidationError("url must name a host")
    if parts.username is not None or parts.password is not None:
        # Credentials in a stored URL would leak to every reader of the artifact.
        raise ValidationError("url must not carry credentials")
    return parts


def _matches(parts: SplitResult, hosts: frozenset[str]) -> bool:
    host = (parts.hostname or "").lower()
    return host in hosts or (parts.port is not None and f"{host}:{parts.port}" in hosts)


def _segments(path: str) -> list[str]:
    return [unquote(s) for s in path.split("/") if s]


def _revision(rest: list[str]) -> str | None:
    """The revision after /tree/, /blob/ or /resolve/; refs/pr/N spans three segments."""
    if len(rest) < 2 or rest[0] not in ("tree", "blob", "resolve", "raw", "commit"):
        return None
    if rest[1] == "refs" and len(rest) >= 4:
        return "/".join(rest[1:4])
    return rest[1]


def _parse_hf(parts: SplitResult) -> ParsedSource | None:
    segments = _segments(parts.path)
    if segments[:2] in (["api", "models"], ["api", "datasets"]):
        segments = segments[1:]  # an API URL names the same repository as the page
    kind: SourceKind = "hf_model"
    if segments and segments[0] in ("datasets", "models"):
        kind = "hf_dataset" if segments[0] == "datasets" else "hf_model"
        segments = segments[1:]
    if not segments or (segments[0] in HF_RESERVED and kind == "hf_model"):
        return None  # a page of the site, not a repository
    # Two segments unless the second one starts the in-repo part (a legacy one-segment id).
    size = 1 if len(segments) == 1 or segments[1] in HF_SUFFIXES else 2
    repo_parts, rest = segments[:size], segments[size:]
    if not all(HF_PART.match(p) for p in repo_parts):
        raise ValidationError(
            f"'{'/'.join(repo_parts)[:200]}' is not a valid Hugging Face repository id"
        )
    repo_id = "/".join(repo_parts)
    prefix = "datasets/" if kind == "hf_dataset" else ""
    canonical = f"{parts.scheme.lower()}://{parts.netloc.lower()}/{prefix}{repo_id}"
    return ParsedSource(kind, repo_id, repo_parts[-1], canonical, _revision(rest))


def _parse_github(parts: SplitResult) -> ParsedSource | None:
    segments = _segments(parts.path)
    if segments[:1] == ["repos"]:
        segments = segments[1:]  # an API URL: /repos/<owner>/<repo>
    if len(segments) < 2 or segments[0].lower() in GITHUB_RESERVED:
        return None  # a user page or a page of the site
    owner, repo = segments[0], segments[1].removesuffix(".git")
    if not GITHUB_OWNER.match(owner) or not GITHUB_REPO.match(repo) or repo in (".", ".."):
        raise ValidationError(f"'{owner[:100]}/{repo[:100]}' is not a valid GitHub repository")
    host = "github.com" if parts.hostname == "api.github.com" else parts.netloc.lower()
    canonical = f"{parts.scheme.lower()}://{host}/{owner}/{repo}"
    return ParsedSource("github", f"{owner}/{repo}", f"{owner}-{repo}", canonical)


def parse_source_url(
    url: str,
    *,
    hf_hosts: Iterable[str] = (),
    github_hosts: Iterable[str] = (),
    max_length: int = DEFAULT_MAX_URL_LENGTH,
) -> ParsedSource:
    """Classify a URL; raise ValidationError for anything that is not a usable http(s) URL."""
    url = url.strip()
    parts = _split(url, max_length)
    hf = PUBLIC_HF_HOSTS | {h.lower() for h in hf_hosts}
    github = PUBLIC_GITHUB_HOSTS | {h.lower() for h in github_hosts}
    parsed: ParsedSource | None = None
    if _matches(parts, hf):
        parsed = _parse_hf(parts)
    elif _matches(parts, github):
        parsed = _parse_github(parts)
    if parsed is not None:
        return parsed
    host = (parts.hostname or "").lower()
    segments = _segments(parts.path)
    name = keyboard_name(segments[-1] if segments else host, host)
    canonical = parts._replace(
        scheme=parts.scheme.lower(), netloc=parts.netloc.lower(), fragment=""
    )
    return ParsedSource("url", url, name, canonical.geturl())
