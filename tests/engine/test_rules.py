"""Every rule has a case where it fires and one where it does not (content/cases/rules.md)."""

from __future__ import annotations

from typing import Any

import pytest
from rule_cases import load_cases, load_profiles
from spec_oracle import decision, expected, full_pass

from screenplan.engine import build_plan, load_content, simulate
from screenplan.engine.conditions import references

CONTENT = load_content()
CASES = load_cases(CONTENT)
GATES = {g.rule.id: g for g in CONTENT.gate_rules}
STOPS = {r.id: r for r in CONTENT.stop}
CURTAIL = CONTENT.curtail_rule.id
RELEVANCE = CONTENT.relevance_rule.id


def all_rule_ids() -> list[str]:
    return [r.id for r in CONTENT.rules()] + list(GATES) + list(STOPS) + [CURTAIL, RELEVANCE]


def fires(rule_id: str, answers: dict[str, Any]) -> bool:
    """Run the case through the adaptive flow and as a full pass; both must agree."""
    run = simulate(CONTENT, answers)
    asked = run["asked"]
    full = build_plan(CONTENT, full_pass(answers))
    assert run["plan"]["rules_fired"] == full["rules_fired"]
    if rule_id in GATES:
        gated = GATES[rule_id].items
        opened = gated[0] in asked
        assert opened or not set(gated) & set(asked), f"{rule_id}: some of {gated} asked while the gate is closed"
        return opened
    if rule_id in STOPS:
        read = [ref for kind, ref in references(STOPS[rule_id].when) if kind == "item"]
        return asked[-1] in read
    if rule_id in (CURTAIL, RELEVANCE):  # fires: the flow leaves out a question the full pass answers
        left_out = [i for i in full_pass(answers) if i not in asked]
        curtailed = [i for i in left_out if CONTENT.items[i].instrument in CONTENT.curtail]
        return bool(curtailed) if rule_id == CURTAIL else bool(set(left_out) & CONTENT.relevance)
    return rule_id in full["rules_fired"]


def test_every_rule_has_exactly_one_row() -> None:
    ids = all_rule_ids()
    assert len(ids) == len(set(ids)), "two rules share an id"
    missing = [i for i in ids if i not in CASES]
    unknown = [i for i in CASES if i not in ids]
    assert (missing, unknown) == ([], [])


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_the_rule_fires_in_its_fires_case(rule_id: str) -> None:
    assert fires(rule_id, CASES[rule_id].fires) is True


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_the_rule_does_not_fire_in_its_other_case(rule_id: str) -> None:
    assert fires(rule_id, CASES[rule_id].does_not_fire) is False


@pytest.mark.parametrize("case", [c for r in sorted(CASES) for c in (CASES[r].fires, CASES[r].does_not_fire)])
def test_every_case_plan_matches_the_clinical_spec(case: dict[str, Any]) -> None:
    assert decision(build_plan(CONTENT, full_pass(case))) == expected(case)


def test_the_profiles_mean_what_the_cases_file_says() -> None:
    profiles = load_profiles(CONTENT)
    assert list(profiles) == ["low", "drinker", "integrated"]
    low, drinker, integrated = profiles.values()
    assert set(low) == set(CONTENT.items) - {"drug_kinds"}, "low answers every question but drug_kinds"
    assert decision(build_plan(CONTENT, full_pass(low)))["pathway"]["primary"] == "wellbeing"
    plan = build_plan(CONTENT, full_pass(drinker))
    assert (plan["audit_zone"], plan["intervention_zone"], plan["auditc"]["total"]) == ("III", "III", 7)
    assert plan["medicines"] == {"naltrexone": "consider", "acamprosate": "consider", "ketamine": "not_indicated"}
    plan = build_plan(CONTENT, full_pass(integrated))
    assert (plan["audit_zone"], plan["intervention_zone"], plan["scores"]["phq9"]["total"]) == ("II", "II", 10)
    assert plan["pathway"] == {
        "primary": "integrated",
        "eligibility": "candidate",
        "also": ["depression_care", "brief_alcohol"],
    }
