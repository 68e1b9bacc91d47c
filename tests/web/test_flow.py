"""The respondent's whole screen through the site, for several answer profiles."""

from __future__ import annotations

import pytest
from django.test import Client

from screenplan.assessments.models import Assessment
from screenplan.engine import build_plan, load_content

from .helpers import answer_all, engine_asked, start
from .profiles import ACUTE, AT_RISK, INTEGRATED, LOW_RISK, MINOR, OPIOIDS

pytestmark = pytest.mark.django_db

PROFILES = {
    "low_risk": (LOW_RISK, "wellbeing"),
    "integrated": (INTEGRATED, "integrated"),
    "at_risk": (AT_RISK, "wellbeing"),
    "acute": (ACUTE, "wellbeing"),
    "opioids": (OPIOIDS, "opioid_care"),
    "minor": (MINOR, "out_of_scope"),
}


@pytest.mark.parametrize("name", PROFILES)
def test_it_asks_what_the_engine_asks_and_shows_the_engines_plan(client: Client, name: str) -> None:
    answers, pathway = PROFILES[name]
    start(client)
    asked = answer_all(client, answers)
    assert asked == engine_asked(answers)
    stored = Assessment.objects.get()
    assert stored.status == Assessment.Status.COMPLETE
    plan = build_plan(load_content(), {k: answers[k] for k in asked})
    assert plan["pathway"]["primary"] == pathway
    assert stored.plan("en") == plan
    results = client.get("/en/results/")
    assert results.status_code == 200
    page = client.get("/en/plan/")
    assert page.status_code == 200
    html = page.content.decode()
    pathway_name = next(s for s in plan["sections"] if s["id"] in ("pathway", "crisis"))
    assert pathway_name["title"] in html
    for check in plan["sections"]:
        if check["id"] == "checks":
            for item in check["items"]:
                assert item["title"] in html
    assert "tel:988" in html


def test_it_shows_an_exact_total_for_a_positive_screen(client: Client) -> None:
    start(client)
    answer_all(client, INTEGRATED)
    html = client.get("/en/results/").content.decode()
    assert "<svg" in html and 'role="img"' in html
    plan = Assessment.objects.get().plan("en")
    # INTEGRATED reaches 10 on PHQ-9 item 5: the screen goes on to item 8 for the exact total and band.
    assert plan["scores"]["phq9"] == {
        "total": 13, "bound": None, "band": "moderate", "complete": True, "items_answered": 9,
    }  # fmt: skip
    assert "This is a screen, not a diagnosis." in html


def test_it_shows_a_bound_for_a_negative_screen_cut_short(client: Client) -> None:
    start(client)
    answer_all(client, LOW_RISK)
    html = client.get("/en/results/").content.decode()
    phq9 = Assessment.objects.get().plan("en")["scores"]["phq9"]
    # All 0: after item 6 no answer to items 7 and 8 could reach 10 (item 9 is always asked).
    assert phq9 == {"total": None, "bound": "<= 6", "band": None, "complete": False, "items_answered": 7}
    assert "6 or less" in html


def test_it_finishes_a_minors_screen_after_age_with_youth_resources(client: Client) -> None:
    start(client)
    assert answer_all(client, MINOR) == ["age"]
    html = client.get("/en/results/").content.decode()
    assert "This screen is made for adults" in html
    assert "tel:988" in html
