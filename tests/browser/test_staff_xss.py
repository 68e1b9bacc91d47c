"""Stored-XSS canaries in Chromium: planted in a real `screenplan serve`, run by no staff page.

tests/security/test_xss.py shows every stored field escaped in the HTML and a CSP without
inline script on every response. This file asks the browser itself, because the browser is
where an escaping mistake would run: a respondent shares over the JSON API with canary contact
details, a clinician types a canary note and assigns the case through the real forms, a stranger
types a canary name at the sign-in form, an API client with a canary name asks for a canary
case id, staff usernames and the program name are canaries too. Then clinician, reception and
admin open every staff page the URL resolver lists (downloads aside: the pytest half reads
those) and every page must: show its canaries as text, fire no dialog, leave `window.__xss`
undefined, and hold no script element and no `on…` attribute in its DOM.

Negative controls, so the check can fail: the same payloads served unescaped and without a CSP
(a route interception on the site's own origin) do run, and served unescaped with the CSP
header the site really sends they do not, with the browser reporting the violations.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import serving as site_server
from django.urls import get_resolver
from security.actors import all_routes
from tests.web.profiles import INTEGRATED

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(),
    reason="browser tests need Debian's chromium (apt-get install chromium); .ci/run installs it",
)

# Each would set window.__xss or open a dialog if it ever ran as markup.
CANARY = {
    "contact name": '<script>window.__xss="contact name"</script>',
    "contact e-mail": "\"><svg/onload=window.__xss='contact_email'>@x.invalid",
    "best time": '"><img src=x onerror="window.__xss=\'best_time\'">',
    "note": "<img src=x onerror=alert('note')><script>window.__xss='note'</script>",
    "clinician": "cli<img src=x onerror=alert('clinician')>",
    "reception": "rec<svg onload=window.__xss='reception'>",
    "admin": "adm<script>window.__xss='admin'</script>",
    "API client": "<img src=x onerror=alert('api_client')>",
    "case id in a staff API address": "<svg onload=alert('case_id')>",
    "name typed at sign-in": "<script>window.__xss='signin'</script>",
    "program name": "Clinic<img src=x onerror=alert('program')>",
}
ROLES = ("clinician", "reception", "admin")
# What each role must see as text somewhere on its pages: proof the canaries were on screen.
SEEN_BY = {
    "clinician": ("contact name", "contact e-mail", "best time", "note", "clinician", "program name"),
    "reception": ("contact name", "contact e-mail", "best time", "clinician", "reception", "program name"),
    "admin": (
        "clinician",
        "reception",
        "admin",
        "API client",
        "case id in a staff API address",
        "name typed at sign-in",
    ),
}
PASSWORD = secrets.token_urlsafe(16)
JSON = "application/json"
START_SECONDS = 60

WATCH_CSP = """document.addEventListener("securitypolicyviolation",
    e => (window.__violations = window.__violations || []).push(e.violatedDirective));"""
DOM_ACTIVE = """() => [...document.querySelectorAll("*")].flatMap(e =>
    (e.tagName === "SCRIPT" ? ["script element"] : []).concat(
        [...e.attributes].filter(a => a.name.startsWith("on")).map(a => e.tagName.toLowerCase() + " " + a.name)))"""


def _manage(env: dict[str, str], *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [*site_server.screenplan_command(), "manage", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@dataclass
class Site:
    origin: str
    api_token: str
    usernames: dict[str, str]
    cases: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A `screenplan serve` whose program name, staff usernames and API client are canaries."""
    data = tmp_path_factory.mktemp("screenplan-xss-data")
    env = site_server.clean_env(
        SCREENPLAN_DATA_DIR=str(data), SCREENPLAN_REQUIRE_TOTP="false", SCREENPLAN_PROGRAM_NAME=CANARY["program name"]
    )
    usernames = {role: CANARY[role] for role in ROLES}
    for role, username in usernames.items():
        _manage(env, "createstaff", username, "--role", role, stdin=PASSWORD + "\n")
    api_token = _manage(env, "createapiclient", CANARY["API client"], "--scope", "cases:read").strip()
    with site_server.serving(env, data / "serve.log", workers=1) as origin:
        yield Site(origin, api_token, usernames)


# --- Planting, through the ways a person stores each field -----------------------------------


def share_over_the_api(chromium: Any, site: Site) -> None:
    """A kiosk runs the whole screen over the JSON API and shares it with canary contact details."""
    context = chromium.new_context()
    try:
        api = context.request
        started = api.post(
            f"{site.origin}/api/v1/screens", data=json.dumps({"language": "en"}), headers={"Content-Type": JSON}
        )
        assert started.status == 201, started.text()
        token, step = started.json()["token"], started.json()["step"]
        bearer = {"Authorization": f"Bearer {token}", "Content-Type": JSON}
        while not step["done"]:
            item = step["question"]["id"]
            answered = api.put(
                f"{site.origin}/api/v1/screen/answers/{item}",
                data=json.dumps({"value": INTEGRATED[item]}),
                headers=bearer,
            )
            assert answered.status == 200, answered.text()
            step = answered.json()
        contact = {
            "consent": True,
            "name": CANARY["contact name"],
            "email": CANARY["contact e-mail"],
            "best_time": CANARY["best time"],
        }
        shared = api.post(f"{site.origin}/api/v1/screen/share", data=json.dumps(contact), headers=bearer)
        assert shared.status == 201, shared.text()
    finally:
        context.close()


def sign_in(page: Any, site: Site, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{site.origin}/staff/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def plant_staff_text(chromium: Any, site: Site) -> None:
    """A stranger's sign-in name, the API client's calls, and a clinician's note and assignment."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        sign_in(page, site, CANARY["name typed at sign-in"], "wrong-password-for-nobody")
        assert page.url.endswith("/staff/login/")
        bearer = {"Authorization": f"Bearer {site.api_token}"}
        listed = context.request.get(f"{site.origin}/api/v1/staff/cases", headers=bearer)
        assert listed.status == 200, listed.text()
        site.cases = [c["id"] for c in listed.json()["cases"]]
        odd = context.request.get(
            f"{site.origin}/api/v1/staff/cases/{quote(CANARY['case id in a staff API address'], safe='')}",
            headers=bearer,
        )
        assert odd.status == 404
        context.clear_cookies()
        sign_in(page, site, site.usernames["clinician"])
        assert page.url.endswith("/staff/"), page.url
        page.goto(f"{site.origin}/staff/case/{site.cases[0]}/")
        page.fill("#body", CANARY["note"])
        with page.expect_navigation():
            page.click("text=Add note")
        page.select_option("#assignee", label=site.usernames["clinician"])
        with page.expect_navigation():
            page.click("button:has-text('Assign')")
    finally:
        context.close()


# --- Visiting ----------------------------------------------------------------------------------


def staff_routes() -> list[str]:
    """Every staff route template the site's URL resolver knows, e.g. 'staff/case/<uuid:public_id>/'."""
    return sorted(t for t in all_routes(get_resolver()) if t.startswith("staff/"))


PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def urls_of(route: str, samples: dict[str, list[str]]) -> list[str]:
    """The route with each URL parameter filled from `samples`; an unknown parameter fails the test."""
    urls = ["/" + route]
    for name in PARAM.findall(route):
        assert name in samples, f"{route}: nothing to fill <{name}> with"
        urls = [PARAM.sub(value, u, count=1) for u in urls for value in samples[name]]
    return urls


@dataclass
class Seen:
    pages: int = 0
    downloads: int = 0
    text: str = ""
    problems: list[str] = field(default_factory=list)


def look(page: Any, url: str, seen: Seen, dialogs: list[str]) -> None:
    """Open one page, and each further page its pagination links to, recording any script."""
    todo, done = [url], set()
    while todo and len(done) < 40:
        current = todo.pop()
        done.add(current)
        look_once(page, current, seen, dialogs)
        pages = page.eval_on_selector_all("nav.pages a[href*='page=']", "links => links.map(a => a.href)")
        todo += [p for p in pages if p not in done and p not in todo]


def look_once(page: Any, url: str, seen: Seen, dialogs: list[str]) -> None:
    """Open one page and record whatever script ran or could run on it."""
    before = len(dialogs)
    page.goto(url)
    page.wait_for_load_state("load")
    if page.evaluate("() => typeof window.__xss") != "undefined":
        seen.problems.append(f"{url}: window.__xss = {page.evaluate('() => window.__xss')!r}")
    if len(dialogs) > before:
        seen.problems.append(f"{url}: dialog {dialogs[before:]}")
    if active := page.evaluate(DOM_ACTIVE):
        seen.problems.append(f"{url}: script in the DOM: {active}")
    if blocked := page.evaluate("() => window.__violations || []"):
        seen.problems.append(f"{url}: the CSP had to block {blocked}")  # escaping let something through
    seen.pages += 1
    seen.text += page.evaluate("() => document.documentElement.innerText") + "\n"


def open_as(chromium: Any, site: Site, role: str) -> tuple[Any, Any, list[str]]:
    context = chromium.new_context()
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    sign_in(page, site, site.usernames[role])
    assert "/staff/login" not in page.url, f"{role} is signed in"
    return context, page, dialogs


def staff_ids(chromium: Any, site: Site) -> list[str]:
    """The staff accounts' ids, as the admin's user list links them."""
    context, page, _ = open_as(chromium, site, "admin")
    try:
        page.goto(f"{site.origin}/staff/users/")
        return re.findall(r"/staff/users/(\d+)/deactivate/", page.content())
    finally:
        context.close()


def test_no_staff_page_runs_a_planted_canary(chromium: Any, site: Site) -> None:
    share_over_the_api(chromium, site)
    plant_staff_text(chromium, site)
    routes = staff_routes()
    report = []
    problems: list[str] = []
    samples = {"public_id": site.cases, "user_id": staff_ids(chromium, site)}
    for role in ROLES:
        context, page, dialogs = open_as(chromium, site, role)
        try:
            seen = Seen()
            for route in routes:
                if route == "staff/logout/":
                    continue  # a GET is refused (405) and a POST would end this session
                for path in urls_of(route, samples):
                    head = context.request.get(site.origin + path, max_redirects=0)
                    if "attachment" in head.headers.get("content-disposition", ""):
                        seen.downloads += 1  # CSV and FHIR: read by tests/security/test_xss.py
                    elif "text/html" in head.headers.get("content-type", "") and head.body():
                        look(page, site.origin + path, seen, dialogs)
            missing = [name for name in SEEN_BY[role] if CANARY[name] not in seen.text]
            problems += seen.problems + [f"{role}: {name} never shown as text" for name in missing]
            report.append(f"{role} {seen.pages} pages ({seen.downloads} downloads left to the pytest half)")
        finally:
            context.close()
    print(f"{len(CANARY)} canaries, {len(routes)} staff routes: " + "; ".join(report))
    assert not problems, "\n".join(problems)


def serving(body: str, headers: dict[str, str]) -> Any:
    """A route handler that answers with `body` and exactly `headers`, as a careless server would."""

    def fulfill(route: Any, request: Any) -> None:
        route.fulfill(status=200, content_type="text/html", headers=headers, body=body)

    return fulfill


def test_the_same_payloads_unescaped_run_without_the_csp_and_not_with_it(chromium: Any, site: Site) -> None:
    """The negative control: the browser check above is able to see a payload run."""
    real_csp = urllib.request.urlopen(f"{site.origin}/staff/login/", timeout=5).headers["Content-Security-Policy"]  # noqa: S310
    assert real_csp and "script-src 'self'" in real_csp
    body = "<!doctype html><html><head><title>control</title></head><body>" + "".join(CANARY.values())
    outcomes = {}
    for name, headers in (("no CSP", {}), ("the site's CSP", {"Content-Security-Policy": real_csp})):
        context = chromium.new_context()
        context.add_init_script(WATCH_CSP)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d, seen=dialogs: (seen.append(d.message), d.dismiss()))
        url = f"{site.origin}/control-{len(outcomes)}/"
        page.route(url, serving(body, headers))
        try:
            page.goto(url)
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)  # the img onerror handlers fire after /x answers 404
            outcomes[name] = (
                page.evaluate("() => window.__xss"),
                sorted(dialogs),
                page.evaluate("() => window.__violations || []"),
            )
        finally:
            context.close()
    ran, alerts, _ = outcomes["no CSP"]
    assert ran is not None and alerts, "unescaped and without a CSP, the payloads run"
    ran, alerts, violations = outcomes["the site's CSP"]
    assert ran is None and alerts == [], "the site's CSP alone stops them"
    assert "script-src-elem" in violations and "script-src-attr" in violations, violations
