"""223 real PHQ-9 / GAD-7 answer sets (tests/data/ukm-students-phq9-gad7), scored two ways.

The expected totals and bands are computed here from the published scoring (plain sums,
Kroenke 2001 and Spitzer 2006 band edges), not from the content files, and the band counts
are checked against the ones the data set's README states.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from screenplan.engine import build_plan, load_content

DATA = Path(__file__).parents[1] / "data" / "ukm-students-phq9-gad7" / "Psychological_aspects.csv"
PHQ9_BANDS = (
    (0, 4, "minimal"),
    (5, 9, "mild"),
    (10, 14, "moderate"),
    (15, 19, "moderately_severe"),
    (20, 27, "severe"),
)
GAD7_BANDS = ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe"))
LOW_RISK = {
    "age": 35,
    "sex": "female",
    "audit_1": 0,
    "drug_use_year": "0",
    **{f"asq_{n}": "no" for n in range(1, 5)},
    "pcptsd5_0": "no",
    "health": ["none"],
    "tx_antidepressants": "0",
    "tx_substance": "never",
    "readiness": 5,
    "support": "yes",
}


def read_rows() -> list[dict[str, int]]:
    with DATA.open(encoding="utf-8-sig", newline="") as f:  # the file starts with a BOM
        return [
            {k: int(v) for k, v in row.items() if k[0] in "DA" and k[1:].isdigit()}
            for row in csv.DictReader(f)
            if any(row.values())
        ]


ROWS = read_rows()


def band(total: int, bands: tuple[tuple[int, int, str], ...]) -> str:
    return next(name for lo, hi, name in bands if lo <= total <= hi)


def phq9(row: dict[str, int]) -> list[int]:
    return [row[f"D{n}"] for n in range(1, 10)]


def gad7(row: dict[str, int]) -> list[int]:
    return [row[f"A{n}"] for n in range(1, 8)]


def answers(row: dict[str, int]) -> dict[str, object]:
    items = {f"phq9_{n}": v for n, v in enumerate(phq9(row), 1)}
    items |= {f"gad7_{n}": v for n, v in enumerate(gad7(row), 1)}
    return LOW_RISK | items


def expected(row: dict[str, int]) -> dict[str, object]:
    p, g = sum(phq9(row)), sum(gad7(row))
    return {
        "phq9": {"total": p, "bound": None, "band": band(p, PHQ9_BANDS), "complete": True, "items_answered": 9},
        "gad7": {"total": g, "bound": None, "band": band(g, GAD7_BANDS), "complete": True, "items_answered": 7},
        "findings": {name for name, total in (("depression", p), ("anxiety", g)) if total >= 10},
        "safety": "non_acute" if row["D9"] > 0 else "none",
    }


@pytest.fixture(scope="module")
def plans():
    content = load_content()
    return [build_plan(content, answers(row)) for row in ROWS]


def test_the_data_set_has_223_complete_rows_of_points_0_to_3():
    assert len(ROWS) == 223
    assert all(len(row) == 16 and set(row.values()) <= {0, 1, 2, 3} for row in ROWS)


@pytest.mark.parametrize("n", range(len(ROWS)), ids=lambda n: f"row{n + 2}")  # the CSV line
def test_the_engine_scores_each_student_like_the_published_scoring(plans, n):
    plan = plans[n]
    actual = {
        "phq9": plan["scores"]["phq9"],
        "gad7": plan["scores"]["gad7"],
        "findings": set(plan["findings"]),
        "safety": plan["safety"]["level"],
    }
    assert actual == expected(ROWS[n])


def test_phq9_bands_match_the_counts_the_readme_states(plans):
    readme = {"minimal": 61, "mild": 82, "moderate": 43, "moderately_severe": 18, "severe": 19}
    assert Counter(band(sum(phq9(row)), PHQ9_BANDS) for row in ROWS) == readme
    assert Counter(plan["scores"]["phq9"]["band"] for plan in plans) == readme


def test_gad7_bands_match_the_counts_the_readme_states(plans):
    readme = {"minimal": 115, "mild": 64, "moderate": 26, "severe": 18}
    assert Counter(band(sum(gad7(row)), GAD7_BANDS) for row in ROWS) == readme
    assert Counter(plan["scores"]["gad7"]["band"] for plan in plans) == readme


def test_item9_alone_makes_the_safety_level_non_acute_for_exactly_the_65_who_endorsed_it(plans):
    endorsed = {n for n, row in enumerate(ROWS) if row["D9"] > 0}
    non_acute = {n for n, plan in enumerate(plans) if plan["safety"]["level"] == "non_acute"}
    assert len(endorsed) == 65
    assert non_acute == endorsed
    assert {plan["safety"]["level"] for plan in plans} == {"none", "non_acute"}
