"""Bad requests to the respondent site get a clear 4xx, never a 5xx, and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from screenplan.assessments.models import Assessment

from .helpers import current_rev, start

pytestmark = pytest.mark.django_db


def test_an_unknown_host_gets_400(client: Client) -> None:
    response = client.get("/en/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert b"Traceback" not in response.content


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_an_unknown_method_gets_405(client: Client, method: str) -> None:
    assert getattr(client, method)("/en/screen/").status_code == 405


def test_an_oversized_form_gets_413_and_stores_nothing(client: Client) -> None:
    start(client)
    page = client.get("/en/screen/").content.decode()
    response = client.post("/en/screen/", {"item": "age", "rev": current_rev(page), "value": "1" * 70_000})
    assert response.status_code == 413
    assert Assessment.objects.get().answers == {}


@pytest.mark.parametrize("value", ["3\x004", "NaN", "1e3", "٣"])
def test_odd_numbers_are_refused_with_a_message(client: Client, value: str) -> None:
    start(client)
    page = client.get("/en/screen/").content.decode()
    response = client.post("/en/screen/", {"item": "age", "rev": current_rev(page), "value": value})
    assert response.status_code == 400
    assert Assessment.objects.get().answers == {}


def test_a_missing_item_field_gets_400(client: Client) -> None:
    start(client)
    assert client.post("/en/screen/", {"value": "40"}).status_code == 400


def test_a_database_outage_is_a_calm_503_with_retry_after(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    from screenplan.assessments import views

    def down(request: object) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(views, "current", down)
    response = client.get("/en/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "Please try again in a moment" in response.content.decode()
    assert "could not connect" not in response.content.decode()


def _session_load_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from django.conf import settings
    from django.db import OperationalError

    def down(self: object) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(importlib.import_module(settings.SESSION_ENGINE).SessionStore, "load", down)


def test_a_database_error_before_any_view_is_the_same_calm_503(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSRF middleware loads the session before any view runs: no process_exception sees
    that error, Django's handler500 does, and it must answer the same 503 (proof/outage.py
    found these 500s under a real PostgreSQL restart)."""
    client = Client(raise_request_exception=False)
    start(client)
    _session_load_fails(monkeypatch)
    response = client.get("/en/screen/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "Please try again in a moment" in response.content.decode()
    assert "could not connect" not in response.content.decode()


def test_the_test_only_switch_makes_database_errors_500s_again(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """SCREENPLAN_UNSAFE_DB_ERRORS_AS_500, the broken variant proof/outage.py must catch."""
    settings.UNSAFE_DB_ERRORS_AS_500 = True
    client = Client(raise_request_exception=False)
    start(client)
    _session_load_fails(monkeypatch)
    response = client.get("/en/screen/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def _interrupted(cause: Exception) -> Exception:
    """SessionInterrupted as SessionMiddleware raises it when the session store's save fails."""
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.exceptions import SessionInterrupted

    try:
        try:
            raise cause
        except Exception:
            raise UpdateError  # noqa: B904  (exactly as django.contrib.sessions.backends.db does)
    except UpdateError:
        try:
            raise SessionInterrupted("The request's session was deleted before the request completed.")
        except SessionInterrupted as exc:
            return exc


def test_a_session_save_cut_by_the_database_is_the_503_not_a_400(rf: RequestFactory) -> None:
    """The session store turns a lost connection while saving into SessionInterrupted (a 400);
    a session deleted by a concurrent request, the database up, stays the 400."""
    from django.db import DatabaseError, OperationalError

    from screenplan.site.security import bad_request

    cut = bad_request(rf.get("/en/start/"), _interrupted(OperationalError("server closed the connection")))
    assert cut.status_code == 503 and cut["Retry-After"] == "10"
    deleted = bad_request(rf.get("/en/start/"), _interrupted(DatabaseError("Forced update did not affect any rows.")))
    assert deleted.status_code == 400
