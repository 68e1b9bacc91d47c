"""Who reaches which staff page: a matrix generated from the URL resolver.

Every route under /staff/ must carry a policy (`staff_roles`, set by clinic.access.staff_view)
or be one of the few public sign-in routes; a new staff route without one fails here.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLResolver, get_resolver, include, path

from screenplan.clinic.models import Role, Share

from .conftest import A_LABEL, A_QUESTION, Respondent, Staff
from .helpers import make_staff

pytestmark = pytest.mark.django_db

CLINICIAN, RECEPTION, ADMIN = Role.CLINICIAN.value, Role.RECEPTION.value, Role.ADMIN.value
PUBLIC = {"staff_signin", "staff_code", "staff_signout"}  # signing in and out: open to anyone


@dataclass(frozen=True)
class Policy:
    roles: frozenset[str]
    method: str  # the one method the route serves
    allowed: int  # the status an allowed actor gets for that method with an empty form


POLICIES = {
    "staff_queue": Policy(frozenset({CLINICIAN, RECEPTION}), "GET", 200),
    "staff_case": Policy(frozenset({CLINICIAN, RECEPTION}), "GET", 200),
    "staff_note": Policy(frozenset({CLINICIAN}), "POST", 400),
    "staff_status": Policy(frozenset({CLINICIAN, RECEPTION}), "POST", 400),
    "staff_assign": Policy(frozenset({CLINICIAN}), "POST", 302),
    "staff_stats": Policy(frozenset({CLINICIAN, ADMIN}), "GET", 200),
    "staff_audit": Policy(frozenset({ADMIN}), "GET", 200),
    "staff_users": Policy(frozenset({ADMIN}), "GET", 200),
    "staff_deactivate": Policy(frozenset({ADMIN}), "POST", 302),
    "staff_case_fhir": Policy(frozenset({CLINICIAN}), "GET", 200),
    "staff_export": Policy(frozenset({CLINICIAN}), "GET", 200),
}
CASE_PAGES = {
    "staff_queue",
    "staff_case",
    "staff_note",
    "staff_status",
    "staff_assign",
    "staff_case_fhir",
    "staff_export",
}
# None: not signed-in staff (a respondent's session is not a staff session).
ACTORS: dict[str, str | None] = {
    "anonymous": None,
    "respondent_a": None,
    "respondent_b": None,
    "deactivated": None,
    "clinician": CLINICIAN,
    "reception": RECEPTION,
    "admin": ADMIN,
}


@dataclass(frozen=True)
class Route:
    template: str
    name: str | None
    view: Callable[..., Any]


def staff_routes(resolver: URLResolver) -> list[Route]:
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                found.append(Route(prefix + str(p.pattern), p.name, p.callback))

    walk(resolver.url_patterns, "")
    return [r for r in found if r.template.startswith("staff/")]


def without_policy(routes: list[Route]) -> list[str]:
    return [r.template for r in routes if not hasattr(r.view, "staff_roles") and r.name not in PUBLIC]


def concrete(template: str, samples: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        assert match.group(1) in samples, f"add a sample value for {match.group(0)} in {template}"
        return str(samples[match.group(1)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, template)


def test_every_staff_route_declares_a_policy_or_is_a_public_sign_in_route() -> None:
    routes = staff_routes(get_resolver())
    assert without_policy(routes) == []
    protected = {r.name: r for r in routes if hasattr(r.view, "staff_roles")}
    assert set(protected) == set(POLICIES), "a staff route needs its expected policy in POLICIES"
    assert {r.name for r in routes} - set(protected) == PUBLIC
    for name, route in protected.items():
        assert {str(role) for role in route.view.staff_roles} == POLICIES[name].roles, name


def test_a_new_staff_route_without_a_policy_fails_the_check() -> None:
    def export(request: Any) -> HttpResponse:
        return HttpResponse("everything")

    urlconf = types.ModuleType("urlconf_with_a_gap")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("staff/", include("screenplan.clinic.urls")),
        path("staff/export-new/", export, name="staff_export_new"),
    ]
    assert without_policy(staff_routes(get_resolver(urlconf))) == ["staff/export-new/"]


def outcome(response: HttpResponse, url: str) -> int | str:
    if response.status_code == 302 and response["Location"] == f"/staff/login/?next={url}":
        return "login"
    return response.status_code


def expected(role: str | None, policy: Policy, method: str) -> int | str:
    if role is None:
        return "login"
    if role not in policy.roles:
        return 403
    return policy.allowed if method == policy.method else 405


def secrets_of(a: Respondent) -> dict[str, str]:
    return {"name": a.contact["name"], "phone": a.contact["phone"], "question": A_QUESTION, "answer": A_LABEL}


def may_show(role: str | None, route: str, got: int | str) -> set[str]:
    """Which of respondent A's data this response may contain."""
    if got in ("login", 403, 405) or route not in CASE_PAGES:
        return set()
    return {"name", "phone", "question", "answer"} if role == CLINICIAN else {"name", "phone"}


@pytest.mark.parametrize("actor", ACTORS)
def test_each_actor_gets_exactly_what_the_policy_allows_on_every_staff_route(
    actor: str, request: pytest.FixtureRequest, respondent_a: Respondent
) -> None:
    persona = request.getfixturevalue(actor)
    client: Client = persona.client if isinstance(persona, Staff | Respondent) else persona
    role = ACTORS[actor]
    samples = {"public_id": respondent_a.share.public_id, "user_id": make_staff("sam", Role.CLINICIAN).pk}
    secrets = secrets_of(respondent_a)
    checked, problems = 0, []
    for route in staff_routes(get_resolver()):
        if route.name in PUBLIC:
            continue
        url = concrete(route.template, samples)
        for method in ("GET", "POST"):
            response = client.get(url) if method == "GET" else client.post(url, {})
            got, want = outcome(response, url), expected(role, POLICIES[str(route.name)], method)
            checked += 1
            if got != want:
                problems.append(f"{method} {url}: got {got}, expected {want}")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            page = body.decode()
            leaked = [k for k, v in secrets.items() if v in page and k not in may_show(role, str(route.name), got)]
            if leaked:
                problems.append(f"{method} {url}: shows respondent A's {leaked}")
    assert checked == 2 * len(POLICIES)
    assert not problems, "\n".join(problems)


def test_the_public_sign_in_routes_open_for_anyone_and_show_no_case_data(
    anonymous: Client, respondent_a: Respondent
) -> None:
    expect = {
        ("GET", "/staff/login/"): (200, None),
        ("POST", "/staff/login/"): (400, None),
        ("GET", "/staff/login/code/"): (302, "/staff/login/"),
        ("POST", "/staff/login/code/"): (302, "/staff/login/"),
        ("GET", "/staff/logout/"): (405, None),
        ("POST", "/staff/logout/"): (302, "/staff/login/"),
    }
    for client in (anonymous, respondent_a.client):
        for (method, url), (status, location) in expect.items():
            response = client.get(url) if method == "GET" else client.post(url, {})
            assert response.status_code == status, (method, url)
            assert response.get("Location") == location, (method, url)
            page = response.content.decode()
            assert all(v not in page for v in secrets_of(respondent_a).values()), (method, url)


def test_reception_sees_contact_and_status_but_never_answers_or_the_plan(
    reception: Staff, respondent_a: Respondent
) -> None:
    page = reception.client.get(respondent_a.case_url).content.decode()
    for shown in ("Alice Aardvark", "+1 555 0100 111", "alice.aardvark@example.org", "Weekday mornings"):
        assert shown in page
    for hidden in (A_QUESTION, A_LABEL, "The plan as the person saw it", "Your recommended pathway", "R-FIND-"):
        assert hidden not in page
    assert 'action="/staff/case/' in page and "/status/" in page  # the status form is there
    assert "/note/" not in page and "/assign/" not in page
    response = reception.client.post(f"{respondent_a.case_url}status/", {"status": "contacted"})
    assert response.status_code == 302 and response["Location"] == respondent_a.case_url
    assert Share.objects.get(pk=respondent_a.share.pk).status == "contacted"


def test_reception_cannot_sort_the_queue_by_clinical_pathway(
    reception: Staff, clinician: Staff, respondent_a: Respondent, respondent_b: Respondent
) -> None:
    url = "/staff/?pathway=opioid_care&status=all"
    seen_by_clinician = clinician.client.get(url).content.decode()
    assert "Bruno Bittern" in seen_by_clinician and "Alice Aardvark" not in seen_by_clinician
    seen_by_reception = reception.client.get(url).content.decode()
    # The filter is ignored for reception: filtering would tell them who is on which pathway.
    assert "Bruno Bittern" in seen_by_reception and "Alice Aardvark" in seen_by_reception
    assert "opioid_care" not in seen_by_reception and "integrated" not in seen_by_reception
