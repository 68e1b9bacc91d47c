"""Authorization matrix: every actor x every route x methods, generated from the URL resolver.

A route without an entry in POLICY fails the test. Respondent A must never see respondent B's data.
"""

from __future__ import annotations

import re
import secrets
import types
from typing import Any

import pytest
from clinic.conftest import (  # noqa: F401
    CONTACT_B,
    Respondent,
    Staff,
    admin,
    clinician,
    clinician2,
    deactivated,
    reception,
    respondent_a,
    respondent_b,
)
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, include, path

from screenplan.api.models import ApiClient
from screenplan.assessments.models import Assessment

pytestmark = pytest.mark.django_db
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def all_routes(resolver: URLResolver) -> list[str]:
    """Every route template, e.g. 'staff/case/<uuid:public_id>/' or 'api/v1/screen/plan'."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append(prefix + str(p.pattern))

    walk(resolver.url_patterns, "")
    return [re.sub(r"^\^?(en|es)/", "<lang>/", t.lstrip("^").rstrip("$")) for t in found]


ACTORS = (
    "anonymous",
    "respondent_a",
    "a_deleted",
    "clinician",
    "reception",
    "admin",
    "deactivated",
    "api_read",
    "api_write",
)
STAFF_ROLES = ("clinician", "reception", "admin")
LAST = ("api/v1/screen", "<lang>/link/", "<lang>/delete/", "staff/logout/")  # end or rotate a session: run last
L, H = "/staff/login/", "/en/"  # redirect targets (query string ignored)
# POLICY[route][method] = outcome for every actor, or {actor: outcome, "*": default}. Outcome: status or redirect path.
A = "respondent_a"
MINE = {A: 200, "*": H}  # respondent-owned pages: only the cookie holder, others go to the landing page


def staff(get: Any, post: Any, roles: tuple[str, ...]) -> dict[str, Any]:
    deny = {r: 403 for r in STAFF_ROLES if r not in roles}
    return {"GET": {"*": L, **deny, **{r: get for r in roles}}, "POST": {"*": L, **deny, **{r: post for r in roles}}}


CASE = "/staff/case/<B>/"
POLICY: dict[str, dict[str, Any]] = {
    "<lang>/": {"GET": 200, "POST": 405},
    "<lang>/about-the-questions/": {"GET": 200, "POST": 405},
    "<lang>/patterns/": {"GET": 200, "POST": 405},
    "<lang>/start/": {"GET": 200, "POST": 400},
    "<lang>/link/": {"GET": 405, "POST": H},  # after A deleted the screen over the API
    "<lang>/plan.pdf": {"GET": MINE, "POST": 405},
    "<lang>/plan/": {"GET": MINE, "POST": 405},
    "<lang>/results/": {"GET": MINE, "POST": 405},
    "<lang>/screen/": {"GET": {A: "/en/results/", "*": H}, "POST": {A: 400, "*": H}},
    "<lang>/screen/crisis/": {"GET": MINE, "POST": {A: "/en/results/", "*": H}},
    "<lang>/share/": {"GET": MINE, "POST": MINE},
    "<lang>/share/withdraw/": {"GET": 405, "POST": MINE},
    "<lang>/delete/": {"GET": 200, "POST": 200},
    "healthz": {"GET": 200, "POST": 200},
    "r/<str:token>/": {"GET": 404, "POST": 405},  # a token-looking value that is no one's
    "staff/login/": {"GET": 200, "POST": 400},
    "staff/login/code/": {"GET": L, "POST": L},
    "staff/logout/": {"GET": 405, "POST": L},
    "staff/": staff(200, 405, ("clinician", "reception")),
    "staff/case/<uuid:public_id>/": staff(200, 405, ("clinician", "reception")),
    "staff/case/<uuid:public_id>/note/": staff(405, 400, ("clinician",)),
    "staff/case/<uuid:public_id>/status/": staff(405, 400, ("clinician", "reception")),
    "staff/case/<uuid:public_id>/assign/": staff(405, CASE, ("clinician",)),
    "staff/case/<uuid:public_id>/fhir.json": staff(200, 405, ("clinician",)),
    "staff/export.csv": staff(200, 405, ("clinician",)),
    "staff/stats/": staff(200, 405, ("clinician", "admin")),
    "staff/audit/": staff(200, 405, ("admin",)),
    "staff/users/": staff(200, 405, ("admin",)),
    "staff/users/<int:user_id>/deactivate/": staff(405, "/staff/users/", ("admin",)),
    "api/v1/": dict.fromkeys(API_METHODS, 404),
    "api/v1/openapi.json": dict.fromkeys(API_METHODS, 200),
    "api/v1/screens": {"POST": 201},
    "api/v1/fhir/Questionnaire/<questionnaire_id>": {"GET": 200},
    "api/v1/fhir/QuestionnaireResponse/$score": {"POST": 422},
    "api/v1/screen": {"GET": {A: 200, "*": 401}, "DELETE": {A: 204, "*": 401}},
    "api/v1/screen/answers/<item_id>": {"PUT": {A: 422, "*": 401}},
    "api/v1/screen/plan": {"GET": {A: 200, "*": 401}},
    "api/v1/screen/share": {"POST": {A: 422, "*": 401}, "DELETE": {A: 204, "*": 401}},
    "api/v1/staff/cases": {"GET": {"api_read": 200, "api_write": 403, "*": 401}},
    "api/v1/staff/cases/<case_id>": {
        "GET": {"api_read": 200, "api_write": 403, "*": 401},
        "PATCH": {"api_read": 422, "api_write": 422, "*": 401},
    },
    "api/v1/staff/cases/<case_id>/fhir": {"GET": {"api_read": 200, "api_write": 403, "*": 401}},
}


def expected(route: str, method: str, actor: str) -> Any:
    want = POLICY[route].get(method, 405)  # an API method not served: 405
    return want.get(actor, want["*"]) if isinstance(want, dict) else want


def setup(actor: str, request: pytest.FixtureRequest) -> tuple[Client, dict[str, str], dict[str, Any], list[str]]:
    a: Respondent = request.getfixturevalue("respondent_a")
    b: Respondent = request.getfixturevalue("respondent_b")
    tokens = []
    for who in (a, b):
        assessment = Assessment.objects.get(pk=who.share.assessment_id)
        tokens.append(assessment.new_token())
        assessment.save(update_fields=["token_hash", "updated_at"])
    headers: dict[str, str] = {}
    client = Client()
    if actor in ("respondent_a", "a_deleted"):
        client, headers = a.client, {"Authorization": f"Bearer {tokens[0]}"}
        if actor == "a_deleted":
            assert a.client.post("/en/delete/", {"confirm": "yes"}).status_code == 200
            assert not Assessment.objects.filter(pk=a.share.assessment_id).exists()
    elif actor.startswith("api_"):
        _, token = ApiClient.issue(actor, ["cases:read"] if actor == "api_read" else ["cases:write"])
        headers = {"Authorization": f"Bearer {token}"}
    elif actor != "anonymous":
        client = request.getfixturevalue(actor).client
    samples = {
        "public_id": b.share.public_id,
        "case_id": b.share.public_id,
        "token": secrets.token_urlsafe(32),
        "item_id": "phq9_1",
        "questionnaire_id": "battery",
        "lang": "en",
        "user_id": request.getfixturevalue("clinician2").user.pk,
    }
    secret = [CONTACT_B["name"], CONTACT_B["phone"], str(b.share.public_id), tokens[1]]
    return client, headers, samples, secret


def concrete(template: str, samples: dict[str, Any]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(samples[m.group(1)]), template)


def test_every_route_has_a_policy() -> None:
    assert set(all_routes(get_resolver())) ^ set(POLICY) == set()


def test_a_new_route_without_a_policy_fails_the_check() -> None:
    urlconf = types.ModuleType("urlconf_with_a_gap")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("staff/", include("screenplan.clinic.urls")),
        path("staff/export-new/", lambda request: HttpResponse("everything")),
    ]
    assert set(all_routes(get_resolver(urlconf))) - set(POLICY) == {"staff/export-new/"}


@pytest.mark.parametrize("actor", ACTORS)
def test_each_actor_gets_exactly_what_the_policy_allows(actor: str, request: pytest.FixtureRequest) -> None:
    client, headers, samples, secret = setup(actor, request)
    routes = sorted(set(all_routes(get_resolver())), key=lambda t: (t in LAST, LAST.index(t) if t in LAST else 0, t))
    problems, checked = [], 0
    for t in routes:
        url = concrete(t, samples)
        for m in API_METHODS if t.startswith("api/") else ("GET", "POST"):
            kw = {"content_type": "application/json", "data": "{}"} if t.startswith("api/") and m != "GET" else {}
            r = client.generic(m, url, headers=headers, **kw)
            got: Any = r.status_code
            if got == 302:
                got = r["Location"].split("?")[0].replace(str(samples["public_id"]), "<B>")
            want = expected(t, m, actor)
            checked += 1
            if got != want:
                problems.append(f"{actor} {m} {url}: got {got}, expected {want}")
            if actor in ("anonymous", "respondent_a", "a_deleted"):
                body = (b"".join(r.streaming_content) if r.streaming else r.content).decode(errors="replace")
                if leaked := [v for v in secret if v in body]:
                    problems.append(f"{actor} {m} {url}: shows respondent B's {leaked}")
    print(f"{actor}: {checked} requests checked")
    assert not problems, "\n".join(problems)
