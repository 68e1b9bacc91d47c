"""Permission as well as denial: every route's valid request, sent by every actor.

test_all_routes.py shows who is turned away. Here each actor sends, in order, the requests an
allowed person sends (a real note, a real status, the owner's own private link, …) and the
database is compared before and after each one: the request of the actor that is allowed
takes effect, exactly as stated in STEPS, and the same request from anyone else changes
nothing. Reads show the allowed actor's own data (e.g. B's plan to B, never A's). Every route
is in STEPS or in PUBLIC, so a new route without its success case fails like one without a
policy. Every response is searched for the canaries the actor must not see (actors.leaks).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import pytest
from clinic.conftest import CONTACT_B
from clinic.helpers import PASSWORD, make_staff
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpResponseBase
from django.urls import get_resolver
from web.helpers import current_rev, form_value
from web.profiles import AT_RISK

from screenplan.assessments.models import Assessment, token_hash
from screenplan.clinic import totp
from screenplan.clinic.models import Note, Role, Share

from .actors import ACTORS, OWN, World, all_routes, concrete, leaks, outcome, prepare, text_of

pytestmark = pytest.mark.django_db

L, H, R, CASE = "/staff/login/", "/en/", "/en/results/", "/staff/case/<B>/"
A, B = "respondent_a", "respondent_b"
CHANGED = object()  # an expected change whose new value is unpredictable (a fresh token's hash)
# Routes that hold nobody's data and change nothing: the same answer for everyone is the policy,
# and test_all_routes.py checks it.
PUBLIC = {
    "<lang>/",
    "<lang>/about-the-questions/",
    "<lang>/patterns/",
    "healthz",
    "api/v1/",
    "api/v1/openapi.json",
    "api/v1/fhir/Questionnaire/<questionnaire_id>",
}
AGAIN = {"a": "Alice Again", "b": "Bruno Again"}  # the names each respondent shares with a second time
SHOWS_OWN_PLAN = {A: "A likely alcohol use disorder", B: "Non-medical opioid use"}  # a finding only that plan has


@dataclass
class Run:
    """One actor's walk through STEPS: the world, plus what earlier steps handed out."""

    world: World
    tess: User
    new_screen_token: str = ""  # from POST /api/v1/screens


@dataclass(frozen=True)
class Step:
    route: str
    method: str
    want: dict[str, Any]  # actor -> status or redirect path; "*" for everyone else
    effect: dict[str, dict[str, Any]] = field(default_factory=dict)  # actor ("*": everyone) -> changed state
    data: Any = None  # form fields or a JSON body, or a function of the Run that makes them
    shows: dict[str, str] = field(default_factory=dict)  # actor ("*": everyone) -> text the response holds
    where: dict[str, Any] = field(default_factory=dict)  # route parameters other than World.samples()
    bearer: str = "own"  # "own": the actor's credentials; "new screen": the token POST /api/v1/screens gave
    prepare: Callable[[Run], None] | None = None  # brings the actor's own state to where the step applies
    then: Callable[[Run, HttpResponseBase], None] | None = None  # keeps what the response handed out


def staff(roles: tuple[str, ...], ok: Any) -> dict[str, Any]:
    """Staff roles in `roles` get `ok`, other roles 403, everyone else is sent to sign in."""
    return {
        "*": L,
        **{r: 403 for r in ("clinician", "reception", "admin") if r not in roles},
        **dict.fromkeys(roles, ok),
    }


def owners(ok: Any, others: Any) -> dict[str, Any]:
    return {A: ok, B: ok, "*": others}


def each(actors: tuple[str, ...], change: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The same change for each of `actors` (a copy each, so no two share one dict)."""
    return {actor: dict(change) for actor in actors}


def each_owner(change: Callable[[str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The change each respondent's request makes to their own screen (who: "a" or "b")."""
    return {actor: change(who) for actor, who in OWN.items()}


def answer_until_crisis(run: Run) -> None:
    """Answer the actor's new screen with a non-acute risk profile until the crisis page is due."""
    client = run.world.client
    for _ in range(40):
        page = client.get("/en/screen/")
        if page.status_code == 302 and page["Location"] == "/en/screen/crisis/":
            return
        html = page.content.decode()
        item = re.search(r'name="item" value="([a-z0-9_]+)"', html)
        assert item, html[:300]
        value = form_value(AT_RISK[item.group(1)])
        client.post("/en/screen/", {"item": item.group(1), "rev": current_rev(html), "value": value})
    raise AssertionError("no crisis page")


def keep_new_link(run: Run, response: HttpResponseBase) -> None:
    if run.world.own:
        match = re.search(r"/r/([A-Za-z0-9_\-]+)/", response.content.decode())
        assert match, "the link page shows the new link"
        run.world.token = match.group(1)  # the old one no longer works
        run.world.headers["Authorization"] = f"Bearer {run.world.token}"


def keep_screen_token(run: Run, response: HttpResponseBase) -> None:
    run.new_screen_token = json.loads(response.content)["token"]


def share_again(channel: str) -> Callable[[Run], dict[str, Any]]:
    def data(run: Run) -> dict[str, Any]:
        name = f"{AGAIN.get(run.world.own or '', 'Someone')} ({channel})"
        return {"consent": True if channel == "api" else "yes", "name": name, "phone": "+1 555 0100 333"}

    return data


def shared_again(channel: str) -> dict[str, dict[str, Any]]:
    return each_owner(lambda who: {f"{who}.shared": f"{AGAIN[who]} ({channel})"})


def gone(who: str) -> dict[str, Any]:
    return {f"{who}.screen": False, f"{who}.link": None, f"{who}.shared": None, f"{who}.status": None}


STEPS = (
    # Reads: the allowed actor sees the data it may see, and its own, never another's.
    Step("<lang>/results/", "GET", owners(200, H), shows=SHOWS_OWN_PLAN),
    Step("<lang>/plan/", "GET", owners(200, H), shows=SHOWS_OWN_PLAN),
    Step("<lang>/plan.pdf", "GET", owners(200, H), shows=SHOWS_OWN_PLAN),
    Step(
        "api/v1/screen/plan",
        "GET",
        owners(200, 401),
        shows={A: '"primary": "integrated"', B: '"primary": "opioid_care"'},
    ),
    Step(
        "staff/",
        "GET",
        staff(("clinician", "reception"), 200),
        shows=dict.fromkeys(("clinician", "reception"), "Bruno"),
    ),
    Step(
        "staff/case/<uuid:public_id>/",
        "GET",
        staff(("clinician", "reception"), 200),
        shows={"clinician": "canary kz8-bravo", "reception": CONTACT_B["phone"]},
    ),
    Step("staff/case/<uuid:public_id>/fhir.json", "GET", staff(("clinician",), 200), shows={"clinician": "Bundle"}),
    Step("staff/export.csv", "GET", staff(("clinician",), 200), shows={"clinician": "Bruno Bittern"}),
    Step(
        "staff/stats/",
        "GET",
        staff(("clinician", "admin"), 200),
        shows=dict.fromkeys(("clinician", "admin"), "by pathway"),
    ),
    Step("staff/audit/", "GET", staff(("admin",), 200), shows={"admin": "signin"}),
    Step("staff/users/", "GET", staff(("admin",), 200), shows={"admin": "colin"}),
    Step("api/v1/staff/cases", "GET", {"api_read": 200, "api_write": 403, "*": 401}, shows={"api_read": '"count": 2'}),
    Step(
        "api/v1/staff/cases/<case_id>",
        "GET",
        {"api_read": 200, "api_write": 403, "*": 401},
        shows={"api_read": "Bruno Bittern"},
    ),
    Step(
        "api/v1/staff/cases/<case_id>/fhir",
        "GET",
        {"api_read": 200, "api_write": 403, "*": 401},
        shows={"api_read": "Bundle"},
    ),
    Step(
        "api/v1/fhir/QuestionnaireResponse/$score",  # scores a response from elsewhere, stores nothing
        "POST",
        {"*": 200},
        data={
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "item": [{"linkId": f"phq9_{n}", "answer": [{"valueInteger": 2}]} for n in range(1, 10)],
        },
        shows={"*": '"total": 18'},
    ),
    # Staff changes to B's case, then an admin's change to an account.
    Step(
        "staff/case/<uuid:public_id>/note/",
        "POST",
        staff(("clinician",), CASE),
        {"clinician": {"b.notes": 2}},
        {"body": "Called back, canary nt5-new"},
    ),
    Step(
        "staff/case/<uuid:public_id>/status/",
        "POST",
        staff(("clinician", "reception"), CASE),
        each(("clinician", "reception"), {"b.status": "contacted"}),
        {"status": "contacted"},
    ),
    Step(
        "staff/case/<uuid:public_id>/assign/",
        "POST",
        staff(("clinician",), CASE),
        {"clinician": {"b.assignee": "colin"}},
        lambda run: {"assignee": run.world.colin.pk},
    ),
    Step(
        "api/v1/staff/cases/<case_id>",
        "PATCH",
        {"api_write": 200, "api_read": 403, "*": 401},
        {"api_write": {"b.status": "closed"}},
        {"status": "closed"},
    ),
    Step(
        "staff/users/<int:user_id>/deactivate/",
        "POST",
        staff(("admin",), "/staff/users/"),
        {"admin": {"colin active": False}},
    ),
    Step("staff/logout/", "POST", {"*": L}, each(("clinician", "reception", "admin"), {"signed in": None})),
    # Each respondent's changes to their own shared screen, over the API and the pages.
    Step(
        "api/v1/screen/share",
        "DELETE",
        owners(204, 401),
        each_owner(lambda who: {f"{who}.shared": None, f"{who}.notes": 0}),  # withdrawing wipes the notes too
    ),
    Step("api/v1/screen/share", "POST", owners(201, 401), shared_again("api"), share_again("api")),
    Step("<lang>/share/withdraw/", "POST", owners(200, H), each_owner(lambda who: {f"{who}.shared": None})),
    Step("<lang>/share/", "POST", owners(200, H), shared_again("web"), share_again("web")),
    Step("r/<str:token>/", "GET", owners(R, 404)),  # the private link the actor holds (a deleted one: 404)
    Step("<lang>/link/", "POST", owners(200, H), each_owner(lambda who: {f"{who}.link": CHANGED}), then=keep_new_link),
    Step("api/v1/screen", "DELETE", owners(204, 401), each_owner(gone)),  # with the new link's token
    # Anyone may start a screen of their own and answer it; it touches nobody else's.
    Step(
        "<lang>/start/",
        "POST",
        {"*": "/en/screen/"},
        {"*": {"own answers": 0, "own safety": "none"}},
        {"consent": "yes"},
    ),
    Step(
        "<lang>/screen/",
        "POST",
        {"*": "/en/screen/"},
        {"*": {"own answers": 1}},
        {"item": "age", "rev": "0", "value": "35"},
    ),
    Step(
        "<lang>/screen/crisis/",
        "POST",
        {"*": "/en/screen/"},
        {"*": {"own safety": "non_acute"}},
        {"safe": "yes"},
        prepare=answer_until_crisis,
    ),
    Step("<lang>/delete/", "POST", {"*": 200}, {"*": {"own answers": None, "own safety": None}}),
    Step("api/v1/screens", "POST", {"*": 201}, {"*": {"api answers": 0}}, {"language": "en"}, then=keep_screen_token),
    Step(
        "api/v1/screen/answers/<item_id>",
        "PUT",
        {"*": 200},
        {"*": {"api answers": 1}},
        {"value": 35},
        where={"item_id": "age"},  # the first question
        bearer="new screen",
    ),
    # Anyone with a staff member's password and code signs in as that staff member.
    Step(
        "staff/login/", "POST", {"*": "/staff/login/code/"}, data=lambda run: {"username": "tess", "password": PASSWORD}
    ),
    Step(
        "staff/login/code/",
        "POST",
        {"*": "/staff/"},
        {"*": {"signed in": "tess"}},
        lambda run: {"code": totp.code_at(run.tess.staff.totp_secret or "", int(time.time()) // 30)},
    ),
)


def state(run: Run) -> dict[str, Any]:
    """What the steps may change: both respondents' screens and shares, an account, the actor's session."""
    world = run.world
    found: dict[str, Any] = {}
    for who, public_id in world.screens.items():
        screen = Assessment.objects.filter(public_id=public_id).first()
        share = Share.objects.filter(assessment__public_id=public_id).select_related("assignee").first()
        found[f"{who}.screen"] = screen is not None
        found[f"{who}.link"] = screen.token_hash if screen else None
        found[f"{who}.shared"] = share.contact.get("name") if share and share.withdrawn_at is None else None
        found[f"{who}.status"] = share.status if share else None
        found[f"{who}.assignee"] = share.assignee.username if share and share.assignee else None
        found[f"{who}.notes"] = Note.objects.filter(share__assessment__public_id=public_id).count()
    found["colin active"] = User.objects.get(pk=world.colin.pk).is_active
    cookie = world.client.cookies.get(settings.SESSION_COOKIE_NAME)  # read it without making one
    session = import_module(settings.SESSION_ENGINE).SessionStore(cookie.value) if cookie and cookie.value else {}
    user = User.objects.filter(pk=session.get("_auth_user_id") or 0, is_active=True).first()
    found["signed in"] = user.username if user else None
    current = session.get("assessment")
    mine = (
        Assessment.objects.filter(public_id=current).first() if current not in (None, *world.screens.values()) else None
    )
    found["own answers"] = mine.revision if mine else None
    found["own safety"] = mine.safety_shown if mine else None
    api = (
        Assessment.objects.filter(token_hash=token_hash(run.new_screen_token)).first() if run.new_screen_token else None
    )
    found["api answers"] = api.revision if api else None
    return found


def send(run: Run, step: Step) -> HttpResponseBase:
    world = run.world
    url = concrete(step.route, {**world.samples(), **step.where})
    data = step.data(run) if callable(step.data) else step.data
    headers = dict(world.headers)
    if step.bearer == "new screen":
        headers["Authorization"] = f"Bearer {run.new_screen_token}"
    if step.route.startswith("api/") and step.method != "GET":
        body = "" if data is None else json.dumps(data)
        return world.client.generic(step.method, url, body, content_type="application/json", headers=headers)
    if step.method == "POST":
        return world.client.post(url, data or {}, headers=headers)
    return world.client.generic(step.method, url, headers=headers)


def test_every_route_has_a_success_case_or_is_public() -> None:
    assert set(all_routes(get_resolver())) ^ ({s.route for s in STEPS} | PUBLIC) == set()
    assert not {s.route for s in STEPS} & PUBLIC


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_allowed_actors_request_takes_effect(actor: str, request: pytest.FixtureRequest) -> None:
    tess = make_staff("tess", Role.CLINICIAN)  # signs in with a password and a code
    tess.staff.totp_secret = totp.new_secret()
    tess.staff.totp_confirmed = True
    tess.staff.save()
    run = Run(prepare(actor, request), tess)
    problems, changes = [], 0
    for step in STEPS:
        if step.prepare:
            step.prepare(run)
        before = state(run)
        response = send(run, step)
        if step.then and response.status_code < 300:
            step.then(run, response)
        after = state(run)
        label = f"{actor} {step.method} {step.route}"
        got, want = outcome(response, run.world.samples()["public_id"]), step.want.get(actor, step.want.get("*"))
        if got != want:
            problems.append(f"{label}: got {got}, expected {want}")
        changed = {k: v for k, v in after.items() if v != before[k]}
        expected = step.effect.get(actor, step.effect.get("*", {}))
        if {k: CHANGED if expected.get(k) is CHANGED else v for k, v in changed.items()} != expected:
            problems.append(f"{label}: changed {changed or 'nothing'}, expected {expected or 'nothing'}")
        changes += bool(changed)
        body = text_of(response)
        if (shown := step.shows.get(actor, step.shows.get("*"))) and shown not in body:
            problems.append(f"{label}: does not show {shown!r}")
        if found := leaks(run.world, step.route, response.status_code, body):
            problems.append(f"{label} ({response.status_code}) shows {', '.join(found)}")
    print(f"{actor}: {len(STEPS)} valid requests, {changes} took effect")
    assert not problems, "\n".join(problems)
