"""Scoring answers that are not a full pass (imports, research rows)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spec_oracle import ASQ_1_4, POSITIVE, full_pass, safety_level
from test_properties import full_answers

from screenplan.engine import EngineError, decide, load_content, score_answers

CONTENT = load_content()
SAFETY = ["phq9_9", *ASQ_1_4, "asq_5"]


def test_it_scores_phq9_alone_and_names_what_a_plan_still_needs() -> None:
    result = score_answers(CONTENT, {f"phq9_{i}": 1 for i in range(1, 10)})
    assert result["scores"]["phq9"] == {
        "total": 9,
        "bound": None,
        "band": "mild",
        "complete": True,
        "items_answered": 9,
    }
    assert result["findings"] == []
    assert "depression" not in result["undetermined"] and "anxiety" in result["undetermined"]
    assert result["missing"][:3] == ["age", "audit_1", "drug_use_year"]  # audit_2 waits on audit_1
    assert "audit_4" not in result["missing"]  # behind a gate the missing answers decide


def test_it_decides_a_finding_from_a_partial_instrument_when_no_answer_could_change_it() -> None:
    result = score_answers(CONTENT, {"gad7_1": 3, "gad7_2": 3, "gad7_3": 3, "gad7_4": 1})
    assert result["findings"] == ["anxiety"]
    assert result["scores"]["gad7"]["bound"] == ">= 10"
    assert result["scores"]["gad7"]["total"] is None


def test_auditc_alone_with_the_who_skip_scores_zero() -> None:
    result = score_answers(CONTENT, {"audit_1": 0, "sex": "female"})
    assert result["findings"] == []
    assert "auditc_positive" not in result["undetermined"]


def test_it_refuses_unknown_items_and_bad_values() -> None:
    with pytest.raises(EngineError):
        score_answers(CONTENT, {"phq9_10": 1})
    with pytest.raises(EngineError):
        score_answers(CONTENT, {"phq9_1": 4})


def test_a_full_pass_needs_nothing_more() -> None:
    from tests.web.profiles import INTEGRATED

    assert score_answers(CONTENT, INTEGRATED)["missing"] == []


# --- safety: the screen's rules (clinical-spec §6) on whatever answers there are -------------


def test_item_9_nearly_every_day_with_a_total_of_3_is_minimal_but_non_acute() -> None:
    result = score_answers(CONTENT, {**{f"phq9_{i}": 0 for i in range(1, 9)}, "phq9_9": 3})
    assert (result["scores"]["phq9"]["total"], result["scores"]["phq9"]["band"]) == (3, "minimal")
    assert result["findings"] == []
    assert result["safety"] == {
        "level": "non_acute",
        "complete": False,  # the ASQ was not asked: acute risk is not ruled out
        "answered": ["phq9_9"],
        "missing": ["asq_1", "asq_2", "asq_3", "asq_4", "asq_5"],
    }


def test_without_any_safety_question_the_level_is_not_assessed_rather_than_none() -> None:
    for answers in ({"gad7_1": 0}, {"audit_1": 0, "sex": "female"}, {f"phq9_{i}": 0 for i in range(1, 9)}, {}):
        safety = score_answers(CONTENT, answers)["safety"]
        assert (safety["level"], safety["complete"], safety["answered"]) == (None, False, []), answers


def test_none_needs_every_safety_rule_decided() -> None:
    assert score_answers(CONTENT, {"phq9_9": 0})["safety"]["level"] is None  # the ASQ could still raise it
    no_asq = {"phq9_9": 0, **{f"asq_{n}": "no" for n in range(1, 5)}}
    assert score_answers(CONTENT, no_asq)["safety"] == {
        "level": "none",
        "complete": True,
        "answered": ["phq9_9", "asq_1", "asq_2", "asq_3", "asq_4"],
        "missing": [],  # asq_5 is asked only after a yes
    }


def test_the_acuity_question_makes_it_acute_and_declining_counts_as_yes() -> None:
    assert score_answers(CONTENT, {"asq_2": "decline"})["safety"]["level"] == "non_acute"
    acute = score_answers(CONTENT, {"asq_2": "decline", "asq_5": "decline"})["safety"]
    assert (acute["level"], acute["complete"]) == ("acute", True)


@settings(max_examples=250, deadline=None)
@given(full_answers(), st.data())
def test_a_partial_level_never_overstates_and_when_complete_is_the_screens(a: dict[str, Any], data: Any) -> None:
    """Any subset of an adult's answers: the level is a floor of the screen's, exact when complete."""
    full = full_pass({**a, "age": max(a["age"], 18)})
    safety_keys = data.draw(st.sets(st.sampled_from([k for k in SAFETY if k in full])))
    other_keys = data.draw(st.sets(st.sampled_from(sorted(set(full) - set(SAFETY)))))
    keys = safety_keys | other_keys | ({"sex"} if "health" in other_keys else set())  # "pregnant" needs sex
    part = {k: full[k] for k in full if k in keys}
    got = score_answers(CONTENT, part)["safety"]
    truth = safety_level(full)
    levels = CONTENT.safety_levels
    if got["level"] is not None:
        assert levels.index(got["level"]) <= levels.index(truth)
    if got["complete"]:
        assert got["level"] == truth
    if part.get("phq9_9", 0) >= 1 or any(part.get(i) in POSITIVE for i in ASQ_1_4):
        assert got["level"] in ("non_acute", "acute")
    if got["level"] == "none":
        assert {"phq9_9", *ASQ_1_4} <= set(part)
    assert got["answered"] == [k for k in SAFETY if k in part]


@settings(max_examples=150, deadline=None)
@given(full_answers())
def test_a_full_pass_gets_the_plans_safety_level(a: dict[str, Any]) -> None:
    full = full_pass({**a, "age": max(a["age"], 18)})
    got = score_answers(CONTENT, full)["safety"]
    assert (got["level"], got["complete"]) == (decide(CONTENT, full).safety, True)


# --- AUDIT-C: the total, and the finding by sex from audit.yaml ------------------------------


def test_auditc_total_and_the_sex_specific_finding() -> None:
    three = {"audit_1": 2, "audit_2": 1, "audit_3": 0}
    assert score_answers(CONTENT, {**three, "sex": "male"})["auditc"] == {
        "total": 3,
        "complete": True,
        "positive": False,
    }
    assert score_answers(CONTENT, {**three, "sex": "female"})["auditc"]["positive"] is True
    unknown = score_answers(CONTENT, three)["auditc"]
    assert (unknown["total"], unknown["positive"]) == (3, None)
    assert unknown["positive_if"] == {"sex": {"female": True, "male": False, "other": True}}


def test_auditc_without_its_three_items_has_no_total() -> None:
    got = score_answers(CONTENT, {"audit_1": 1, "audit_3": 1, "sex": "male"})["auditc"]
    assert got == {"total": None, "complete": False, "positive": None}  # 2 to 6: either side of 4
    decided = score_answers(CONTENT, {"audit_1": 3, "audit_3": 1, "sex": "male"})["auditc"]
    assert decided == {"total": None, "complete": False, "positive": True}  # at least 4 whatever item 2 says
    assert score_answers(CONTENT, {"audit_1": 0})["auditc"] == {"total": 0, "complete": True, "positive": False}
