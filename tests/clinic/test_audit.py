"""The audit log: exactly one append-only row per staff request, allowed or denied; admins read it."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from screenplan.audit.models import AuditEvent
from screenplan.clinic.models import Role

from .conftest import Respondent, Staff
from .helpers import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def test_every_staff_request_in_a_session_writes_exactly_one_audit_row(respondent_a: Respondent) -> None:
    make_staff("carla", Role.CLINICIAN)
    case = str(respondent_a.share.public_id)
    nowhere = str(uuid.uuid4())
    c = Client()
    login = {"username": "carla", "password": PASSWORD}
    # (method, path, form, status, (actor, action, object, outcome)) for each request in turn
    steps: list[tuple[str, str, dict[str, str], int, tuple[str, str, str, str]]] = [
        ("GET", "/staff/", {}, 302, ("anonymous", "queue.view", "", "denied")),
        ("GET", "/staff/login/?next=/staff/", {}, 200, ("anonymous", "staff_signin", "", "allowed")),
        ("POST", "/staff/login/", {**login, "password": "nope"}, 400, ("anonymous", "signin", "carla", "denied")),
        ("POST", "/staff/login/", login, 302, ("carla", "signin", "carla", "allowed")),
        ("GET", "/staff/", {}, 200, ("carla", "queue.view", "", "allowed")),
        ("GET", f"/staff/case/{case}/", {}, 200, ("carla", "case.view", case, "allowed")),
        ("POST", f"/staff/case/{case}/note/", {"body": "Called."}, 302, ("carla", "case.note", case, "allowed")),
        ("POST", f"/staff/case/{case}/note/", {"body": ""}, 400, ("carla", "case.note", case, "denied")),
        ("POST", f"/staff/case/{case}/status/", {"status": "enrolled"}, 400, ("carla", "case.status", case, "denied")),
        (
            "POST",
            f"/staff/case/{case}/status/",
            {"status": "contacted"},
            302,
            ("carla", "case.status", case, "allowed"),
        ),
        ("GET", "/staff/audit/", {}, 403, ("carla", "audit.view", "", "denied")),
        ("GET", f"/staff/case/{nowhere}/", {}, 404, ("carla", "case.view", nowhere, "denied")),
        ("POST", "/staff/", {}, 405, ("carla", "queue.view", "", "denied")),
        ("GET", "/staff/no-such-page/", {}, 404, ("carla", "unknown", "", "denied")),
        ("GET", "/staff/stats/", {}, 200, ("carla", "stats.view", "", "allowed")),
        ("POST", "/staff/logout/", {}, 302, ("carla", "signout", "carla", "allowed")),
        ("GET", f"/staff/case/{case}/", {}, 302, ("anonymous", "case.view", case, "denied")),
    ]
    for method, url, form, status, row in steps:
        before = AuditEvent.objects.count()
        response = c.get(url) if method == "GET" else c.post(url, form)
        assert response.status_code == status, (method, url)
        assert AuditEvent.objects.count() == before + 1, (method, url)
        event = AuditEvent.objects.latest("id")
        assert (event.actor, event.action, event.object, event.outcome) == row, (method, url)
        assert event.request_id == response["X-Request-ID"] and len(event.request_id) == 36, (method, url)
    # Respondent pages are not staff requests and write nothing.
    before = AuditEvent.objects.count()
    assert respondent_a.client.get("/en/plan/").status_code == 200
    assert AuditEvent.objects.count() == before


def test_an_audit_row_cannot_be_changed_or_deleted(clinician: Staff) -> None:
    clinician.client.get("/staff/")
    event = AuditEvent.objects.latest("id")
    event.outcome = "denied"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    with pytest.raises(ValueError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(ValueError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(outcome="denied")
    assert AuditEvent.objects.get(pk=event.pk).outcome == "allowed"


def test_the_audit_page_is_for_admins_and_lists_the_newest_rows_first(
    admin: Staff, clinician: Staff, reception: Staff, respondent_a: Respondent
) -> None:
    seen = clinician.client.get(respondent_a.case_url)
    assert clinician.client.get("/staff/audit/").status_code == 403
    assert reception.client.get("/staff/audit/").status_code == 403
    assert Client().get("/staff/audit/")["Location"] == "/staff/login/?next=/staff/audit/"
    response = admin.client.get("/staff/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    row = (
        f"<td>carla</td><td>case.view</td><td><code>{respondent_a.share.public_id}</code></td>"
        f"<td>allowed</td><td><code>{seen['X-Request-ID']}</code></td>"
    )
    assert row in html
    assert html.index("<td>rita</td><td>audit.view</td>") < html.index(row)  # newest first
    for personal in ("Alice", "Aardvark", "555 0100", "More than half the days"):
        assert personal not in html
