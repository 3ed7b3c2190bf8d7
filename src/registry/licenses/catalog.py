"""The licenses the check understands, normalised to SPDX-style ids, with the traits the rules
read (after ModelGo's rule files: copyleft, relicensing, NC/ND, use restrictions).

Hand-written because no maintained Python package carries ModelGo's model-licence traits
(OpenRAIL, Llama, Gemma); `license-expression` only knows SPDX syntax, not these properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class License:
    """One license and the traits compatibility depends on."""

    id: str
    family: str  # public-domain | permissive | weak-copyleft | copyleft | content | model
    copyleft: bool = False  # a combined work must adopt this license (strong copyleft)
    weak_copyleft: bool = False  # only changes to the licensed files stay under it
    gpl_like: bool = False  # ModelGo's GPL family: RAIL/Llama terms conflict with it
    non_commercial: bool = False
    no_derivatives: bool = False  # derivatives (a fine-tuned model) must not be shared
    no_share: bool = False  # proprietary: derivatives cannot be relicensed or shared
    use_restrictions: bool = False  # RAIL / Llama / Gemma behavioural use restrictions
    state_changes: bool = False  # modified files must say so
    compat_into: frozenset[str] = field(default_factory=frozenset)  # may be relicensed into


def _lic(id_: str, family: str, **traits: object) -> License:
    return License(id_, family, **traits)  # type: ignore[arg-type]


_GPL3_UP = frozenset({"GPL-3.0-only", "AGPL-3.0-only"})
_LICENSES: list[License] = [
    *(_lic(i, "public-domain") for i in ("CC0-1.0", "PDDL-1.0", "Unlicense", "WTFPL", "0BSD")),
    *(
        _lic(i, "permissive")
        for i in (
            "MIT",
            "BSD-2-Clause",
            "BSD-3-Clause",
            "BSD-3-Clause-Clear",
            "ISC",
            "BSL-1.0",
            "Zlib",
            "PostgreSQL",
            "NCSA",
            "Artistic-2.0",
            "ODC-By-1.0",
            "CDLA-Permissive-1.0",
            "CDLA-Permissive-2.0",
        )
    ),
    *(_lic(i, "permissive", state_changes=True) for i in ("Apache-2.0", "AFL-3.0", "ECL-2.0")),
    _lic(
        "LGPL-2.1-only",
        "weak-copyleft",
        weak_copyleft=True,
        gpl_like=True,
        state_changes=True,
        compat_into=frozenset({"GPL-2.0-only", "GPL-2.0-or-later", *_GPL3_UP}),
    ),
    _lic(
        "LGPL-3.0-only",
        "weak-copyleft",
        weak_copyleft=True,
        gpl_like=True,
        state_changes=True,
        compat_into=_GPL3_UP,
    ),
    _lic(
        "MPL-2.0",
        "weak-copyleft",
        weak_copyleft=True,
        state_changes=True,
        compat_into=frozenset(
            {"GPL-2.0-only", "GPL-2.0-or-later", "LGPL-2.1-only", "LGPL-3.0-only", *_GPL3_UP}
        ),
    ),
    _lic("GPL-2.0-only", "copyleft", copyleft=True, gpl_like=True, state_changes=True),
    _lic(
        "GPL-2.0-or-later",
        "copyleft",
        copyleft=True,
        gpl_like=True,
        state_changes=True,
        compat_into=_GPL3_UP,
    ),
    _lic(
        "GPL-3.0-only",
        "copyleft",
        copyleft=True,
        gpl_like=True,
        state_changes=True,
        compat_into=frozenset({"AGPL-3.0-only"}),
    ),
    _lic("AGPL-3.0-only", "copyleft", copyleft=True, gpl_like=True, state_changes=True),
    # ModelGo: the GFDL is copyleft and incompatible with the GPL.
    _lic("GFDL-1.3-only", "copyleft", copyleft=True, gpl_like=True, state_changes=True),
    _lic("C-UDA-1.0", "content", non_commercial=True),
    _lic("LGPL-LR", "content", copyleft=True, non_commercial=True),
    *(
        _lic(i, "model", use_restrictions=True)
        for i in (
            "OpenRAIL",
            "OpenRAIL++",
            "CreativeML-OpenRAIL-M",
            "BigScience-OpenRAIL-M",
            "BigScience-BLOOM-RAIL-1.0",
            "BigCode-OpenRAIL-M",
        )
    ),
    *(
        _lic(i, "model", use_restrictions=True)
        for i in (
            "Llama2",
            "Llama3",
            "Llama3.1",
            "Llama3.2",
            "Llama3.3",
            "Gemma",
        )
    ),
    *(_lic(i, "model", no_share=True) for i in ("OPT-175B", "SEER")),
]
for _version in ("2.0", "2.5", "3.0", "4.0"):
    for _variant in ("BY", "BY-SA", "BY-NC", "BY-ND", "BY-NC-SA", "BY-NC-ND"):
        _LICENSES.append(
            _lic(
                f"CC-{_variant}-{_version}",
                "content",
                copyleft="SA" in _variant,
                non_commercial="NC" in _variant,
                no_derivatives="ND" in _variant,
                state_changes=True,
                # Only CC-BY-SA-4.0 is one-way compatible with GPLv3 (Creative Commons, 2015).
                compat_into=(
                    _GPL3_UP if _variant == "BY-SA" and _version == "4.0" else frozenset()
                ),
            )
        )

LICENSES: dict[str, License] = {lic.id: lic for lic in _LICENSES}

# Hugging Face card ids and SPDX spellings that differ from the canonical id above.
_ALIASES = {
    "cc0": "CC0-1.0",
    "pddl": "PDDL-1.0",
    "odc-pddl": "PDDL-1.0",
    "odc-pddl-1.0": "PDDL-1.0",
    "bsd": "BSD-3-Clause",
    "odc-by": "ODC-By-1.0",
    "postgresql": "PostgreSQL",
    "apache2": "Apache-2.0",
    "apache": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "lgpl-2.1": "LGPL-2.1-only",
    "lgpl-2.1-or-later": "LGPL-2.1-only",
    "lgpl-3.0": "LGPL-3.0-only",
    "lgpl-3.0-or-later": "LGPL-3.0-only",
    "lgpl": "LGPL-3.0-only",
    "gpl-2.0": "GPL-2.0-only",
    "gpl": "GPL-3.0-only",
    "gpl-3.0": "GPL-3.0-only",
    "gpl-3.0-or-later": "GPL-3.0-only",
    "agpl-3.0": "AGPL-3.0-only",
    "agpl-3.0-or-later": "AGPL-3.0-only",
    "agpl": "AGPL-3.0-only",
    "gfdl": "GFDL-1.3-only",
    "gfdl-1.3": "GFDL-1.3-only",
    "gfdl-1.3-or-later": "GFDL-1.3-only",
    "c-uda": "C-UDA-1.0",
    "lgpl-lr": "LGPL-LR",
    "openrail-m": "OpenRAIL",
    "creativeml-openrail++-m": "OpenRAIL++",
    "bloom-openrail-m": "BigScience-OpenRAIL-M",
    "bigscience-bloom-rail": "BigScience-BLOOM-RAIL-1.0",
    "llama-2": "Llama2",
    "llama2-community": "Llama2",
    "llama-3": "Llama3",
    "llama-3.1": "Llama3.1",
    "llama-3.2": "Llama3.2",
    "llama-3.3": "Llama3.3",
    "opt-175b": "OPT-175B",
    "seer": "SEER",
}
_LOOKUP = {k.lower(): v for k, v in _ALIASES.items()} | {i.lower(): i for i in LICENSES}
# Placeholders meaning "no usable license": the rules treat them as unknown.
UNKNOWN_IDS = frozenset({"", "other", "unknown", "noassertion", "none", "proprietary", "cc"})


def normalise(raw: str | None) -> License | None:
    """The license a card or GitHub id names, or None when it is missing or unknown."""
    if raw is None:
        return None
    text = raw.strip().lower().replace("_", "-").replace(" ", "-")
    text = text.removeprefix("license:")
    if text in UNKNOWN_IDS:
        return None
    canonical = _LOOKUP.get(text)
    return LICENSES[canonical] if canonical else None
