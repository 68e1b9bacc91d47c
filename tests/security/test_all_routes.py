"""Authorization matrix: every actor x every route x methods, generated from the URL resolver.

A route without an entry in POLICY fails the test. Requests here carry empty bodies, so they
show who is turned away and how; test_route_effects.py sends the valid requests and shows
that only the allowed actor's request changes anything. Respondent A never sees B's data and
B never sees A's; nobody else sees either, except staff whose role allows it (actors.leaks).
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any

import pytest
from clinic.conftest import CONTACT_B
from django.http import HttpResponse
from django.urls import get_resolver, include, path

from .actors import ACTORS, API_METHODS, NOTES, STAFF_ROLES, all_routes, concrete, leaks, outcome, prepare, text_of

pytestmark = pytest.mark.django_db

LAST = ("api/v1/screen", "<lang>/link/", "<lang>/delete/", "staff/logout/")  # end or rotate a session: run last
L, H, R = "/staff/login/", "/en/", "/en/results/"  # redirect targets (query string ignored)
A, B = "respondent_a", "respondent_b"
# POLICY[route][method] = outcome for every actor, or {actor: outcome, "*": default}. Outcome: status or redirect path.
MINE = {A: 200, B: 200, "*": H}  # respondent-owned pages: only the cookie holder, others go to the landing page


def owners(outcome: Any, others: Any) -> dict[str, Any]:
    """What each respondent gets on their own screen, and what everyone else gets."""
    return {A: outcome, B: outcome, "*": others}


def staff(get: Any, post: Any, roles: tuple[str, ...]) -> dict[str, Any]:
    deny = {r: 403 for r in STAFF_ROLES if r not in roles}
    return {"GET": {"*": L, **deny, **{r: get for r in roles}}, "POST": {"*": L, **deny, **{r: post for r in roles}}}


CASE = "/staff/case/<B>/"
API_READER = {"api_read": 200, "api_write": 403, "*": 401}
POLICY: dict[str, dict[str, Any]] = {
    "<lang>/": {"GET": 200, "POST": 405},
    "<lang>/about-the-questions/": {"GET": 200, "POST": 405},
    "<lang>/patterns/": {"GET": 200, "POST": 405},
    "<lang>/start/": {"GET": 200, "POST": 400},
    "<lang>/link/": {"GET": 405, "POST": H},  # after the respondents deleted their screens over the API
    "<lang>/plan.pdf": {"GET": MINE, "POST": 405},
    "<lang>/plan/": {"GET": MINE, "POST": 405},
    "<lang>/results/": {"GET": MINE, "POST": 405},
    "<lang>/screen/": {"GET": owners(R, H), "POST": owners(400, H)},
    "<lang>/screen/crisis/": {"GET": MINE, "POST": owners(R, H)},
    "<lang>/share/": {"GET": MINE, "POST": MINE},
    "<lang>/share/withdraw/": {"GET": 405, "POST": MINE},
    "<lang>/delete/": {"GET": 200, "POST": 200},
    "healthz": {"GET": 200, "POST": 200},
    # Each respondent opens their own private link; a deleted screen's link and a token that
    # is no one's are both 404, so a link never says whether a screen exists.
    "r/<str:token>/": {"GET": owners(R, 404), "POST": 405},
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
    "api/v1/screen": {"GET": owners(200, 401), "DELETE": owners(204, 401)},
    "api/v1/screen/answers/<item_id>": {"PUT": owners(422, 401)},
    "api/v1/screen/plan": {"GET": owners(200, 401)},
    "api/v1/screen/share": {"POST": owners(422, 401), "DELETE": owners(204, 401)},
    "api/v1/staff/cases": {"GET": API_READER},
    "api/v1/staff/cases/<case_id>": {"GET": API_READER, "PATCH": {"api_read": 422, "api_write": 422, "*": 401}},
    "api/v1/staff/cases/<case_id>/fhir": {"GET": API_READER},
}


def expected(route: str, method: str, actor: str) -> Any:
    want = POLICY[route].get(method, 405)  # an API method not served: 405
    return want.get(actor, want["*"]) if isinstance(want, dict) else want


def test_every_route_has_a_policy() -> None:
    assert set(all_routes(get_resolver())) ^ set(POLICY) == set()


def test_a_new_route_without_a_policy_fails_the_check() -> None:
    urlconf = types.ModuleType("urlconf_with_a_gap")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("staff/", include("screenplan.clinic.urls")),
        path("staff/export-new/", lambda request: HttpResponse("everything")),
    ]
    assert set(all_routes(get_resolver(urlconf))) - set(POLICY) == {"staff/export-new/"}


def test_the_canary_search_finds_what_an_actor_must_not_see(request: pytest.FixtureRequest) -> None:
    staff = prepare("reception", request)
    case, page = "staff/case/<uuid:public_id>/", f"<p>{CONTACT_B['name']}</p><p>{NOTES['b']}</p>"
    assert leaks(staff, case, 200, page) == [f"b's note {NOTES['b']!r}"]  # B's contact, never a note
    assert len(leaks(staff, case, 403, page)) == 2  # a denial shows nothing at all
    assert len(leaks(staff, "<lang>/results/", 200, page)) == 2  # nor does a respondent's page
    assert leaks(staff, case, 200, "<p>Alice Aardvark</p>") == ["a's contact 'Alice Aardvark'"]  # B's case only
    assert len(leaks(dataclasses.replace(staff, actor=A), "<lang>/results/", 200, page)) == 2
    assert leaks(dataclasses.replace(staff, actor=B), "<lang>/results/", 200, page) == []


@pytest.mark.parametrize("actor", ACTORS)
def test_each_actor_gets_exactly_what_the_policy_allows(actor: str, request: pytest.FixtureRequest) -> None:
    world = prepare(actor, request)
    samples = world.samples()
    routes = sorted(set(all_routes(get_resolver())), key=lambda t: (t in LAST, LAST.index(t) if t in LAST else 0, t))
    problems, checked = [], 0
    for t in routes:
        url = concrete(t, samples)
        for m in API_METHODS if t.startswith("api/") else ("GET", "POST"):
            kw = {"content_type": "application/json", "data": "{}"} if t.startswith("api/") and m != "GET" else {}
            r = world.client.generic(m, url, headers=world.headers, **kw)
            got, want = outcome(r, samples["public_id"]), expected(t, m, actor)
            checked += 1
            if got != want:
                problems.append(f"{actor} {m} {url}: got {got}, expected {want}")
            if found := leaks(world, t, r.status_code, text_of(r)):
                problems.append(f"{actor} {m} {url} ({r.status_code}) shows {', '.join(found)}")
    print(f"{actor}: {checked} requests checked")
    assert not problems, "\n".join(problems)
