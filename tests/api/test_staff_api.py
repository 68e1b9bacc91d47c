"""The staff API: per-client tokens, scopes, audit, status changes."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from tests.web.helpers import answer_all, start
from tests.web.profiles import ACUTE, INTEGRATED

from screenplan.api.models import ApiClient
from screenplan.audit.models import AuditEvent
from screenplan.clinic.models import Share

pytestmark = pytest.mark.django_db


def shared(profile: dict, phone: str) -> Share:
    client = Client()
    start(client)
    answer_all(client, profile)
    response = client.post("/en/share/", {"consent": "yes", "phone": phone})
    assert response.status_code == 200
    return Share.objects.latest("id")


@pytest.fixture
def reader() -> str:
    return ApiClient.issue("ehr-reader", ["cases:read"])[1]


@pytest.fixture
def writer() -> str:
    return ApiClient.issue("ehr-writer", ["cases:read", "cases:write"])[1]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_reader_lists_cases_most_urgent_first_and_reads_one(client: Client, reader: str) -> None:
    routine = shared(INTEGRATED, "+1 555 010 0001")
    urgent = shared(ACUTE, "+1 555 010 0002")
    listing = client.get("/api/v1/staff/cases", headers=auth(reader)).json()
    assert [c["id"] for c in listing["cases"]] == [str(urgent.public_id), str(routine.public_id)]
    assert listing["cases"][0]["safety_level"] == "acute" and listing["cases"][0]["urgent"] is True
    detail = client.get(f"/api/v1/staff/cases/{routine.public_id}", headers=auth(reader)).json()
    assert detail["contact"]["phone"] == "+1 555 010 0001"
    assert detail["plan"]["pathway"]["primary"] == "integrated"
    assert detail["answers"]["age"] == 41


def test_a_reader_cannot_change_status_and_the_denial_is_audited(client: Client, reader: str) -> None:
    case = shared(INTEGRATED, "+1 555 010 0003")
    response = client.patch(
        f"/api/v1/staff/cases/{case.public_id}",
        json.dumps({"status": "contacted"}),
        content_type="application/json",
        headers=auth(reader),
    )
    assert response.status_code == 403
    assert Share.objects.get(pk=case.pk).status == "new"
    event = AuditEvent.objects.latest("id")
    assert (event.actor, event.action, event.outcome) == ("api:ehr-reader", "api.case.status", "denied")


def test_a_writer_moves_a_case_along_the_workflow_only(client: Client, writer: str) -> None:
    case = shared(INTEGRATED, "+1 555 010 0004")
    url = f"/api/v1/staff/cases/{case.public_id}"
    ok = client.patch(url, json.dumps({"status": "contacted"}), content_type="application/json", headers=auth(writer))
    assert ok.status_code == 200 and ok.json()["status"] == "contacted"
    skip = client.patch(url, json.dumps({"status": "enrolled"}), content_type="application/json", headers=auth(writer))
    assert skip.status_code == 409
    bad = client.patch(url, json.dumps({"status": "bogus"}), content_type="application/json", headers=auth(writer))
    assert bad.status_code == 422


def test_without_a_valid_client_token_nothing_is_shown(client: Client) -> None:
    case = shared(INTEGRATED, "+1 555 010 0005")
    for headers in ({}, auth("spk_wrong"), auth("")):
        response = client.get(f"/api/v1/staff/cases/{case.public_id}", headers=headers)
        assert response.status_code == 401
        assert b"555 010 0005" not in response.content
    inactive, token = ApiClient.issue("old", ["cases:read"])
    inactive.active = False
    inactive.save()
    assert client.get("/api/v1/staff/cases", headers=auth(token)).status_code == 401


def test_unknown_and_withdrawn_cases_are_404(client: Client, reader: str) -> None:
    assert client.get("/api/v1/staff/cases/not-a-uuid", headers=auth(reader)).status_code == 404
    case = shared(INTEGRATED, "+1 555 010 0006")
    Share.objects.filter(pk=case.pk).update(withdrawn_at="2026-01-01T00:00:00Z")
    assert client.get(f"/api/v1/staff/cases/{case.public_id}", headers=auth(reader)).status_code == 404


def test_every_staff_api_call_writes_one_audit_row(client: Client, reader: str) -> None:
    case = shared(INTEGRATED, "+1 555 010 0007")
    for path in ("/api/v1/staff/cases", f"/api/v1/staff/cases/{case.public_id}", "/api/v1/staff/cases/nope"):
        before = AuditEvent.objects.count()
        client.get(path, headers=auth(reader))
        assert AuditEvent.objects.count() == before + 1, path
