"""Bad input on every route and method: never a 5xx, never a traceback, always the headers.

The routes come from the URL resolver, so a new page is covered the day it is added. Every
route gets every method a client could send (the usual five, HEAD, OPTIONS, TRACE and two
made-up ones) with the brief's list of hostile bodies (NUL bytes, NaN, repeated keys, huge
arrays, deep nesting, oversize bodies, wrong content types, binary; all of them where a body
is read, two where none is expected), as four actors:
anonymous, a respondent (cookie and API token), a signed-in clinician and an API client.
Then hypothesis sends random forms and JSON to random routes for a while. The checks on each
response:

- a status below 500 and no traceback or "Internal Server Error" text;
- a refusal that says why (400, 409, 413, 415 and 422 have a body) and a 405 that says what
  is allowed (an Allow header);
- the security headers, whatever the status: a CSP with `default-src 'self'`, no inline or
  eval script and `frame-ancestors 'none'`; nosniff; no-referrer; no-store; frame denial; and,
  with production's HSTS setting over HTTPS, Strict-Transport-Security.
"""

from __future__ import annotations

import collections
import json
import re
from typing import Any

import hypothesis
import pytest
from clinic.conftest import Respondent, Staff
from django.http import HttpResponseBase
from django.test import Client
from django.urls import get_resolver
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from screenplan.api.models import ApiClient
from screenplan.assessments.models import Assessment

from .actors import all_routes

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "BREW")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE", "PROPFIND", "BREW")
# Routes that end a session, a screen or an account: sent last, so the rest still meet a live actor.
ENDINGS = re.compile(r"delete|logout|deactivate|withdraw")
HSTS_SECONDS = 63072000  # production's value (settings.py)
# Every form field name the site reads, so hostile values reach the code that parses them.
FIELDS = [
    *("csrfmiddlewaretoken", "item", "rev", "value", "consent", "safe", "confirm", "note", "status", "assignee"),
    *("username", "password", "code", "name", "phone", "email", "best_time", "leave_message", "next"),
]

NUL, HUGE = "a\x00b", "9" * 70_000
HOSTILE: list[tuple[str, str | bytes]] = [
    ("application/x-www-form-urlencoded", ""),
    ("application/x-www-form-urlencoded", "&".join(f"{f}={v}" for f in FIELDS for v in ("%00", "NaN", "-1"))),
    ("application/x-www-form-urlencoded", "item=age&item=sex&value=1&value=2&rev=0&rev=x"),
    ("application/x-www-form-urlencoded", "value=" + "9" * 4000 + "&item=" + "%FF%FE" * 50),
    ("application/json", '{"value": NaN, "language": Infinity}'),
    ("application/json", '{"value": 1, "value": 2, "status": "new", "status": "closed"}'),
    ("application/json", "[" * 3000 + "]" * 3000),
    ("application/json", json.dumps({"value": list(range(5000)), "item": [None] * 5000})),
    ("application/json", json.dumps({"value": NUL, "note": NUL, "language": NUL, "status": {"$ne": 1}})),
    ("application/json", '{"value": '),
    ("application/json", "x" * 70_000),
    ("text/plain", "value=40"),
    ("application/xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'),
    ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data; name=value\r\n\r\n1\r\n--z"),
    ("application/octet-stream", bytes(range(256)) * 8),
]
QUERY = "?item=%00&lang=xx&next=//evil.example/&value=NaN&page=-1&page=999999999999999999999"


def check(response: HttpResponseBase, what: str, secure: bool) -> list[str]:
    """What is wrong with one response (nothing when it is right)."""
    problems = []
    status = response.status_code
    body = b"" if response.streaming else response.content
    if status >= 500:
        problems.append(f"{what}: {status}")
    if b"Traceback" in body or b"Internal Server Error" in body:
        problems.append(f"{what}: a traceback in the body")
    if status in (400, 409, 413, 415, 422) and not body.strip():
        problems.append(f"{what}: {status} without a message")
    if status == 405 and not response.get("Allow"):
        problems.append(f"{what}: 405 without an Allow header")
    csp = response.get("Content-Security-Policy", "")
    scripts = re.search(r"script-src ([^;]*)", csp)
    script_sources = scripts.group(1) if scripts else re.search(r"default-src ([^;]*)", csp + "default-src ")
    if (
        "default-src 'self'" not in csp
        or "frame-ancestors 'none'" not in csp
        or "unsafe-inline" in str(script_sources)
        or "unsafe-eval" in csp
    ):
        problems.append(f"{what}: CSP {csp!r}")
    wanted = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
    }
    for header, value in wanted.items():
        if response.get(header) != value:
            problems.append(f"{what}: {header} {response.get(header)!r}")
    if secure and f"max-age={HSTS_SECONDS}" not in response.get("Strict-Transport-Security", ""):
        problems.append(f"{what}: no HSTS over HTTPS")
    return problems


def actors(request: pytest.FixtureRequest) -> dict[str, tuple[Client, dict[str, str]]]:
    """Anonymous, a respondent (its cookie, and a token of its own screen over the API), a
    signed-in clinician, and an API client with both scopes."""
    respondent: Respondent = request.getfixturevalue("respondent_a")
    assessment = Assessment.objects.get(pk=respondent.share.assessment_id)
    token = assessment.new_token()
    assessment.save(update_fields=["token_hash", "updated_at"])
    staff: Staff = request.getfixturevalue("clinician")
    _, api_token = ApiClient.issue("fuzzer", ["cases:read", "cases:write"])
    return {
        "anonymous": (Client(), {}),
        "respondent": (respondent.client, {"Authorization": f"Bearer {token}"}),
        "clinician": (staff.client, {}),
        "api_client": (Client(), {"Authorization": f"Bearer {api_token}"}),
    }


def urls(request: pytest.FixtureRequest) -> list[str]:
    """Every route, its parameters filled with values that exist (a case, a user) and values that do not."""
    respondent: Respondent = request.getfixturevalue("respondent_a")
    staff: Staff = request.getfixturevalue("clinician")
    existing = {"lang": "en", "public_id": respondent.share.public_id, "case_id": respondent.share.public_id}
    existing |= {"user_id": staff.user.pk, "item_id": "age", "questionnaire_id": "battery", "token": "x" * 43}
    nonsense = {"lang": "en", "public_id": "00000000-0000-0000-0000-000000000000", "case_id": "..%2F..%2Fetc"}
    nonsense |= {"user_id": 0, "item_id": "%00", "questionnaire_id": "x" * 300, "token": "%2e%2e"}
    found = []
    for template in sorted(set(all_routes(get_resolver())), key=lambda t: (bool(ENDINGS.search(t)), t)):
        for values in (existing, nonsense):
            url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: str(v[m.group(1)]), template)  # type: ignore[misc]
            found.append(url)
    return list(dict.fromkeys(found))


def send(client: Client, method: str, url: str, headers: dict[str, str], body: Any = "", kind: str = "") -> Any:
    extra = {"content_type": kind} if kind else {}
    return client.generic(method, url, body, headers=headers, secure=True, **extra)


def test_every_route_and_method_refuses_hostile_input_cleanly(
    request: pytest.FixtureRequest, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SECURE_HSTS_SECONDS = HSTS_SECONDS
    every_url = urls(request)
    problems: list[str] = []
    sent = 0
    for name, (client, headers) in actors(request).items():
        for url in every_url:
            for method in METHODS:
                bodies = [("", "")]
                if method == "POST" or (method in ("PUT", "PATCH") and "/api/" in url):
                    bodies = HOSTILE  # every hostile body where a body is read
                elif method in BODY_METHODS:
                    bodies = HOSTILE[1:2] + HOSTILE[-5:-4]  # a form and an oversize body where none is expected
                for kind, body in bodies:
                    suffix = QUERY if method == "GET" and not kind else ""
                    response = send(client, method, url + suffix, headers, body, kind)
                    sent += 1
                    problems += check(response, f"{name} {method} {url}{suffix} [{kind or 'no body'}]", secure=True)
    with capsys.disabled():
        print(f"\nhostile input: {sent} requests, {len(every_url)} URLs x {len(METHODS)} methods x 4 actors")
    assert sent > 4 * len(every_url) * (len(METHODS) + len(HOSTILE))
    kinds = collections.Counter(p.split(": ", 1)[1] for p in problems)
    assert not problems, f"{len(problems)} problems, by kind {dict(kinds)}; first:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "[::2]", "a" * 300])
def test_an_unknown_host_is_a_400_with_the_headers(host: str, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = HSTS_SECONDS
    for path in ("/en/", "/staff/", "/api/v1/screen", "/healthz"):
        response = Client().get(path, headers={"Host": host}, secure=True)
        assert response.status_code == 400, (host, path, response.status_code)
        assert check(response, f"Host {host} {path}", secure=True) == []


def test_the_checks_catch_a_response_without_headers_or_with_a_traceback() -> None:
    """Negative control: the checker itself must find each kind of fault."""
    from django.http import HttpResponse

    bare = HttpResponse("Traceback (most recent call last): ...", status=500)
    found = " | ".join(check(bare, "bare", secure=True))
    for fault in ("500", "traceback", "CSP", "X-Content-Type", "Referrer", "Cache-Control", "X-Frame", "HSTS"):
        assert fault in found, (fault, found)
    silent = HttpResponse(b"", status=400)
    assert any("without a message" in p for p in check(silent, "silent", secure=False))
    inline = HttpResponse("ok")
    inline["Content-Security-Policy"] = "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    assert any("CSP" in p for p in check(inline, "inline", secure=False))


FORM_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "NaN", "-0", "1e309", "９", "٣", "\u202e", "<script>alert(1)</script>", "' OR 1=1--"]),
    st.integers().map(str),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5),
    max_leaves=20,
)


@hypothesis.settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_forms_and_json_never_break_a_route(
    request: pytest.FixtureRequest, settings: Any, data: st.DataObject
) -> None:
    settings.SECURE_HSTS_SECONDS = HSTS_SECONDS
    if not hasattr(request.node, "_fuzz"):  # one set of actors for all examples: building them is slow
        request.node._fuzz = (actors(request), [u for u in urls(request) if not ENDINGS.search(u)])
    people, every_url = request.node._fuzz
    name = data.draw(st.sampled_from(sorted(people)))
    client, headers = people[name]
    url = data.draw(st.sampled_from(every_url))
    method = data.draw(st.sampled_from(("GET", "POST", "PUT", "PATCH", "DELETE")))
    if data.draw(st.booleans()):
        form = data.draw(st.lists(st.tuples(st.sampled_from(FIELDS), FORM_VALUES), max_size=8))
        from urllib.parse import urlencode

        body, kind = urlencode(form), "application/x-www-form-urlencoded"
    else:
        body, kind = json.dumps(data.draw(JSON_VALUES)), "application/json"
    response = send(client, method, url, headers, body, kind)
    assert check(response, f"{name} {method} {url} {kind} {body[:200]!r}", secure=True) == []
