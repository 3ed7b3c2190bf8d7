"""The license rule table, pair by pair, as docs/licenses.md documents it."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.licenses.catalog import LICENSES, normalise
from registry.licenses.rules import Policy, evaluate

DOC = Path(__file__).resolve().parents[3] / "docs" / "licenses.md"


def documented_pairs() -> list[tuple[str | None, str | None, str, bool, str]]:
    """Rows of the '## Pairs' table: (model, code, policy, verdict, rule); '-' is no license."""
    text = DOC.read_text(encoding="utf-8").split("## Pairs", 1)[1]
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("model", "---"):
            continue
        model, code, policy, verdict, rule = cells
        rows.append(
            (
                None if model == "-" else model,
                None if code == "-" else code,
                policy,
                verdict == "true",
                rule,
            )
        )
    return rows


PAIRS = documented_pairs()


def test_the_documented_table_is_substantial() -> None:
    assert len(PAIRS) >= 40
    assert {rule for *_, rule in PAIRS} == {
        "unknown-license",
        "private-use",
        "no-derivatives",
        "non-commercial",
        "use-restrictions-vs-copyleft",
        "copyleft-conflict",
        "apache-vs-gpl2",
        "copyleft-proliferation",
        "no-conflict",
    }


@pytest.mark.parametrize(("model", "code", "policy", "compatible", "rule"), PAIRS)
def test_documented_pair(
    model: str | None, code: str | None, policy: str, compatible: bool, rule: str
) -> None:
    verdict = evaluate(model, code, Policy(policy))
    assert (verdict.compatible, verdict.rule) == (compatible, rule), verdict.reason


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("apache-2.0", "Apache-2.0"),
        ("Apache-2.0", "Apache-2.0"),
        ("MIT", "MIT"),
        ("GPL-3.0", "GPL-3.0-only"),
        ("gpl-3.0-or-later", "GPL-3.0-only"),
        ("LGPL-2.1", "LGPL-2.1-only"),
        ("AGPL-3.0", "AGPL-3.0-only"),
        ("gfdl", "GFDL-1.3-only"),
        ("creativeml-openrail-m", "CreativeML-OpenRAIL-M"),
        ("openrail++", "OpenRAIL++"),
        ("bigscience-bloom-rail-1.0", "BigScience-BLOOM-RAIL-1.0"),
        ("llama2", "Llama2"),
        ("llama3.1", "Llama3.1"),
        ("Llama-3", "Llama3"),
        ("gemma", "Gemma"),
        ("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"),
        ("CC_BY_SA_4.0", "CC-BY-SA-4.0"),
        ("license:mit", "MIT"),
        (" bsd ", "BSD-3-Clause"),
        ("cc-by-nc-3.0", "CC-BY-NC-3.0"),
    ],
)
def test_normalise(raw: str, canonical: str) -> None:
    lic = normalise(raw)
    assert lic is not None and lic.id == canonical


@pytest.mark.parametrize("raw", [None, "", "other", "unknown", "NOASSERTION", "cc", "x-custom"])
def test_unknown_ids_normalise_to_none(raw: str | None) -> None:
    assert normalise(raw) is None


def test_only_cc_by_sa_4_relicenses_into_gpl() -> None:
    assert "GPL-3.0-only" in LICENSES["CC-BY-SA-4.0"].compat_into
    assert not LICENSES["CC-BY-SA-3.0"].compat_into


def test_obligations_name_use_restrictions_and_copyleft() -> None:
    rail = evaluate("openrail", "MIT", Policy.share)
    assert any("use-based restrictions" in o for o in rail.obligations)
    gpl = evaluate("mit", "GPL-3.0", Policy.share)
    assert any("under GPL-3.0-only" in o for o in gpl.obligations)
    nd = evaluate("cc-by-nd-4.0", "MIT", Policy.personal)
    assert any("do not distribute" in o for o in nd.obligations)
    assert evaluate(None, "MIT", Policy.share).obligations == []


def test_public_domain_needs_no_notice() -> None:
    verdict = evaluate("cc0-1.0", "Unlicense", Policy.sell)
    assert verdict.obligations == []


def test_unknown_reason_names_the_side() -> None:
    assert "code has no license" in evaluate("mit", None, Policy.share).reason
    assert "model license 'other'" in evaluate("other", "MIT", Policy.share).reason


def test_copyleft_whole_picks_the_receiving_license() -> None:
    verdict = evaluate("gpl-3.0", "AGPL-3.0", Policy.share)
    assert "AGPL-3.0-only" in verdict.reason
    reverse = evaluate("agpl-3.0", "GPL-3.0", Policy.share)
    assert reverse.compatible and "AGPL-3.0-only" in reverse.reason
