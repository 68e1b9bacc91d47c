"""Bad requests to the respondent site get a clear 4xx, never a 5xx, and change nothing."""

from __future__ import annotations

import pytest
from django.test import Client

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
