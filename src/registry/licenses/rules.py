"""The compatibility rules: a model license M and a code license C, for fine-tuning the model
(with the code as a tool) and serving it together with the code, under a release policy.

Rules are tried in order; the first that decides wins (docs/licenses.md has the table):

1. unknown-license     M or C missing / unknown                          -> incompatible
2. private-use         policy `personal`: nothing is distributed         -> compatible
3. no-derivatives      M is ND or proprietary (OPT-175B, SEER)           -> incompatible
4. non-commercial      policy `sell` and M or C is non-commercial        -> incompatible
5. use-restrictions-vs-copyleft  RAIL/Llama/Gemma with the GPL family    -> incompatible
6. copyleft-conflict   a strong copyleft side and another license that cannot be relicensed
                       into it (another copyleft, NC, RAIL, ...)         -> incompatible
7. apache-vs-gpl2      Apache-2.0 with GPL-2.0-only                      -> incompatible
8. copyleft-proliferation  one copyleft the other can join               -> compatible
9. no-conflict         otherwise                                         -> compatible
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from registry.licenses.catalog import License, normalise


class Policy(StrEnum):
    """How the fine-tuned model is released (ModelGo's release policies)."""

    personal = "personal"  # used privately: nothing leaves the company
    share = "share"  # the fine-tuned model and the code are distributed, not sold
    sell = "sell"  # distributed commercially


@dataclass(slots=True)
class Verdict:
    """The answer and why: the deciding rule, a reason, and what the user must do."""

    compatible: bool
    rule: str
    reason: str
    policy: Policy
    model_license: str | None
    code_license: str | None
    obligations: list[str] = field(default_factory=list)


def _obligations(m: License, c: License, policy: Policy) -> list[str]:
    """What using the pair requires, whichever rule decided."""
    out: list[str] = []
    for role, lic in (("model", m), ("code", c)):
        if lic.family != "public-domain":
            out.append(f"include the {lic.id} license text and notices of the {role}")
        if lic.state_changes and policy != Policy.personal:
            out.append(f"state the changes made to the {lic.id} {role}")
        if lic.non_commercial:
            out.append(f"non-commercial use only ({lic.id} {role})")
        if lic.use_restrictions:
            out.append(
                f"carry the {lic.id} use-based restrictions into the fine-tuned model's terms "
                "and obey them when serving it"
            )
        if lic.id.startswith("Llama"):
            out.append(
                "follow Meta's Acceptable Use Policy, display 'Built with Llama', and get a "
                "license from Meta above 700 million monthly active users"
            )
        if lic.id == "Gemma":
            out.append("follow the Gemma Prohibited Use Policy")
        if lic.weak_copyleft and policy != Policy.personal:
            out.append(f"publish the source of changes to the {lic.id} {role} under {lic.id}")
        if (lic.no_derivatives or lic.no_share) and role == "model":
            out.append(f"do not distribute the fine-tuned model ({lic.id})")
    return out


def _relicensable(other: License, copyleft: License) -> bool:
    """Can `other` become part of a whole released under the strong copyleft license?"""
    if copyleft.id in other.compat_into:
        return True
    if other.weak_copyleft or other.non_commercial or other.use_restrictions:
        return False  # another copyleft, or restrictions the copyleft forbids adding
    if other.no_derivatives or other.no_share:
        return False
    return other.family in ("public-domain", "permissive", "weak-copyleft")


def evaluate(model_license: str | None, code_license: str | None, policy: Policy) -> Verdict:
    """Decide whether the model and the code may be used together under the policy."""
    m, c = normalise(model_license), normalise(code_license)

    def verdict(ok: bool, rule: str, reason: str) -> Verdict:
        obligations = _obligations(m, c, policy) if m and c else []
        return Verdict(
            ok, rule, reason, policy, m.id if m else None, c.id if c else None, obligations
        )

    if m is None or c is None:
        missing = [
            f"{role} license {raw!r}" if raw else f"{role} has no license"
            for role, raw, lic in (("model", model_license, m), ("code", code_license, c))
            if lic is None
        ]
        return verdict(
            False,
            "unknown-license",
            "unknown or missing licenses grant no rights: " + ", ".join(missing),
        )
    if policy == Policy.personal:
        return verdict(
            True,
            "private-use",
            f"{m.id} and {c.id} both grant use and modification; nothing is "
            "distributed, so no copyleft or sharing terms are triggered",
        )
    if m.no_derivatives or m.no_share:
        return verdict(
            False,
            "no-derivatives",
            f"{m.id} forbids sharing a model derived from it, and a fine-tuned "
            "model is a derivative",
        )
    if policy == Policy.sell and (m.non_commercial or c.non_commercial):
        nc = m if m.non_commercial else c
        return verdict(False, "non-commercial", f"{nc.id} reserves commercial use")
    for a, b in ((m, c), (c, m)):
        if a.use_restrictions and b.gpl_like:
            return verdict(
                False,
                "use-restrictions-vs-copyleft",
                f"{a.id}'s use restrictions are further restrictions that {b.id} "
                "forbids on a combined work",
            )
    strong = [lic for lic in (m, c) if lic.copyleft]
    if len(strong) == 2 and not (m.id == c.id or c.id in m.compat_into or m.id in c.compat_into):
        return verdict(
            False,
            "copyleft-conflict",
            f"{m.id} and {c.id} are different copyleft licenses and neither can "
            "be relicensed into the other (at most one copyleft per work)",
        )
    if len(strong) == 1:
        other = c if strong[0] is m else m
        if not _relicensable(other, strong[0]):
            return verdict(
                False,
                "copyleft-conflict",
                f"{strong[0].id} requires the combined work to be released under "
                f"it, and {other.id} cannot be relicensed that way",
            )
    ids = {m.id, c.id}
    if "Apache-2.0" in ids and "GPL-2.0-only" in ids:
        return verdict(
            False,
            "apache-vs-gpl2",
            "Apache-2.0's patent and indemnity terms are incompatible with GPL-2.0-only",
        )
    if strong:
        target = _whole_license(m, c)
        result = verdict(
            True, "copyleft-proliferation", f"the combined work can be released under {target}"
        )
        result.obligations.append(
            f"release the fine-tuned model and code together under {target} with their source"
        )
        return result
    return verdict(
        True,
        "no-conflict",
        f"{m.id} and {c.id} allow fine-tuning and serving together, under the obligations listed",
    )


def _whole_license(m: License, c: License) -> str:
    """The license a combined work ends up under when a copyleft side proliferates."""
    if m.copyleft and c.copyleft and m.id != c.id:
        return c.id if c.id in m.compat_into else m.id
    return m.id if m.copyleft else c.id
