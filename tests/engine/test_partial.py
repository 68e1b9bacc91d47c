"""Scoring answers that are not a full pass (imports, research rows)."""

from __future__ import annotations

import pytest

from screenplan.engine import EngineError, load_content, score_answers

CONTENT = load_content()


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
