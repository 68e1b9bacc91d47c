"""The respondent's screen over the JSON API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from tests.web.helpers import engine_asked
from tests.web.profiles import ACUTE, AT_RISK, INTEGRATED, LOW_RISK, MINOR, OPIOIDS

from screenplan.assessments.models import Assessment
from screenplan.audit.models import AuditEvent
from screenplan.clinic.models import Share
from screenplan.engine import build_plan, load_content

pytestmark = pytest.mark.django_db


def start(client: Client, lang: str = "en") -> tuple[str, dict[str, Any]]:
    response = client.post("/api/v1/screens", json.dumps({"language": lang}), content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    return body["token"], body["step"]


def put(client: Client, token: str, item: str, value: Any) -> Any:
    return client.put(
        f"/api/v1/screen/answers/{item}",
        json.dumps({"value": value}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def run(client: Client, answers: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    token, step = start(client)
    asked, raised = [], []
    while not step["done"]:
        item = step["question"]["id"]
        asked.append(item)
        response = put(client, token, item, answers[item])
        assert response.status_code == 200, response.content
        step = response.json()
        if step["safety"]["changed"]:
            raised.append(step["safety"]["level"])
    return token, asked, raised


@pytest.mark.parametrize("answers", [LOW_RISK, INTEGRATED, AT_RISK, ACUTE, OPIOIDS, MINOR])
def test_the_api_asks_what_the_engine_asks_and_returns_the_engines_plan(client: Client, answers: dict) -> None:
    token, asked, _raised = run(client, answers)
    assert asked == engine_asked(answers)
    plan = client.get("/api/v1/screen/plan", headers={"Authorization": f"Bearer {token}"}).json()
    assert plan == build_plan(load_content(), {k: answers[k] for k in asked})


def test_crisis_resources_come_with_the_answer_that_raised_the_level(client: Client) -> None:
    _token, _asked, raised = run(client, ACUTE)
    assert raised == ["non_acute", "acute"]


def test_the_answer_right_after_item_9_carries_the_resources(client: Client) -> None:
    token, step = start(client)
    while step["question"]["id"] != "phq9_9":
        step = put(client, token, step["question"]["id"], {**LOW_RISK, "phq9_1": 3}[step["question"]["id"]]).json()
    step = put(client, token, "phq9_9", 1).json()
    assert step["safety"]["level"] == "non_acute" and step["safety"]["changed"] is True
    assert any(r["href"] == "tel:988" for r in step["safety"]["resources"])
    assert step["question"]["id"] == "gad7_1"  # the GAD-7 follows the PHQ-9, after the resources


def test_putting_the_same_answer_twice_is_idempotent(client: Client) -> None:
    token, _ = start(client)
    first, second = put(client, token, "age", 40), put(client, token, "age", 40)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Assessment.objects.get().revision == 1


@pytest.mark.parametrize(
    ("item", "value", "status"),
    [
        ("age", 121, 422),
        ("age", "40", 422),
        ("age", True, 422),
        ("phq9_1", 0, 409),
        ("nope", 1, 404),
        ("age", [1], 422),
        ("age", None, 422),
    ],
)
def test_bad_answers_get_a_problem_and_store_nothing(client: Client, item: str, value: Any, status: int) -> None:
    token, _ = start(client)
    response = put(client, token, item, value)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == status and response.json()["detail"]
    assert Assessment.objects.get().answers == {}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"value": NaN}', "application/json", 400),
        ('{"value": 1, "value": 2}', "application/json", 400),
        ('{"value": 40}', "text/plain", 415),
        ("[" * 5000 + "]" * 5000, "application/json", 400),
        ("x" * 70_000, "application/json", 413),
        ('{"value": "\\u0000"}', "application/json", 422),
    ],
)
def test_malformed_bodies_are_refused_cleanly(client: Client, body: str, content_type: str, status: int) -> None:
    token, _ = start(client)
    response = client.put(
        "/api/v1/screen/answers/age", body, content_type=content_type, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == status
    assert Assessment.objects.get().answers == {}


def test_the_plan_waits_for_the_last_answer_and_a_finished_screen_is_closed(client: Client) -> None:
    token, _ = start(client)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/screen/plan", headers=headers).status_code == 409
    put(client, token, "age", 16)
    assert client.get("/api/v1/screen/plan", headers=headers).status_code == 200
    assert put(client, token, "age", 40).status_code == 409


def test_a_token_reaches_only_its_own_screen(client: Client) -> None:
    alice, _asked, _ = run(client, INTEGRATED)
    bob, _ = start(client)
    bob_plan = client.get("/api/v1/screen/plan", headers={"Authorization": f"Bearer {bob}"})
    assert bob_plan.status_code == 409
    assert client.get("/api/v1/screen", headers={"Authorization": "Bearer " + "A" * 43}).status_code == 401
    assert client.get("/api/v1/screen").status_code == 401
    assert alice != bob


def test_sharing_and_withdrawing_and_deleting(client: Client) -> None:
    token, _asked, _ = run(client, INTEGRATED)
    headers = {"Authorization": f"Bearer {token}"}
    refused = client.post(
        "/api/v1/screen/share", json.dumps({"consent": True}), content_type="application/json", headers=headers
    )
    assert refused.status_code == 422  # neither phone nor e-mail
    shared = client.post(
        "/api/v1/screen/share",
        json.dumps({"consent": True, "phone": "+1 555 010 0100"}),
        content_type="application/json",
        headers=headers,
    )
    assert shared.status_code == 201
    assert Share.objects.get().contact["phone"] == "+1 555 010 0100"
    assert client.delete("/api/v1/screen/share", headers=headers).status_code == 204
    assert Share.objects.get().withdrawn_at is not None
    case_id = str(Share.objects.get().public_id)
    deleted = client.delete("/api/v1/screen", headers=headers)
    assert deleted.status_code == 204
    assert Assessment.objects.count() == 0 and Share.objects.count() == 0
    assert client.get("/api/v1/screen", headers=headers).status_code == 401
    # Deleting through the API leaves the same audit row as the web page: that it happened, not what it held.
    event = AuditEvent.objects.filter(action="share.deleted").get()
    assert (event.actor, event.object, event.outcome) == ("respondent", case_id, "allowed")
    assert event.request_id == deleted["X-Request-ID"]


def test_too_many_requests_get_429_with_retry_after(client: Client, settings: Any) -> None:
    settings.API_RATE_PER_MINUTE = 3
    token, _ = start(client)
    statuses = [client.get("/api/v1/screen", headers={"Authorization": f"Bearer {token}"}) for _ in range(5)]
    assert [r.status_code for r in statuses][:3] == [200, 200, 200]
    assert statuses[-1].status_code == 429
    assert int(statuses[-1]["Retry-After"]) >= 1
