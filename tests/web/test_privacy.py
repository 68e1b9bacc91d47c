"""Privacy: private links, isolation between respondents, deletion, sealing, headers, weight."""

from __future__ import annotations

import re
import sqlite3

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from screenplan.assessments.models import Assessment, token_hash

from .helpers import answer_all, start
from .profiles import INTEGRATED, LOW_RISK

pytestmark = pytest.mark.django_db(transaction=True)


def finished(profile: dict) -> Client:
    client = Client()
    start(client)
    answer_all(client, profile)
    return client


def link_of(client: Client) -> str:
    html = client.post("/en/link/").content.decode()
    match = re.search(r'value="http://testserver(/r/[A-Za-z0-9_\-]+/)"', html)
    assert match, html[:400]
    return match.group(1)


def test_a_private_link_opens_the_same_results_in_a_new_browser_once_swapped_for_a_cookie() -> None:
    alice = finished(INTEGRATED)
    link = link_of(alice)
    token = link.split("/")[2]
    assert len(token) >= 43  # 32 random bytes
    a = Assessment.objects.get()
    assert a.token_hash == token_hash(token) and token not in a.token_hash
    later = Client()
    response = later.get(link)
    assert response.status_code == 302 and response["Location"] == "/en/results/"
    assert token not in response["Location"]
    assert later.get("/en/results/").status_code == 200


def test_a_new_link_revokes_the_old_one() -> None:
    alice = finished(LOW_RISK)
    old = link_of(alice)
    new = link_of(alice)
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 302


def test_a_respondent_never_reaches_another_respondents_answers() -> None:
    alice = finished(INTEGRATED)
    bob = Client()
    start(bob)
    # Bob's session points at his own screen only; Alice's results are not reachable by any id.
    assert bob.get("/en/results/")["Location"] == "/en/screen/"
    assert Client().get("/r/" + "A" * 43 + "/").status_code == 404
    alice_page = alice.get("/en/plan/").content.decode()
    assert "Integrated ketamine" in alice_page
    bob_page = bob.get("/en/screen/").content.decode()
    assert "Integrated ketamine" not in bob_page


def test_deleting_removes_the_answers_and_the_link_for_good() -> None:
    alice = finished(INTEGRATED)
    link = link_of(alice)
    assert alice.get("/en/delete/").status_code == 200
    response = alice.post("/en/delete/")
    assert response.status_code == 200
    assert Assessment.objects.count() == 0
    assert Client().get(link).status_code == 404
    assert alice.get("/en/results/")["Location"] == "/en/"


def test_answers_are_sealed_in_the_database() -> None:
    finished({**LOW_RISK, "age": 97})
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers_sealed FROM assessments_assessment")
        (raw,) = cursor.fetchone()
    blob = bytes(raw)
    # Whole plaintext fragments: two random bytes of ciphertext are "97" about once in 65,536.
    assert b"phq9" not in blob and b'"age":97' not in blob and b"female" not in blob
    assert Assessment.objects.get().answers["age"] == 97


def test_a_sealed_answer_copied_to_another_row_does_not_open() -> None:
    from screenplan.crypto import SealError

    finished(LOW_RISK)
    finished(INTEGRATED)
    first, second = Assessment.objects.order_by("id")
    second.answers_sealed = first.answers_sealed
    with pytest.raises(SealError):
        _ = second.answers


def test_sqlite_runs_with_durable_settings() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings apply only when the database is SQLite")
    with connection.cursor() as cursor:
        checks = {}
        for pragma in ("journal_mode", "synchronous", "foreign_keys", "secure_delete", "busy_timeout"):
            cursor.execute(f"PRAGMA {pragma}")
            checks[pragma] = cursor.fetchone()[0]
    assert checks["synchronous"] == 2 and checks["foreign_keys"] == 1 and checks["secure_delete"] == 1
    assert checks["busy_timeout"] >= 5000
    assert isinstance(sqlite3.sqlite_version, str)


PAGES = ["/en/", "/en/start/", "/en/screen/", "/en/results/", "/en/plan/", "/es/plan/", "/en/about-the-questions/"]


def test_every_page_sends_the_security_headers_and_one_cookie() -> None:
    client = finished(INTEGRATED)
    client.post("/en/screen/crisis/")
    for path in PAGES:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
    assert set(client.cookies) == {settings.SESSION_COOKIE_NAME}


def test_every_respondent_page_with_its_stylesheet_weighs_under_50_kb() -> None:
    client = finished(INTEGRATED)
    css = client.get("/static/assessments/screen.css")
    css_bytes = len(b"".join(css.streaming_content)) if css.streaming else len(css.content)
    for path in PAGES:
        html = client.get(path, follow=True).content
        assert len(html) + css_bytes <= 50_000, (path, len(html), css_bytes)
        assert re.search(rb"(src|href)=\"https?://", html) is None, path  # nothing from elsewhere


def test_a_form_post_with_a_null_origin_from_this_site_is_accepted() -> None:
    # With Referrer-Policy: no-referrer, browsers send Origin: null on same-site form posts.
    client = Client(enforce_csrf_checks=True)
    html = client.get("/en/start/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    same_site = client.post(
        "/en/start/",
        {"consent": "yes", "csrfmiddlewaretoken": token},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    )
    assert same_site.status_code == 302
    cross_site = client.post(
        "/en/start/",
        {"consent": "yes", "csrfmiddlewaretoken": token},
        headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    )
    assert cross_site.status_code == 403
    no_token = Client(enforce_csrf_checks=True).post(
        "/en/start/", {"consent": "yes"}, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    )
    assert no_token.status_code == 403
