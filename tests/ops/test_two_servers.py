"""Two app servers on one PostgreSQL database behave as one site.

Everything a person's next request depends on (sessions, CSRF tokens, answers, private
links, sign-in lockouts) lives in the database, so a load balancer may send any request to
any server. Two real `screenplan serve` processes share a fresh database; one browser
alternates between them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from web.profiles import LOW_RISK

from .servers import (
    PASSWORD,
    Browser,
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
    shown_value,
    sign_in,
    start_screen,
)

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


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
