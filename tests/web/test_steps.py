"""Each step of the screen: crisis pages, bad input, replays, skipping ahead, editing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from screenplan.assessments.models import Assessment

from .helpers import current_rev, start
from .profiles import INTEGRATED, LOW_RISK

pytestmark = pytest.mark.django_db


def answer(client: Client, item: str, value: Any, rev: str | None = None) -> Any:
    if rev is None:
        page = client.get(f"/en/screen/?item={item}")
        assert page.status_code == 200, (item, page.status_code)
        rev = current_rev(page.content.decode())
    values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return client.post("/en/screen/", {"item": item, "rev": rev, "value": values})


def answer_until(client: Client, stop: str, answers: dict[str, Any]) -> None:
    """Answer from `answers` up to (not including) question `stop`."""
    for _ in range(60):
        page = client.get("/en/screen/")
        assert page.status_code == 200, page.get("Location")
        item = re.search(r'name="item" value="([a-z0-9_]+)"', page.content.decode()).group(1)
        if item == stop:
            return
        assert answer(client, item, answers[item]).status_code == 302
    raise AssertionError(f"{stop} was never asked")


def stored() -> dict[str, Any]:
    return Assessment.objects.get().answers


def test_it_shows_crisis_resources_right_after_item_9(client: Client) -> None:
    start(client)
    answer_until(client, "phq9_9", {**LOW_RISK, "phq9_1": 3, "phq9_2": 3})
    response = answer(client, "phq9_9", 1)
    assert response["Location"] == "/en/screen/crisis/"
    # Any attempt to go on first lands on the crisis resources.
    assert client.get("/en/screen/")["Location"] == "/en/screen/crisis/"
    crisis = client.get("/en/screen/crisis/").content.decode()
    assert 'href="tel:988"' in crisis and 'href="sms:741741?body=HOME"' in crisis and 'href="tel:911"' in crisis
    assert client.post("/en/screen/crisis/")["Location"] == "/en/screen/"
    page = client.get("/en/screen/").content.decode()
    assert 'name="item" value="gad7_1"' in page
    assert "Need to talk now?" in page  # a banner stays for the rest of the screen


def test_it_shows_a_dedicated_crisis_page_for_acute_risk(client: Client) -> None:
    start(client)
    answer_until(client, "asq_1", LOW_RISK)
    assert answer(client, "asq_1", "yes")["Location"] == "/en/screen/crisis/"
    client.post("/en/screen/crisis/")
    for item in ("asq_2", "asq_3", "asq_4"):
        assert answer(client, item, "no").status_code == 302
    assert answer(client, "asq_5", "yes")["Location"] == "/en/screen/crisis/"
    page = client.get("/en/screen/crisis/").content.decode()
    assert "I am safe right now, continue" in page
    assert 'href="sms:988"' in page
    # Continuing needs the explicit choice.
    assert client.post("/en/screen/crisis/").status_code == 400
    assert client.post("/en/screen/crisis/", {"safe": "yes"})["Location"] == "/en/screen/"
    assert Assessment.objects.get().acute_confirmed is True


@pytest.mark.parametrize(
    ("item", "value", "message"),
    [
        ("age", "abc", "Please enter a whole number"),
        ("age", "121", "Please enter a number from 0 to 120"),
        ("age", "", "Please enter a number."),
        ("age", "-4", "Please enter a number from 0 to 120"),
    ],
)
def test_it_refuses_a_bad_number_with_a_message_and_stores_nothing(
    client: Client, item: str, value: str, message: str
) -> None:
    start(client)
    page = client.get("/en/screen/").content.decode()
    response = client.post("/en/screen/", {"item": item, "rev": current_rev(page), "value": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored() == {}


@pytest.mark.parametrize("value", ["4", "-1", "1.0", "yes", "0x1"])
def test_it_refuses_a_forged_choice(client: Client, value: str) -> None:
    start(client)
    answer_until(client, "phq9_1", LOW_RISK)
    before = stored()
    response = answer(client, "phq9_1", value)
    assert response.status_code == 400
    assert "That answer is not one of the choices." in response.content.decode()
    assert stored() == before


def test_it_refuses_pregnancy_for_a_male_respondent(client: Client) -> None:
    start(client)
    answer_until(client, "health", INTEGRATED)  # a man for whom medicines are discussed
    assert "pregnant" not in client.get("/en/screen/").content.decode()
    response = answer(client, "health", ["pregnant"])
    assert response.status_code == 400
    assert "health" not in stored()


def test_it_refuses_none_combined_with_a_condition(client: Client) -> None:
    start(client)
    answer_until(client, "health", INTEGRATED)
    response = answer(client, "health", ["none", "liver"])
    assert response.status_code == 400
    assert "None of these" in response.content.decode()


def test_it_refuses_to_skip_ahead(client: Client) -> None:
    start(client)
    page = client.get("/en/screen/").content.decode()
    response = client.post("/en/screen/", {"item": "phq9_1", "rev": current_rev(page), "value": "0"})
    assert response.status_code == 409
    assert stored() == {}
    assert client.get("/en/screen/?item=phq9_1").status_code == 404


def test_it_refuses_a_question_whose_gate_is_closed(client: Client) -> None:
    start(client)
    answer_until(client, "drug_use_year", LOW_RISK)  # AUDIT-C 1: items 4-10 are not asked
    response = client.post("/en/screen/", {"item": "audit_4", "rev": "99", "value": "0"})
    assert response.status_code == 409
    assert "audit_4" not in stored()


def test_it_refuses_an_unknown_question(client: Client) -> None:
    start(client)
    response = client.post("/en/screen/", {"item": "phq9_10", "rev": "0", "value": "0"})
    assert response.status_code == 400


def test_a_double_submit_stores_the_answer_once(client: Client) -> None:
    start(client)
    page = client.get("/en/screen/").content.decode()
    rev = current_rev(page)
    first = client.post("/en/screen/", {"item": "age", "rev": rev, "value": "35"})
    again = client.post("/en/screen/", {"item": "age", "rev": rev, "value": "35"})
    assert first.status_code == again.status_code == 302
    a = Assessment.objects.get()
    assert a.answers == {"age": 35}
    assert a.revision == 1


def test_a_replayed_old_form_with_another_value_changes_nothing(client: Client) -> None:
    start(client)
    page = client.get("/en/screen/").content.decode()
    rev = current_rev(page)
    client.post("/en/screen/", {"item": "age", "rev": rev, "value": "35"})
    answer(client, "audit_1", 1)
    response = client.post("/en/screen/", {"item": "age", "rev": rev, "value": "17"})
    assert response.status_code == 409
    assert stored() == {"age": 35, "audit_1": 1}


def test_going_back_and_changing_an_answer_drops_what_no_longer_applies(client: Client) -> None:
    start(client)
    answers = {**LOW_RISK, "audit_1": 4, "audit_2": 0, "audit_3": 0}  # AUDIT-C 4: items 4-10 asked
    answer_until(client, "audit_4", answers)
    assert {"audit_2", "audit_3"} <= set(stored())
    back = client.get("/en/screen/?item=audit_1").content.decode()
    assert re.search(r'class="option tap chosen" type="submit" name="value" value="4"', back)
    assert answer(client, "audit_1", 0).status_code == 302  # never drinks: 2 and 3 are skipped (0)
    assert stored() == {"age": 35, "audit_1": 0}
    assert 'name="item" value="drug_use_year"' in client.get("/en/screen/").content.decode()


def test_a_finished_screen_cannot_be_edited(client: Client) -> None:
    start(client)
    answer(client, "age", 16)
    assert Assessment.objects.get().status == Assessment.Status.COMPLETE
    response = client.post("/en/screen/", {"item": "age", "rev": "1", "value": "40"})
    assert response.status_code == 409
    assert stored() == {"age": 16}
    assert client.get("/en/screen/")["Location"] == "/en/results/"


def test_results_wait_until_the_screen_is_finished(client: Client) -> None:
    start(client)
    assert client.get("/en/results/")["Location"] == "/en/screen/"
    assert client.get("/en/plan/")["Location"] == "/en/screen/"


def test_starting_needs_consent(client: Client) -> None:
    response = client.post("/en/start/", {})
    assert response.status_code == 400
    assert Assessment.objects.count() == 0
