"""POST /api/v1/fhir/QuestionnaireResponse/$score over HTTP: safety, AUDIT-C, statuses, bad bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from tests.test_fhir_import import MALFORMED, responses

pytestmark = pytest.mark.django_db
URL = "/api/v1/fhir/QuestionnaireResponse/$score"
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fhir"


@pytest.fixture(autouse=True)
def no_rate_limit(settings: Any) -> None:
    settings.API_RATE_PER_MINUTE = 10**6  # the fuzzing below must not meet the rate limit


def post(client: Client, body: Any, lang: str | None = None, content_type: str = "application/fhir+json") -> Any:
    url = URL if lang is None else f"{URL}?lang={lang}"
    return client.post(url, body if isinstance(body, (str, bytes)) else json.dumps(body), content_type=content_type)


def qr(*items: Any, status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": status, "item": list(items)}


def own(item_id: str, value: Any) -> dict[str, Any]:
    """An answer by our own item id and answer code (the product's own shape)."""
    system = "https://screenplan.example/fhir/CodeSystem/answers"
    return {"linkId": item_id, "answer": [{"valueCoding": {"system": system, "code": str(value)}}]}


def respondent_resources(client: Client, lang: str) -> list[dict[str, str]]:
    started = client.post("/api/v1/screens", json.dumps({"language": lang}), content_type="application/json")
    assert started.status_code == 201
    token = started.json()["token"]
    step = client.get(f"/api/v1/screen?lang={lang}", headers={"Authorization": f"Bearer {token}"}).json()
    resources: list[dict[str, str]] = step["safety"]["resources"]
    return resources


@pytest.mark.parametrize("lang", ["en", "es"])
def test_item_9_nearly_every_day_is_non_acute_with_the_crisis_resources_in_the_language_asked(
    client: Client, lang: str
) -> None:
    fixture = json.loads((FIXTURES / "coded-items-phq9.json").read_text(encoding="utf-8"))
    response = post(client, fixture, lang)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scores"]["phq9"]["total"] == 3 and body["scores"]["phq9"]["band"] == "minimal"
    safety = body["safety"]
    assert (safety["level"], safety["complete"], safety["answered"]) == ("non_acute", False, ["phq9_9"])
    assert safety["resources"] == respondent_resources(client, lang)  # the very list the respondent API gives
    assert safety["resources"][0]["href"] == "tel:988"


def test_the_resources_differ_by_language(client: Client) -> None:
    body = qr(own("phq9_9", 2))
    en, es = (post(client, body, lang).json()["safety"]["resources"] for lang in ("en", "es"))
    assert [r["id"] for r in en] == [r["id"] for r in es] and en != es


def test_an_acute_answer_over_the_api(client: Client) -> None:
    body = post(client, qr(own("asq_3", "yes"), own("asq_5", "yes"))).json()
    assert (body["safety"]["level"], body["safety"]["complete"]) == ("acute", True)
    assert len(body["safety"]["resources"]) == 4


def test_a_response_without_any_safety_question_says_not_assessed_not_none(client: Client) -> None:
    body = post(client, qr(*(own(f"gad7_{n}", 0) for n in range(1, 8)))).json()
    assert body["scores"]["gad7"]["total"] == 0
    assert body["safety"]["level"] is None and body["safety"]["answered"] == []
    assert body["safety"]["missing"][0] == "phq9_9"


def test_auditc_with_our_own_item_ids_gives_the_total_and_the_finding_by_sex(client: Client) -> None:
    items = [own("audit_1", 2), own("audit_2", 1), own("audit_3", 0)]
    male = post(client, qr(*items, own("sex", "male"))).json()["auditc"]
    assert male == {"total": 3, "complete": True, "positive": False}
    female = post(client, qr(*items, own("sex", "female"))).json()["auditc"]
    assert female == {"total": 3, "complete": True, "positive": True}
    unknown = post(client, qr(*items)).json()["auditc"]
    assert unknown["positive"] is None
    assert unknown["positive_if"] == {"sex": {"female": True, "male": False, "other": True}}


def test_entered_in_error_is_a_422_saying_why(client: Client) -> None:
    response = post(client, qr(own("phq9_9", 3), status="entered-in-error"))
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Response not scored" and "entered in error" in problem["detail"]


@pytest.mark.parametrize("status", ["in-progress", "stopped"])
def test_a_response_not_final_is_scored_and_says_so(client: Client, status: str) -> None:
    body = post(client, qr(own("phq9_9", 1), status=status)).json()
    assert body["status"] == {"value": status, "final": False}
    assert body["safety"]["level"] == "non_acute"


def test_an_unknown_status_and_an_unknown_language_are_refused(client: Client) -> None:
    response = post(client, qr(own("phq9_9", 1), status="final"))
    assert response.status_code == 422 and "status 'final'" in response.json()["detail"]
    unknown = post(client, qr(own("phq9_9", 1)), lang="fr")
    assert unknown.status_code == 422 and unknown["Content-Type"] == "application/problem+json"
    assert "lang" in unknown.json()["detail"]


@pytest.mark.parametrize(("what", "items", "code"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_every_malformed_shape_is_a_problem_details_422(client: Client, what: str, items: Any, code: str) -> None:
    response = post(client, {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items})
    assert response.status_code == 422, (what, response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Cannot score this response"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(resource=responses(junk_one_in=6))
def test_fuzzed_bodies_over_http_are_200_or_a_problem_never_a_5xx(client: Client, resource: Any) -> None:
    response = post(client, resource)
    assert response.status_code in (200, 400, 422), (response.status_code, response.content[:300])
    expected = "application/json" if response.status_code == 200 else "application/problem+json"
    assert response["Content-Type"].startswith(expected)
