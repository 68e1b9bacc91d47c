"""Stored XSS: a canary in every free-text field, shown escaped on every staff page and export.

Staff read what strangers typed (the contact details of a shared screen), what colleagues typed
(notes, usernames), what the program's API clients are called, and what anyone typed at the
sign-in form or into a staff API address (the audit log keeps both). One `|safe`, one HTML string
built by hand or one export that forgets its quoting would run a stranger's script in a
clinician's session, or a formula on a clinician's computer. So every such field gets its own
canary (script elements, attribute break-outs, `javascript:` URLs, template text, spreadsheet
formulas), stored the way a real person stores it, and then:

- every staff route the URL resolver knows is visited as clinician, reception and admin: its GET
  and the POSTs that send a page back with an error. A staff route with no visit here, or with
  a URL parameter this file cannot fill, fails the test;
- no HTML response holds a raw payload, a script element, an `on…` attribute or a `javascript:`
  URL, and every response carries a CSP whose script-src (or default-src) allows no inline script;
- each field's escaped form is on the pages that show it, so a pass means "shown, escaped" and
  never just "absent";
- the CSV quotes every cell that starts like a formula and gives the planted values back exactly;
  JSON (FHIR, the staff API) is served as JSON with nosniff and holds canaries only inside
  strings; the PDF carries the program's name as text and has no script or actions;
- the respondent's own pages, in both languages, with the branding settings set to canaries.

Each detector is first shown to fire on broken input (the negative controls at the end), so a
pass cannot come from a blind check. tests/browser/test_staff_xss.py shows Chromium runs nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import sys
import types
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from clinic.conftest import Respondent, finish_and_share
from clinic.helpers import make_staff, sign_in, signed_in_client
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import models
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import get_resolver, include, path
from django.utils.html import escape
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject
from web.helpers import answer_all, start
from web.profiles import INTEGRATED, OPIOIDS

from screenplan.api.models import ApiClient
from screenplan.api.schemas import ContactIn
from screenplan.assessments.models import Assessment
from screenplan.clinic.handoff import read_contact
from screenplan.clinic.models import Role
from screenplan.engine import load_content
from screenplan.exports.csv import COLUMNS, safe_cell
from screenplan.site.branding import _url
from screenplan.site.security import CSP

from .test_all_routes import all_routes

pytestmark = pytest.mark.django_db

# --- The canaries ---------------------------------------------------------------------------
# Each names its own field in window.__xss or alert(), so a hit in a browser says where it came
# from. Lengths stay inside what each field keeps (contact name and best time: 100; audit
# object: 64), so the exact escaped form must appear wherever the field is shown.

CANARIES: dict[str, str] = {
    # A respondent's contact details, typed into the share form (POST /en/share/)...
    "form.name": '=HYPERLINK("http://x.invalid/n","n")<script>window.__xss="form.name"</script>',
    "form.phone": "-2+3 (555) 0100",  # the phone pattern allows only formula characters
    "form.email": "-1+1\"><svg/onload=window.__xss='form.email'>@x.invalid",
    "form.best_time": '\0=1+1"><img src=x onerror="window.__xss=\'form.best_time\'">{{ program_name }}',
    # ...and sent by a kiosk or app over the JSON API (POST /api/v1/screen/share).
    "api.name": "+cmd|' /C calc'!A0<img src=x onerror=alert('api.name')>",
    "api.phone": "+1 (555) 0100 222",
    "api.email": "=1+1'><script>window.__xss='api.email'</script>@x.invalid",
    "api.best_time": "@SUM(1+1)*cmd|' /C calc'!A0 javascript:alert('api.best_time') {% debug %}",
    # A clinician's note on a case.
    "note": '<script>window.__xss="note"</script>"><img src=x onerror=alert("note")> javascript:alert(1) {{ request }}',
    # Staff usernames: `createstaff` applies no username validator. Shown in the navigation, the
    # queue, assignment lists, history, notes, users, audit log and the CSV's assignee column.
    "user.clinician": '=cli<script>window.__xss="user.clinician"</script>',
    "user.reception": "-rec\"><img src=x onerror=window.__xss='user.reception'>",
    "user.admin": "@adm'><svg onload=window.__xss='user.admin'>",
    # An API client's name (`createapiclient`): the actor of its audit rows ("api:NAME").
    "api_client": '<script>window.__xss="api_client"</script>',
    # Typed by anyone and kept in the audit log's object column: a case id in a staff API
    # address, and a username at the sign-in form (also sent straight back on that form).
    "audit.case_id": "<img src=x onerror=window.__xss='audit.case_id'>",
    "audit.signin": "\"><script>window.__xss='audit.signin'</script>",
}
# Clinic branding (SCREENPLAN_PROGRAM_* and crisis numbers): the operator's text on every page.
BRANDING: dict[str, str] = {
    "PROGRAM_NAME": 'Clinic<script>window.__xss="PROGRAM_NAME"</script>',
    "PROGRAM_CONTACT": "Call us\"><img src=x onerror=window.__xss='PROGRAM_CONTACT'>",
    "PROGRAM_CONTACT_URL": "/book/\"><script>window.__xss='PROGRAM_CONTACT_URL'</script>",
    "PROGRAM_LOGO_URL": "/static/logo.png\"><script>window.__xss='PROGRAM_LOGO_URL'</script>",
    "CRISIS_CALL": "988\"><script>window.__xss='CRISIS_CALL'</script>",
    "CRISIS_TEXT": "741741'><svg onload=window.__xss='CRISIS_TEXT'>",
    "CRISIS_TEXT_BODY": "HOME&body=<b>CRISIS_TEXT_BODY</b>",
    "EMERGENCY": "911<img src=x onerror=window.__xss='EMERGENCY'>",
}
# Stored on every staff account but shown nowhere: they must never appear, raw or escaped.
HIDDEN: dict[str, str] = {
    "first_name": "<script>window.__xss='first_name'</script>",
    "last_name": "\"><img src=x onerror=window.__xss='last_name'>",
    "email": "<svg onload=window.__xss='staff_email'>@x.invalid",
}
PAYLOADS: dict[str, str] = {**CANARIES, **BRANDING}
ROLES = ("clinician", "reception", "admin")
WRONG_PASSWORD = "not-the-password-at-all"  # noqa: S105 (a deliberately wrong password)

# --- Detectors ------------------------------------------------------------------------------

HTML_SPECIAL = re.compile(r"[<>\"'&]")


def raw_payloads(text: str, payloads: dict[str, str] = PAYLOADS) -> list[str]:
    """Names of payloads that stand in `text` unescaped (only those that escaping would change)."""
    return [name for name, p in payloads.items() if HTML_SPECIAL.search(p) and p in text]


def scheme(url: str) -> str:
    """A URL's scheme as a browser reads it: leading spaces and controls skipped, tabs and newlines dropped."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("".join(chr(c) for c in range(33)))
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", cleaned)
    return match.group(1).lower() if match else ""


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "background"}
NEVER_TAGS = {"script", "iframe", "object", "embed", "base", "frame"}  # no page has any


class _Markup(HTMLParser):
    """Collects markup that could run script: what a payload that escaped escaping turns into."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in NEVER_TAGS:
            self.found.append(f"<{tag}> element")
        if tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            self.found.append("<meta http-equiv>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            elif name in URL_ATTRIBUTES and value and scheme(value) in ("javascript", "vbscript", "data"):
                self.found.append(f"<{tag} {name}={value[:40]!r}>")


def active_markup(html: str) -> list[str]:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.found


UNSAFE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "blob:", "http:", "https:"}


def csp_problems(policy: str | None) -> list[str]:
    """What lets inline or foreign script run under this Content-Security-Policy header."""
    if not policy:
        return ["no Content-Security-Policy header"]
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])  # the first one counts
    problems = []
    script = directives.get("script-src", directives.get("default-src"))
    if script is None:
        problems.append("neither script-src nor default-src")
    for name, sources in [("script-src", script or [])] + [
        (d, directives[d]) for d in ("script-src-elem", "script-src-attr") if d in directives
    ]:
        problems += [f"{name} allows {s}" for s in sources if s in UNSAFE_SOURCES]
    return problems


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")  # OWASP's list, with NUL from ASVS 1.2.10


def neutralised(value: str) -> str:
    """How a planted value must come back from the CSV export."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def formula_cells(text: str) -> list[str]:
    """Cells a spreadsheet would run as a formula."""
    return [
        f"line {i + 1}, {COLUMNS[j] if j < len(COLUMNS) else j}: {cell[:40]!r}"
        for i, row in enumerate(csv_rows(text))
        for j, cell in enumerate(row)
        if cell.startswith(FORMULA_START)
    ]


JSON_TYPES = {"application/json", "application/fhir+json", "application/problem+json"}


def strings_emptied(value: Any) -> Any:
    """The JSON structure with every string value emptied (keys kept)."""
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return [strings_emptied(v) for v in value]
    if isinstance(value, dict):
        return {k: strings_emptied(v) for k, v in value.items()}
    return value


def json_problems(body: bytes, content_type: str) -> list[str]:
    """A JSON body must be served as JSON and carry markup only inside string values."""
    problems = []
    if content_type.split(";")[0].strip().lower() not in JSON_TYPES:
        problems.append(f"JSON served as {content_type!r}")
    try:
        skeleton = json.dumps(strings_emptied(json.loads(body)))
    except ValueError as exc:
        return [*problems, f"not JSON: {exc}"]
    if re.search(r"[<>]|__xss|alert\(", skeleton):
        problems.append(f"markup outside a JSON string: {skeleton[:120]}")
    return problems


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _resolve(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def pdf_active_content(data: bytes) -> list[str]:
    """Script, automatic actions and non-web links anywhere in a PDF's catalogue and pages."""
    reader = PdfReader(io.BytesIO(data))
    catalog = _resolve(reader.trailer["/Root"])
    found = [key for key in ("/AA", "/AcroForm") if key in catalog]
    opening = _resolve(catalog.get("/OpenAction"))
    if isinstance(opening, DictionaryObject) and opening.get("/S") != "/GoTo":
        found.append(f"/OpenAction {opening.get('/S')}")  # a destination array (where to open) is fine
    names = _resolve(catalog.get("/Names"))
    if isinstance(names, DictionaryObject) and "/JavaScript" in names:
        found.append("/Names /JavaScript")
    for number, page in enumerate(reader.pages, 1):
        if "/AA" in page:
            found.append(f"page {number} /AA")
        for annot in _resolve(page.get("/Annots")) or []:
            action = _resolve(_resolve(annot).get("/A"))
            if action is None:
                continue
            kind = action.get("/S")
            uri = str(action.get("/URI", ""))
            if kind not in ("/URI", "/GoTo") or (
                kind == "/URI" and scheme(uri) not in ("http", "https", "mailto", "tel")
            ):
                found.append(f"page {number} link action {kind} {uri[:40]!r}")
    return found


def escaped_in(name: str, text: str) -> bool:
    return escape(PAYLOADS[name]) in text


# --- Staff routes and how to visit each ------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    method: str = "GET"
    data: tuple[tuple[str, str], ...] = ()
    pending: bool = False  # as a person between password and two-factor code (TOTP required)


GET = Visit()
# Every staff route: its GET, plus the POSTs that send a page back with what is stored (a
# refused form re-renders the case or user list). Nothing here changes stored data: the only
# sign-out is a GET (405), the only deactivation is of one's own account (refused).
STAFF_VISITS: dict[str, tuple[Visit, ...]] = {
    "staff/": (GET,),
    "staff/login/": (GET, Visit("POST", (("username", CANARIES["audit.signin"]), ("password", WRONG_PASSWORD)))),
    "staff/login/code/": (GET, Visit(pending=True), Visit("POST", (("code", "000000"),), pending=True)),
    "staff/logout/": (GET,),
    "staff/case/<uuid:public_id>/": (GET,),
    "staff/case/<uuid:public_id>/note/": (GET, Visit("POST", (("body", ""),))),
    "staff/case/<uuid:public_id>/status/": (GET, Visit("POST", (("status", "no-such-status"),))),
    "staff/case/<uuid:public_id>/assign/": (GET, Visit("POST", (("assignee", "nobody"),))),
    "staff/case/<uuid:public_id>/fhir.json": (GET,),
    "staff/export.csv": (GET,),
    "staff/stats/": (GET,),
    "staff/audit/": (GET,),
    "staff/users/": (GET,),
    "staff/users/<int:user_id>/deactivate/": (GET, Visit("POST")),
}
SAMPLE_KEYS = {"public_id", "user_id", "case_id"}  # both shared cases; the visitor's own account
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

CONTACT = {"form.name", "form.phone", "form.email", "api.name", "api.phone", "api.email"}
CONTACT_ALL = CONTACT | {"form.best_time", "api.best_time"}
STAFF_NAMES = {"user.clinician", "user.reception", "user.admin"}
CASE = "staff/case/<uuid:public_id>/"
# Where each canary must be shown, escaped, per role and route (over all of the route's visits).
# PROGRAM_NAME is checked on every HTML page with a body, for everyone.
SHOWN: dict[str, dict[str, set[str]]] = {
    "clinician": {
        "staff/": CONTACT | {"user.clinician"},
        CASE: CONTACT_ALL | {"note", "user.clinician"},
        CASE + "note/": CONTACT_ALL | {"note", "user.clinician"},
        CASE + "status/": CONTACT_ALL | {"note", "user.clinician"},
        CASE + "assign/": CONTACT_ALL | {"note", "user.clinician"},
        "staff/login/": {"audit.signin"},
        "staff/stats/": {"user.clinician"},
    },
    "reception": {
        "staff/": CONTACT | {"user.clinician", "user.reception"},
        CASE: CONTACT_ALL | {"user.clinician", "user.reception"},
        CASE + "status/": CONTACT_ALL | {"user.clinician", "user.reception"},
        "staff/login/": {"audit.signin"},
    },
    "admin": {
        "staff/audit/": STAFF_NAMES | {"api_client", "audit.case_id", "audit.signin"},
        "staff/users/": STAFF_NAMES,
        "staff/users/<int:user_id>/deactivate/": STAFF_NAMES,
        "staff/login/": {"audit.signin", "user.admin"},
    },
}


def staff_routes(resolver: Any) -> list[str]:
    return sorted(t for t in all_routes(resolver) if t.startswith("staff/"))


def uncovered(routes: list[str]) -> list[str]:
    """Staff routes this file cannot visit, or whose URL parameters it cannot fill."""
    gaps = []
    for route in routes:
        if route not in STAFF_VISITS:
            gaps.append(f"{route}: no visit in STAFF_VISITS")
        gaps += [f"{route}: nothing to fill <{p}> with" for p in PARAM.findall(route) if p not in SAMPLE_KEYS]
    return gaps


def concrete(template: str, samples: dict[str, list[str]]) -> list[str]:
    """Every URL of a route template, one per combination of sample values."""
    params = PARAM.findall(template)
    return [
        fill(template, dict(zip(params, combo, strict=True)))
        for combo in itertools.product(*(samples[p] for p in params))
    ]


def fill(template: str, values: dict[str, str]) -> str:
    return "/" + PARAM.sub(lambda m: values[m.group(1)], template)


# --- Planting ----------------------------------------------------------------------------------


@dataclass
class Reply:
    """One response, read whole (streamed ones too)."""

    label: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @classmethod
    def of(cls, label: str, response: HttpResponse) -> Reply:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return cls(label, response.status_code, dict(response.headers), body)


@dataclass
class World:
    staff: dict[str, tuple[User, Client]]
    respondent: Respondent  # shared through the form
    respondent_token: str
    cases: list[str]  # public ids: the form share, the API share
    api: Client  # the staff API client named after a canary
    reflected: list[Reply]  # responses that send typed text straight back

    def samples(self, role: str) -> dict[str, list[str]]:
        own = str(self.staff[role][0].pk)
        return {"public_id": self.cases, "case_id": self.cases, "user_id": [own]}


def api_share(token: str, contact: dict[str, Any]) -> HttpResponse:
    return Client().post(
        "/api/v1/screen/share",
        json.dumps({"consent": True, **contact}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def fresh_token(assessment_public_id: str) -> str:
    assessment = Assessment.objects.get(public_id=assessment_public_id)
    token = assessment.new_token()
    assessment.save(update_fields=["token_hash", "updated_at"])
    return token


@pytest.fixture
def world(db: None, settings: Any) -> World:
    """Every canary stored through the way a person stores it; staff signed in through the form."""
    for name, value in BRANDING.items():
        setattr(settings, name, value)
    staff: dict[str, tuple[User, Client]] = {}
    for role in ROLES:
        user = make_staff(CANARIES[f"user.{role}"], role)
        for column, value in HIDDEN.items():
            setattr(user, column, value)
        user.save(update_fields=list(HIDDEN))
        staff[role] = (user, signed_in_client(user.username))

    a = finish_and_share(
        INTEGRATED,
        {
            "name": CANARIES["form.name"],
            "phone": CANARIES["form.phone"],
            "email": CANARIES["form.email"],
            "best_time": CANARIES["form.best_time"],
            "leave_message": "yes",
        },
    )
    assert a.share.contact["best_time"] == CANARIES["form.best_time"], "the share form keeps what was typed"

    # Respondent B finishes, sends the share form without consent (it comes back with what was
    # typed), then shares over the API.
    b = Client()
    start(b)
    answer_all(b, OPIOIDS)
    api_contact = {k: CANARIES[f"api.{k}"] for k in ("name", "phone", "email", "best_time")}
    refused = Reply.of("POST /en/share/ without consent", b.post("/en/share/", api_contact))
    assert refused.status == 400, refused.status
    b_token = fresh_token(b.session["assessment"])
    shared = api_share(b_token, api_contact)
    assert shared.status_code == 201, shared.content
    b_case = str(Assessment.objects.get(public_id=b.session["assessment"]).share.public_id)

    clinician, clinician_client = staff["clinician"]
    case = f"/staff/case/{a.share.public_id}/"
    for form, data in (("note/", {"body": CANARIES["note"]}), ("assign/", {"assignee": str(clinician.pk)})):
        assert clinician_client.post(case + form, data).status_code == 302, form
    assert clinician_client.post(case + "status/", {"status": "contacted"}).status_code == 302

    _, api_token = ApiClient.issue(CANARIES["api_client"], ["cases:read"])
    api = Client(headers={"Authorization": f"Bearer {api_token}"})
    assert api.get("/api/v1/staff/cases").status_code == 200
    assert api.get("/api/v1/staff/cases/" + quote(CANARIES["audit.case_id"], safe="")).status_code == 404
    stranger = Reply.of("POST /staff/login/", sign_in(Client(), CANARIES["audit.signin"], WRONG_PASSWORD))
    assert stranger.status == 400, stranger.status

    return World(
        staff=staff,
        respondent=a,
        respondent_token=fresh_token(a.client.session["assessment"]),
        cases=[str(a.share.public_id), b_case],
        api=api,
        reflected=[refused, stranger],
    )


def visit(world: World, role: str, url: str, how: Visit) -> Reply:
    """One request as `role`: signed in, or (pending) between the password and the TOTP code."""
    user, client = world.staff[role]
    label = f"{role} {how.method}{' (signing in)' if how.pending else ''} {url}"
    if not how.pending:
        return Reply.of(label, client.generic(how.method, url, _form(how.data), _FORM))
    pending = Client()
    with override_settings(REQUIRE_TOTP=True):
        response = sign_in(pending, user.username)
        assert response.status_code == 302 and response["Location"] == "/staff/login/code/", label
        return Reply.of(label, pending.generic(how.method, url, _form(how.data), _FORM))


_FORM = "application/x-www-form-urlencoded"


def _form(data: tuple[tuple[str, str], ...]) -> str:
    return "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in data)


def pages_of(world: World, role: str, url: str, how: Visit) -> Iterator[Reply]:
    """The response, and every further page of it that its own pagination links reach."""
    first = visit(world, role, url, how)
    yield first
    if how != GET or first.status != 200 or "html" not in first.content_type:
        return
    seen, todo = {url}, [first]
    while todo:
        links = re.findall(r'href="(\?[^"]*\bpage=\d+[^"]*)"', todo.pop().text)
        for link in (url.split("?")[0] + unescape(link) for link in links):
            if link not in seen and len(seen) < 40:
                seen.add(link)
                page = visit(world, role, link, GET)
                todo.append(page)
                yield page


# --- Checks on every response ------------------------------------------------------------------


def problems_in(reply: Reply) -> list[str]:
    """Everything wrong with one response, each prefixed with where it was seen."""
    found: list[str] = []
    if reply.status >= 500:
        found.append(f"status {reply.status}")
    found += csp_problems(reply.headers.get("Content-Security-Policy"))
    if reply.headers.get("X-Content-Type-Options") != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    kind = reply.content_type.split(";")[0].strip().lower()
    if not reply.body:
        pass
    elif kind == "text/html":
        text = reply.text
        found += [f"raw {name}" for name in raw_payloads(text)]
        found += [f"active markup {m}" for m in active_markup(text)]
        found += [f"shows hidden {c}" for c, p in HIDDEN.items() if p in text or escape(p) in text]
        if reply.status in (200, 400, 403) and not escaped_in("PROGRAM_NAME", text):
            found.append("program name not shown escaped")
    elif kind in JSON_TYPES:
        found += json_problems(reply.body, reply.content_type)
    elif kind == "text/csv":
        found += formula_cells(reply.text)
    elif kind == "application/pdf":
        found += pdf_active_content(reply.body)
    else:
        found.append(f"unexpected content type {reply.content_type!r}")
    if kind in ("text/csv", "application/pdf") and "attachment" not in reply.headers.get("Content-Disposition", ""):
        found.append(f"{kind} is not sent as an attachment")
    return [f"{reply.label} -> {reply.status}: {p}" for p in found]


def missing_canaries(bodies: dict[str, list[str]], expected: dict[str, set[str]], who: str) -> list[str]:
    missing = []
    for route, names in expected.items():
        text = "".join(bodies.get(route, []))
        missing += [f"{who} {route}: {name} not shown escaped" for name in sorted(names) if not escaped_in(name, text)]
    return missing


# --- The tests ---------------------------------------------------------------------------------


def test_every_staff_route_can_be_visited_here() -> None:
    """A new staff page (or a new URL parameter) fails here until it is visited with canaries."""
    assert uncovered(staff_routes(get_resolver())) == []


def test_a_staff_route_this_file_cannot_visit_fails_the_check() -> None:
    urlconf = types.ModuleType("urlconf_with_new_staff_pages")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("staff/", include("screenplan.clinic.urls")),
        path("staff/referrals/", lambda request: HttpResponse("new page")),
    ]
    assert uncovered(staff_routes(get_resolver(urlconf))) == ["staff/referrals/: no visit in STAFF_VISITS"]
    assert uncovered(["staff/case/<uuid:public_id>/letter/<int:letter_id>/"]) == [
        "staff/case/<uuid:public_id>/letter/<int:letter_id>/: no visit in STAFF_VISITS",
        "staff/case/<uuid:public_id>/letter/<int:letter_id>/: nothing to fill <letter_id> with",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_page_shows_each_canary_escaped_under_the_csp(role: str, world: World) -> None:
    routes = staff_routes(get_resolver())
    assert uncovered(routes) == []
    problems: list[str] = []
    bodies: dict[str, list[str]] = defaultdict(list)
    count = 0
    for route in routes:
        for url in concrete(route, world.samples(role)):
            for how in STAFF_VISITS[route]:
                for reply in pages_of(world, role, url, how):
                    count += 1
                    problems += problems_in(reply)
                    if "html" in reply.content_type:
                        bodies[route].append(reply.text)
    problems += missing_canaries(bodies, SHOWN[role], role)
    print(f"{role}: {count} responses from {len(routes)} staff routes, {len(PAYLOADS)} canaries")
    assert not problems, "\n".join(problems)


def test_typed_text_sent_straight_back_is_escaped(world: World) -> None:
    """The refused share form and the refused sign-in show what was typed, escaped."""
    refused, stranger = world.reflected
    problems = problems_in(refused) + problems_in(stranger)
    for reply, names in ((refused, ("api.name", "api.email", "api.best_time")), (stranger, ("audit.signin",))):
        problems += [f"{reply.label}: {n} not shown escaped" for n in names if not escaped_in(n, reply.text)]
    assert not problems, "\n".join(problems)


def test_the_csv_export_quotes_every_formula_and_keeps_the_values(world: World) -> None:
    reply = Reply.of("GET /staff/export.csv", world.staff["clinician"][1].get("/staff/export.csv"))
    assert reply.status == 200 and reply.content_type.startswith("text/csv")
    assert problems_in(reply) == []
    rows = {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in csv_rows(reply.text)[1:]}
    form_case, api_case = (rows[c] for c in world.cases)
    expected = [
        (form_case, "contact_name", "form.name"),
        (form_case, "contact_phone", "form.phone"),
        (form_case, "contact_email", "form.email"),
        (form_case, "contact_best_time", "form.best_time"),
        (form_case, "assignee", "user.clinician"),
        (api_case, "contact_name", "api.name"),
        (api_case, "contact_phone", "api.phone"),
        (api_case, "contact_email", "api.email"),
        (api_case, "contact_best_time", "api.best_time"),
    ]
    for row, column, name in expected:
        assert row[column] == neutralised(CANARIES[name]), (column, name, row[column])
    starts = {CANARIES[name][0] for _, _, name in expected}
    assert set("=+-@\0") <= starts  # each prefix a person or staff member can type is planted


def test_json_exports_carry_the_canaries_only_as_strings(world: World) -> None:
    """The staff API gives the contact details back exactly, as JSON strings; FHIR has none."""
    replies = []
    for route in sorted({t for t in all_routes(get_resolver()) if t.startswith("api/v1/staff/")}):
        for url in concrete(route, world.samples("clinician")):
            replies.append(Reply.of(f"GET {url}", world.api.get(url)))
    clinician = world.staff["clinician"][1]
    for case in world.cases:
        url = f"/staff/case/{case}/fhir.json"
        replies.append(Reply.of(f"GET {url}", clinician.get(url)))
    assert len(replies) == 7 and all(r.status == 200 for r in replies), [(r.label, r.status) for r in replies]
    downloads = [r for r in replies if r.label.endswith("fhir.json")]
    assert all("attachment" in r.headers.get("Content-Disposition", "") for r in downloads)
    problems = [p for r in replies for p in problems_in(r)]
    assert not problems, "\n".join(problems)
    by_label = {r.label: json.loads(r.body) for r in replies}
    form_case, api_case = (by_label[f"GET /api/v1/staff/cases/{c}"] for c in world.cases)
    for case, source in ((form_case, "form"), (api_case, "api")):
        for key in ("name", "phone", "email", "best_time"):
            assert case["contact"][key] == CANARIES[f"{source}.{key}"], (source, key)
    listed = {c["id"]: c for c in by_label["GET /api/v1/staff/cases"]["cases"]}
    assert listed[world.cases[0]]["assignee"] == CANARIES["user.clinician"]


def test_the_respondents_own_pages_and_pdf_show_the_branding_escaped(world: World, settings: Any) -> None:
    """The plan and results pages, in both languages, and the PDF, with branding canaries."""
    client = world.respondent.client
    problems: list[str] = []
    shown: dict[str, list[str]] = defaultdict(list)
    count = 0
    routes = sorted(t for t in all_routes(get_resolver()) if t.startswith(("<lang>/", "r/")))
    for route, lang in itertools.product(routes, ("en", "es")):
        url = "/" + route.replace("<lang>", lang).replace("<str:token>", "not-a-token-of-anyone")
        reply = Reply.of(f"respondent GET {url}", client.get(url))
        count += 1
        problems += problems_in(reply)
        if "html" in reply.content_type:
            shown[route].append(reply.text)
        if route == "<lang>/plan.pdf":
            assert reply.status == 200, reply.status
            flat = re.sub(r"\s+", "", pdf_text(reply.body))
            if re.sub(r"\s+", "", BRANDING["PROGRAM_NAME"]) not in flat:
                problems.append(f"{url}: the program name is not in the PDF's text")
    footer = {"PROGRAM_NAME", "PROGRAM_LOGO_URL", "CRISIS_CALL", "CRISIS_TEXT", "CRISIS_TEXT_BODY", "EMERGENCY"}
    expected = {
        "<lang>/": footer,
        "<lang>/results/": footer,
        "<lang>/plan/": footer | {"PROGRAM_CONTACT", "PROGRAM_CONTACT_URL"},
    }
    problems += missing_canaries(shown, expected, "respondent")
    assert "x.invalid" not in "".join(itertools.chain.from_iterable(shown.values())), "no staff-side text here"
    # Escaping cannot defuse a javascript: link: the plan page keeps the words and drops the link.
    settings.PROGRAM_CONTACT_URL = "javascript:window.__xss='PROGRAM_CONTACT_URL'"
    plan = Reply.of("respondent GET /en/plan/ (javascript: contact URL)", client.get("/en/plan/"))
    problems += problems_in(plan)
    assert escaped_in("PROGRAM_CONTACT", plan.text) and "javascript:" not in plan.text
    bearer = {"Authorization": f"Bearer {world.respondent_token}"}
    for url in ("/api/v1/screen", "/api/v1/screen/plan"):
        reply = Reply.of(f"respondent GET {url}", Client(headers=bearer).get(url))
        assert reply.status == 200, (url, reply.status)
        problems += problems_in(reply)
        count += 1
    print(f"respondent: {count} responses (pages in en and es, PDF, JSON)")
    assert not problems, "\n".join(problems)


def test_no_answer_is_free_text_and_a_typed_string_is_refused(db: None) -> None:
    """Answers are choices, lists of choices or bounded integers, so no answer can carry a canary."""
    assert {item.type for item in load_content().items.values()} <= {"choice", "integer", "multi"}
    client = Client()
    start(client)
    first = re.search(r'name="item" value="([a-z0-9_]+)"', client.get("/en/screen/").content.decode())
    assert first
    refused = client.post("/en/screen/", {"item": first.group(1), "rev": "0", "value": CANARIES["note"]})
    assert refused.status_code == 400
    assessment = Assessment.objects.get(public_id=client.session["assessment"])
    assert assessment.answers == {}
    token = fresh_token(client.session["assessment"])
    bearer = {"Authorization": f"Bearer {token}"}
    for value in (CANARIES["note"], [CANARIES["note"]]):
        put = Client(headers=bearer).put(
            f"/api/v1/screen/answers/{first.group(1)}", json.dumps({"value": value}), content_type="application/json"
        )
        assert put.status_code == 422, put.content
    assert Assessment.objects.get(pk=assessment.pk).answers == {}


# Every text column of every model, and what it holds. A new column fails the first test below
# until it is classified: either it has a canary above, or it says why no person's text reaches it.
COLUMNS_HOLD: dict[str, str] = {
    "auth.user.username": "canary user.*",
    "auth.user.first_name": "HIDDEN (stored, shown nowhere)",
    "auth.user.last_name": "HIDDEN (stored, shown nowhere)",
    "auth.user.email": "HIDDEN (stored, shown nowhere)",
    "auth.user.password": "a password hash",
    "assessments.assessment.status": "a status code",
    "assessments.assessment.language": "a language code from the address",
    "assessments.assessment.token_hash": "a hash",
    "assessments.assessment.answers_sealed": "choices and integers only (see the test above)",
    "assessments.assessment.safety_shown": "an engine level",
    "assessments.assessment.content_version": "a version string",
    "assessments.assessment.engine_version": "a version string",
    "assessments.assessment.pathway": "an engine pathway id",
    "assessments.assessment.safety_level": "an engine level",
    "clinic.staffprofile.role": "a role code",
    "clinic.staffprofile.totp_sealed": "a generated secret",
    "clinic.share.contact_sealed": "canary form.* and api.*",
    "clinic.share.plan_sealed": "the engine's plan from the answers",
    "clinic.share.safety_level": "an engine level",
    "clinic.share.pathway": "an engine pathway id",
    "clinic.share.status": "a status code",
    "clinic.note.body_sealed": "canary note",
    "clinic.statuschange.field": "'status' or 'assignee'",
    "clinic.statuschange.old": "a status code or a username (canary user.clinician)",
    "clinic.statuschange.new": "a status code or a username (canary user.clinician)",
    "audit.auditevent.actor": "a username, 'api:' and a client name, or a fixed word (canaries user.*, api_client)",
    "audit.auditevent.action": "an action code",
    "audit.auditevent.object": "an id, or text typed into a URL or the sign-in form (canaries audit.*)",
    "audit.auditevent.outcome": "allowed or denied",
    "audit.auditevent.request_id": "a UUID",
    "clinic.loginfailure.username": "typed at sign-in; shown nowhere",
    "clinic.loginfailure.ip": "an address",
    "api.apiclient.name": "canary api_client",
    "api.apiclient.token_hash": "a hash",
    "api.apiclient.scopes": "scope codes",
    "api.ratecounter.key": "an internal counter key",
}
TEXT_FIELDS = (models.CharField, models.TextField, models.BinaryField, models.JSONField)


def test_every_text_column_is_planted_or_says_why_not() -> None:
    found = {
        f"{model._meta.app_label}.{model._meta.model_name}.{f.name}"
        for model in apps.get_models()
        if model._meta.app_config.name.startswith("screenplan.") or model is User  # every app of ours, new ones too
        for f in model._meta.get_fields()
        if isinstance(f, TEXT_FIELDS)
    }
    assert found ^ set(COLUMNS_HOLD) == set()
    contact_keys = set(read_contact({})[0]) - {"leave_message"}
    assert {f"form.{k}" for k in contact_keys} | {f"api.{k}" for k in contact_keys} <= set(CANARIES)
    assert set(ContactIn.model_fields) - {"consent", "leave_message"} == contact_keys


def test_createstaff_stores_a_username_with_markup(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why usernames get canaries: the command applies no username validator."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct-horse-battery-42\n"))
    call_command("createstaff", CANARIES["user.clinician"], role=Role.CLINICIAN, stdout=io.StringIO())
    assert User.objects.filter(username=CANARIES["user.clinician"]).exists()


def test_a_long_name_typed_at_sign_in_is_audited_not_a_database_error(db: None) -> None:
    """The audit object column holds 64 characters; PostgreSQL refused a longer typed username."""
    typed = CANARIES["audit.signin"] * 3
    assert len(typed) > 64
    response = sign_in(Client(), typed, WRONG_PASSWORD)
    assert response.status_code == 400
    from screenplan.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="signin", outcome="denied", object=typed[:64]).exists()


def test_branding_urls_that_could_run_script_are_dropped() -> None:
    for bad in ("javascript:alert(1)", " JaVa\tScript:alert(1)", "\x01javascript:x", "vbscript:x", "data:text/html,x"):
        assert _url(bad, own_site_only=False) == "", bad
        assert _url(bad, own_site_only=True) == "", bad
    for good in ("https://clinic.example/book", "tel:+15550100", "mailto:a@clinic.example", "/book/"):
        assert _url(good, own_site_only=False) == good
    assert _url("/static/logo.png", own_site_only=True) == "/static/logo.png"
    for elsewhere in ("https://cdn.example/logo.png", "//cdn.example/logo.png", "/\\cdn.example/logo.png"):
        assert _url(elsewhere, own_site_only=True) == "", elsewhere


# --- Negative controls: each detector fires on the mistake it looks for ------------------------


def test_the_raw_payload_detector_fires_on_unescaped_text() -> None:
    for name, payload in PAYLOADS.items():
        if HTML_SPECIAL.search(payload):
            assert raw_payloads(f"<p>{payload}</p>") == [name], name
            assert raw_payloads(f"<p>{escape(payload)}</p>") == [], name
    assert escaped_in("form.name", f"<td>{escape(CANARIES['form.name'])}</td>")
    assert not escaped_in("form.name", "<td>(no name)</td>")


def test_the_markup_detector_fires_on_script_handlers_and_script_urls() -> None:
    assert active_markup("<p>" + CANARIES["note"] + "</p>") == ["<script> element", "<img onerror=…>"]
    assert active_markup(f"<dd>{CANARIES['form.email']}</dd>") == ["<svg onload=…>"]
    assert active_markup('<a href=" JaVa&#09;Script:alert(1)">x</a>') == ["<a href=' JaVa\\tScript:alert(1)'>"]
    assert active_markup('<meta http-equiv="refresh" content="0;url=/x">') == ["<meta http-equiv>"]
    assert active_markup('<a href="tel:988">988</a><img src="/static/a.png" alt="">') == []
    assert active_markup("<p>" + escape(CANARIES["note"]) + "</p>") == []


def test_the_csp_check_fires_on_inline_script_allowances() -> None:
    assert csp_problems(CSP) == []
    assert csp_problems(None) == ["no Content-Security-Policy header"]
    assert csp_problems("default-src 'self'; script-src 'self' 'unsafe-inline'") == [
        "script-src allows 'unsafe-inline'"
    ]
    assert csp_problems("default-src 'self' 'unsafe-eval'") == ["script-src allows 'unsafe-eval'"]
    assert csp_problems("img-src 'self'") == ["neither script-src nor default-src"]
    assert csp_problems("script-src 'self'; script-src-attr 'unsafe-inline'") == [
        "script-src-attr allows 'unsafe-inline'"
    ]


def test_the_csv_check_fires_on_an_unquoted_formula() -> None:
    header = ",".join(COLUMNS)
    assert formula_cells(f'{header}\r\n=HYPERLINK("http://x.invalid"),ok,"\x00=1+1",@SUM(1)\r\n') == [
        "line 2, share_id: '=HYPERLINK(\"http://x.invalid\")'",
        "line 2, status: '\\x00=1+1'",
        "line 2, assignee: '@SUM(1)'",
    ]
    assert [safe_cell(p) for p in ("=1", "+1", "-1", "@1", "\t1", "\r1", "\0=1")] == [
        neutralised(p) for p in ("=1", "+1", "-1", "@1", "\t1", "\r1", "\0=1")
    ]


def test_the_json_check_fires_on_markup_outside_strings_or_html_served_json() -> None:
    payload = CANARIES["api_client"]
    assert json_problems(json.dumps({"name": payload}).encode(), "application/json") == []
    assert json_problems(json.dumps({payload: 1}).encode(), "application/json") != []
    assert json_problems(json.dumps({"name": payload}).encode(), "text/html; charset=utf-8") == [
        "JSON served as 'text/html; charset=utf-8'"
    ]
    assert json_problems(b"<script>", "application/json")[0].startswith("not JSON")


def test_the_pdf_check_fires_on_a_pdf_with_javascript() -> None:
    from fpdf import FPDF
    from fpdf.actions import LaunchAction

    def document(*, scripted: bool) -> bytes:
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text="sources", link="https://example.org/")
        if scripted:
            pdf.cell(text="x", link="javascript:app.alert(1)")
            pdf.add_action(LaunchAction("calc.exe"), x=10, y=10, w=20, h=10)
        return bytes(pdf.output())

    assert pdf_active_content(document(scripted=False)) == []
    assert pdf_active_content(document(scripted=True)) == [
        "page 1 link action /URI 'javascript:app.alert(1)'",
        "page 1 link action /Launch ''",
    ]
