"""The actors of the authorization tests, the routes they try, and the canaries that must not come back.

Each actor is a browser (Django's test client) holding exactly the credentials that person or
system really has: respondent A's and B's session cookies and private tokens, a staff
session, an API client token. Both respondents finished a screen through the real pages and
shared it; each share carries a clinician's note. Their contact details, notes, share ids and
tokens are distinctive strings (canaries), so a response that shows someone's data where it
must not is caught by a plain substring search.

The brief's actor "clinician of another clinic" does not exist here: an installation serves
one clinic, so every clinician may see every shared case. There is no read-only staff role
either: reception is the narrowest (contact details and status), and the read-only principal
is an API client with the cases:read scope.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest
from clinic.conftest import CONTACT_A, CONTACT_B, Respondent
from django.contrib.auth.models import User
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver
from pypdf import PdfReader

from screenplan.api.models import ApiClient
from screenplan.assessments.models import Assessment
from screenplan.clinic.models import Note, Share

ACTORS = (
    "anonymous",
    "respondent_a",
    "respondent_b",
    "a_deleted",  # respondent A's browser and token, after A deleted the screen
    "clinician",
    "reception",
    "admin",
    "deactivated",  # a clinician signed in whose account was then deactivated
    "api_read",  # a client of the program's own systems with the cases:read scope
    "api_write",  # a client with the cases:write scope only
)
OWN = {"respondent_a": "a", "respondent_b": "b"}  # whose screen each respondent's browser holds
STAFF_ROLES = ("clinician", "reception", "admin")
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOTES = {"a": "Voicemail left, canary qv3-alpha", "b": "Prefers a call after six, canary kz8-bravo"}
# What each staff actor may see in an allowed (2xx) response of a staff route. Everything else
# (a denial, a respondent page, another kind of data) must show no canary at all.
VISIBLE = {
    "clinician": {"contact", "note", "case id"},
    "reception": {"contact", "case id"},  # contact details and status only: never a note
    "admin": {"case id"},  # accounts and the audit log, whose rows name case ids
    "api_read": {"contact", "case id"},
    "api_write": {"case id"},  # may change a status, not read the case
}


def all_routes(resolver: URLResolver) -> list[str]:
    """Every route template, e.g. 'staff/case/<uuid:public_id>/' or '<lang>/plan/'."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append(prefix + str(p.pattern))

    walk(resolver.url_patterns, "")
    return [re.sub(r"^\^?(en|es)/", "<lang>/", t.lstrip("^").rstrip("$")) for t in found]


@dataclass
class World:
    """One actor's browser and credentials, and the two respondents whose data is at stake."""

    actor: str
    client: Client
    headers: dict[str, str]
    token: str  # the private token this actor holds, or one that is no one's
    respondents: dict[str, Respondent]  # "a", "b"
    screens: dict[str, str]  # "a", "b" -> the assessment's public id
    colin: User  # another clinician: the one assigned, and the account deactivated
    canaries: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # who -> kind -> values

    @property
    def own(self) -> str | None:
        return OWN.get(self.actor)

    def samples(self) -> dict[str, Any]:
        """Values for the route parameters: the case is always respondent B's."""
        b = self.respondents["b"].share.public_id
        return {
            "public_id": b,
            "case_id": b,
            "token": self.token,
            "item_id": "phq9_1",
            "questionnaire_id": "battery",
            "lang": "en",
            "user_id": self.colin.pk,
        }


def prepare(actor: str, request: pytest.FixtureRequest) -> World:
    a: Respondent = request.getfixturevalue("respondent_a")
    b: Respondent = request.getfixturevalue("respondent_b")
    colin: User = request.getfixturevalue("clinician2").user
    tokens, screens = {}, {}
    for who, person in (("a", a), ("b", b)):
        assessment = Assessment.objects.get(pk=person.share.assessment_id)
        tokens[who] = assessment.new_token()  # the private link each respondent would have saved
        assessment.save(update_fields=["token_hash", "updated_at"])
        screens[who] = str(assessment.public_id)
        note = Note(share=person.share, author=colin)
        note.body = NOTES[who]
        note.save()
    canaries = {
        who: {
            "contact": [v for k, v in contact.items() if k in ("name", "phone", "email") and v],
            "note": [NOTES[who]],
            "case id": [str(person.share.public_id)],
            "secret": [tokens[who], screens[who]],
        }
        for who, person, contact in (("a", a, CONTACT_A), ("b", b, CONTACT_B))
    }
    client, headers, token = Client(), {}, secrets.token_urlsafe(32)
    if actor in OWN or actor == "a_deleted":
        who = OWN.get(actor, "a")
        person = a if who == "a" else b
        client, token = person.client, tokens[who]
        headers = {"Authorization": f"Bearer {token}"}
        if actor == "a_deleted":
            assert a.client.post("/en/delete/", {"confirm": "yes"}).status_code == 200
            assert not Assessment.objects.filter(public_id=screens["a"]).exists()
            assert not Share.objects.filter(pk=a.share.pk).exists()
    elif actor.startswith("api_"):
        _, api_token = ApiClient.issue(actor, ["cases:read"] if actor == "api_read" else ["cases:write"])
        headers = {"Authorization": f"Bearer {api_token}"}
    elif actor != "anonymous":
        client = request.getfixturevalue(actor).client
    return World(actor, client, headers, token, {"a": a, "b": b}, screens, colin, canaries)


def concrete(template: str, samples: dict[str, Any]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(samples[m.group(1)]), template)


def outcome(response: HttpResponseBase, case_id: Any) -> int | str:
    """The status, or for a redirect its target path (query ignored; the case id written <B>)."""
    if response.status_code == 302:
        return response["Location"].split("?")[0].replace(str(case_id), "<B>")
    return response.status_code


def text_of(response: HttpResponseBase) -> str:
    """What the response shows: the body, or a PDF's extracted text (its streams are compressed)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    if response.get("Content-Type", "").startswith("application/pdf"):
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return body.decode(errors="replace")


def leaks(world: World, template: str, status: int, body: str) -> list[str]:
    """The canaries in `body` that this actor must not see in this response.

    A respondent sees nothing of the other respondent. Staff and API clients see a kind of
    data only on a staff route they were let into (not a denial: sent to sign in, 401, 403,
    404, 405), only if their role may see that kind, and on one case's route only that case
    (B's), never A's. The token an actor sent itself is not a leak when a page echoes its
    own address back (the language links of the private link's 404 page do).
    """
    let_in = template.startswith(("staff/", "api/v1/staff/")) and status not in (302, 401, 403, 404, 405)
    one_case = "<uuid:public_id>" in template or "<case_id>" in template
    found = []
    for who, kinds in world.canaries.items():
        if who == world.own:
            continue
        for kind, values in kinds.items():
            if let_in and kind in VISIBLE.get(world.actor, ()) and not (one_case and who == "a"):
                continue
            found += [f"{who}'s {kind} {v!r}" for v in values if v in body and v != world.token]
    return found
