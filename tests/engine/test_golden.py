"""Every row of the golden tables in `screenplan/content/cases/` through `build_plan`, exactly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from golden_cases import Case, expand, overrides, read_cases

import screenplan
from screenplan.engine import build_plan, load_content, simulate

CASES_DIR = Path(screenplan.__file__).parent / "content" / "cases"
TABLES = ("phq9.md", "gad7.md", "audit.md", "pcptsd5.md", "asq.md")
CASES = [case for name in TABLES for case in read_cases(CASES_DIR / name)]
NOT_ASSESSED = "not assessed"

Plan = dict[str, Any]
COLUMNS: dict[str, Callable[[Plan, str], Any]] = {
    "total": lambda plan, inst: plan["scores"][inst]["total"],
    "band": lambda plan, inst: plan["scores"][inst]["band"],
    "AUDIT-C": lambda plan, _: plan["auditc"]["total"],
    "zone": lambda plan, _: plan["audit_zone"],
    "intervention zone": lambda plan, _: plan["intervention_zone"],
    "safety": lambda plan, _: plan["safety"]["level"],
    "priority": lambda plan, _: plan["priority"],
    "findings": lambda plan, _: set(plan["findings"]),
}


def expected_value(column: str, cell: str) -> Any:
    if column == "findings":
        return set() if cell == "—" else set(cell.split(", "))
    if cell == NOT_ASSESSED:
        return None
    return int(cell) if cell.isdigit() else cell


def expectations(case: Case) -> dict[str, Any]:
    return {col: expected_value(col, cell) for col, cell in case.expected.items()}


@pytest.fixture(scope="module")
def content():
    return load_content()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_plan_matches_the_golden_row(content, case):
    plan = build_plan(content, expand(case.answers))
    expected = expectations(case)
    actual = {col: COLUMNS[col](plan, case.instrument) for col in expected}
    assert actual == expected
    score = plan["scores"][case.instrument]
    if expected["total"] is not None:  # full answers: an exact total, never a bound
        assert (score["complete"], score["bound"]) == (True, None)
    if case.instrument == "audit":
        assert score["band"] == plan["audit_zone"]
        assert plan["auditc"]["positive"] is ("auditc_positive" in expected["findings"])


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_shortened_flow_decides_like_the_full_answers(content, case):
    # clinical spec §3 rule 4: curtailment never changes a decision
    full = build_plan(content, expand(case.answers))
    short = simulate(content, expand(case.answers))["plan"]
    keys = ("findings", "safety", "intervention_zone", "medicines", "pathway", "priority", "checks")
    assert {k: short[k] for k in keys} == {k: full[k] for k in keys}


def column_values(table: str, column: str, where: Callable[[Case], bool] = lambda c: True) -> set[Any]:
    return {expected_value(column, c.expected[column]) for c in CASES if c.file == table and where(c)}


def sex(case: Case) -> str:
    return overrides(case.answers).get("sex", "female")


@pytest.mark.parametrize(
    ("table", "column", "where", "needed"),
    [
        ("phq9.md", "total", None, {0, 4, 5, 9, 10, 14, 15, 19, 20, 27}),
        ("phq9.md", "band", None, {"minimal", "mild", "moderate", "moderately_severe", "severe"}),
        ("gad7.md", "total", None, {0, 4, 5, 9, 10, 14, 15, 21}),
        ("gad7.md", "band", None, {"minimal", "mild", "moderate", "severe"}),
        ("audit.md", "AUDIT-C", "female", {2, 3}),
        ("audit.md", "AUDIT-C", "other", {2, 3}),
        ("audit.md", "AUDIT-C", "male", {3, 4}),
        ("audit.md", "total", None, {7, 8, 15, 16, 19, 20, 40, None}),
        ("audit.md", "intervention zone", None, {"I", "II", "III", "IV", None}),
        ("pcptsd5.md", "total", None, {0, 2, 3, 5}),
        ("asq.md", "safety", None, {"none", "non_acute", "acute"}),
    ],
)
def test_the_tables_cover_both_sides_of_every_cut_off(table, column, where, needed):
    chosen = column_values(table, column, (lambda c: sex(c) == where) if where else (lambda c: True))
    assert needed <= chosen


def test_every_zone_raise_reason_has_a_row_where_it_raises_and_one_where_it_does_not():
    raised, not_raised = set(), set()
    for case in CASES:
        if case.file != "audit.md" or case.expected["zone"] == NOT_ASSESSED:
            continue
        given = overrides(case.answers)
        reasons = {f"audit_{n}" for n in (4, 5, 6) if given[f"audit_{n}"] >= 2}
        reasons |= {f"audit_{n}" for n in (9, 10) if given[f"audit_{n}"] == 4}
        up = case.expected["zone"] != case.expected["intervention zone"]
        if len(reasons) == 1 and up:
            raised |= reasons
        near = {f"audit_{n}" for n in (4, 5, 6) if given[f"audit_{n}"] == 1}
        near |= {f"audit_{n}" for n in (9, 10) if given[f"audit_{n}"] == 2}
        if not reasons and not up:
            not_raised |= near
    every = {"audit_4", "audit_5", "audit_6", "audit_9", "audit_10"}
    assert (raised, not_raised) == (every, every)


def test_a_row_cannot_answer_a_question_the_flow_skips():
    with pytest.raises(ValueError, match="does not ask"):
        expand("audit=1,1,0,0,0,0,0,0,0,0")  # AUDIT-C 2: questions 4-10 are not asked


def test_a_row_must_answer_every_question_the_flow_asks():
    with pytest.raises(ValueError, match=r"must also answer \['asq_5'\]"):
        expand("asq=yes,no,no,no")


def test_a_row_fills_the_rest_from_the_low_risk_base_profile():
    answers = expand("pcptsd5_0=yes pcptsd5=yes,yes,yes,no,no")
    assert (answers["pcptsd5_3"], answers["pcptsd5_4"], answers["phq9_9"], answers["audit_1"]) == ("yes", "no", 0, 0)
    assert "audit_2" not in answers and "asq_5" not in answers and "drug_kinds" not in answers
