"""Two app servers on one PostgreSQL database behave as one site.

Everything a person's next request depends on (sessions, CSRF tokens, answers, private
links, sign-in lockouts) and the API's rate-limit counters live in the database, so a load
balancer may send any request to any server. Two real `screenplan serve` processes share a
fresh database; one browser (or API client) alternates between them.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from web.profiles import LOW_RISK

from .servers import (
    PASSWORD,
    Browser,
    Response,
    Server,
    answer_all,
    answer_one,
    clean_env,
    create_staff,
    engine_asked,
    manage,
    private_link,
    question,
    running,
    secrets_env,
    send,
    shown_value,
    sign_in,
    start_screen,
)

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Requests per minute per private token, set explicitly so the test knows where the limit is
# (the default, 120, would only make the test longer).
API_LIMIT = 40


def _admin() -> psycopg.Connection:
    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)


def _reachable() -> str | None:
    try:
        with _admin():
            return None
    except psycopg.OperationalError as exc:
        return f"PostgreSQL is not reachable at {ADMIN_URL}: {' '.join(str(exc).split())}"


_UNREACHABLE = _reachable()
pytestmark = pytest.mark.skipif(_UNREACHABLE is not None, reason=_UNREACHABLE or "")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = f"screenplan_two_{secrets.token_hex(6)}"
    with _admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with _admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def servers(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    folder: Path = tmp_path_factory.mktemp("two-servers")
    env = clean_env(
        DATABASE_URL=database,
        SCREENPLAN_DATA_DIR=str(folder / "data"),
        SCREENPLAN_REQUIRE_TOTP="false",
        SCREENPLAN_API_RATE_PER_MINUTE=str(API_LIMIT),
        **secrets_env(),
    )
    migrated = manage(env, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    create_staff(env, "clin")
    create_staff(env, "locked_out")
    a, b = Server(env, folder / "a.log"), Server(env, folder / "b.log")
    with running(a, b):
        assert a.port != b.port
        yield a, b


def test_a_staff_session_signed_in_on_one_server_works_on_the_other(servers: tuple[Server, Server]) -> None:
    a, b = servers
    assert Browser().get(b, "/staff/").location == "/staff/login/"  # not signed in: sent to sign in
    staff = Browser()
    response = sign_in(staff, a, "clin")
    assert response.status == 302 and response.location == "/staff/", (response.status, response.text[:300])
    queue = staff.get(b, "/staff/")
    assert queue.status == 200 and "<h1>Queue</h1>" in queue.text
    signed_out = staff.post(a, "/staff/logout/", {}, staff.get(b, "/staff/").csrf())
    assert signed_out.status == 302
    assert staff.get(b, "/staff/").location == "/staff/login/"  # signing out on A ends it on B


def test_a_csrf_token_from_one_servers_form_is_accepted_by_the_other(servers: tuple[Server, Server]) -> None:
    a, b = servers
    browser = Browser()
    token = browser.get(a, "/en/start/").csrf()
    assert browser.post(b, "/en/start/", {"consent": "yes"}, "x" * 64).status == 403  # a wrong token is refused
    response = browser.post(b, "/en/start/", {"consent": "yes"}, token)
    assert response.status == 302 and response.location == "/en/screen/"


def test_a_private_link_from_one_server_opens_the_saved_answers_on_the_other(servers: tuple[Server, Server]) -> None:
    a, b = servers
    first = Browser()
    start_screen(first, a)
    answered = [answer_one(first, a, a, LOW_RISK) for _ in range(3)]
    link = private_link(first, a)

    later = Browser()  # another device: nothing but the link
    opened = later.get(b, link)
    assert opened.status == 302 and opened.location == "/en/screen/"
    item, rev = question(later.get(b, "/en/screen/"))
    assert item == engine_asked(LOW_RISK)[3] and rev == "3"
    for item_id in answered:
        assert item_id is not None
        page = later.get(b, f"/en/screen/?item={item_id}")
        assert page.status == 200 and shown_value(page) == [str(LOW_RISK[item_id])], item_id


def test_a_respondent_answering_alternately_on_both_servers_loses_nothing(servers: tuple[Server, Server]) -> None:
    a, b = servers
    browser = Browser()
    start_screen(browser, a)
    asked = []
    for step in range(80):  # each question read on one server and answered on the other, in turn
        read_on, post_to = (a, b) if step % 2 == 0 else (b, a)
        page = browser.get(read_on, "/en/screen/")
        if page.status == 302:
            break
        item, rev = question(page)
        assert rev == str(len(asked)), (item, rev)  # every earlier answer is stored, whichever server took it
        asked.append(answer_one(browser, read_on, post_to, LOW_RISK))
    assert asked == engine_asked(LOW_RISK)
    for server in servers:
        results = browser.get(server, "/en/results/")
        assert results.status == 200


def test_the_whole_flow_round_robin_reaches_the_same_results(servers: tuple[Server, Server]) -> None:
    browser = Browser()
    start_screen(browser, servers[1])
    assert answer_all(browser, servers, LOW_RISK) == engine_asked(LOW_RISK)
    pages = [browser.get(server, "/en/results/").text for server in servers]
    main = [re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", p) for p in pages]
    assert main[0] == main[1]


def test_a_lockout_reached_on_one_server_holds_on_the_other(servers: tuple[Server, Server]) -> None:
    a, b = servers
    assert sign_in(Browser(), b, "locked_out").status == 302  # the right password works before the lockout
    attacker = Browser()
    for _ in range(5):
        assert sign_in(attacker, a, "locked_out", "not the password at all").status == 400
    refused = sign_in(Browser(), b, "locked_out", PASSWORD)
    assert refused.status == 429 and "Too many failed attempts" in refused.text
    assert sign_in(Browser(), b, "clin").status == 302  # only that account (from that address) is locked


def api(server: Server, method: str, path: str, token: str = "", body: object = None) -> Response:
    """One JSON API request, as a kiosk sends it: a bearer token and a JSON body, no cookies."""
    headers = {"Host": f"127.0.0.1:{server.port}", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body)
    if data is not None:
        headers["Content-Type"] = "application/json"
    return send(server, method, path, data, headers)[0]


def requests_until_refused(targets: list[Server], token: str) -> tuple[int, Response]:
    """GET /api/v1/screen with one token, cycling over `targets`, until a refusal: (200s before it, refusal)."""
    for n in range(3 * API_LIMIT):
        response = api(targets[n % len(targets)], "GET", "/api/v1/screen", token)
        if response.status != 200:
            return n, response
    raise AssertionError(f"no refusal in {3 * API_LIMIT} requests")


def test_the_api_rate_limit_holds_when_requests_alternate_between_servers(servers: tuple[Server, Server]) -> None:
    a, b = servers
    # The limit counts per fixed minute (ratelimit.hit), so both runs must fall in one minute:
    # start at the top of a fresh one if little of this one is left.
    if (left := 60 - time.time() % 60) < 30:
        time.sleep(left + 0.5)
    window = int(time.time() // 60)

    tokens = []
    for server in (a, b):
        started = api(server, "POST", "/api/v1/screens", body={"language": "en"})
        assert started.status == 201, (started.status, started.text[:300])
        tokens.append(json.loads(started.text)["token"])

    alone, _ = requests_until_refused([a], tokens[0])  # the baseline: one server
    both, refused = requests_until_refused([a, b], tokens[1])  # a, b, a, b, ...
    assert int(time.time() // 60) == window, "both runs fell in one rate-limit window"

    # A counter kept in each server's memory would let the alternating client through twice as often.
    assert alone == both == API_LIMIT, (alone, both)
    assert refused.status == 429 and refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    assert json.loads(refused.text)["status"] == 429
    for server in servers:  # the refusal is the same on either server, for the rest of the minute
        again = api(server, "GET", "/api/v1/screen", tokens[1])
        assert again.status == 429 and "retry-after" in again.headers, server.port
    assert api(b, "GET", "/api/v1/screen", secrets.token_urlsafe(32)).status == 401  # other tokens are not held back
