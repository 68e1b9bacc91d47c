"""The session-wide log audit (tests/logaudit.py) sees what it must, and fails when it should.

A pytest session is run in a subprocess with a planted leak: a registered token logged at
DEBUG (a level no handler prints, which the audit still reads) and a staff password in a
server log. The audit must fail that session and name the kind, the test and the place of
each finding without printing either secret, and must not count a private link that the
product's redaction removed. The same session without the planted leaks passes, so the
failure comes from the audit and nothing else.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import Client
from logaudit import Audit, captured, register

TESTS = Path(__file__).resolve().parent.parent

PLANTED = """
import logging

from logaudit import collect_log, register

TOKEN = "{token}"
PASSWORD = "{password}"
REDACTED = "{redacted}"


def test_a_log_call_writes_a_token():
    register("resume token", TOKEN)
    logging.getLogger("screenplan.example").debug("resuming with token=%s", TOKEN)


def test_a_server_log_holds_a_password(tmp_path):
    register("staff password", PASSWORD)
    log = tmp_path / "server.log"
    log.write_text(f"[INFO] Booting worker\\nsign-in for carla with {{PASSWORD}} refused\\n")
    collect_log(log, "planted server log")


def test_a_link_the_redaction_removes_is_not_a_finding():
    register("resume token", REDACTED)
    logging.getLogger("django.request").warning("Not Found: %s", f"/r/{{REDACTED}}/")
"""


def test_the_search_finds_every_raw_form_of_a_secret_and_nothing_else() -> None:
    audit = Audit()
    token, client = secrets.token_urlsafe(32), "spk_" + secrets.token_urlsafe(32)
    audit.register("resume token", token)
    audit.register("API client token", client)
    audit.register("PHI", "Alice Aardvark")
    audit.register("PHI", "+1 555 0100 111")
    texts = {
        "glued": f"GET /x?next=abc{token}def",
        "unprefixed": f"Authorization: Bearer {client.removeprefix('spk_')}",
        "form body": "name=Alice+Aardvark&phone=%2B1+555+0100+112",
        "json": '{"phone": "+1 555 0100 111"}',
        "clean": f"Not Found: /r/[redacted]/ {token[:20]} Alice 555 0100 Aardvarks",
    }
    kinds = {source: {audit.secrets[v].kind for v in values} for source, values in audit.search(texts).items()}
    assert kinds == {
        "glued": {"resume token"},
        "unprefixed": {"API client token"},
        "form body": {"PHI"},
        "json": {"PHI"},
    }


def run_session(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest on `folder` in a fresh process, with the audit plugin and the project's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SCREENPLAN_"))}
    env.update(
        PYTHONPATH=str(TESTS),
        DJANGO_SETTINGS_MODULE="screenplan.site.settings",
        SCREENPLAN_DATA_DIR=str(folder / "data"),
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "logaudit", "-p", "no:cacheprovider", "-q", *args, str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_planted_token_and_password_fail_the_session_without_being_printed(tmp_path: Path) -> None:
    token, password, redacted = secrets.token_urlsafe(32), secrets.token_urlsafe(16), secrets.token_urlsafe(32)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_planted.py").write_text(PLANTED.format(token=token, password=password, redacted=redacted))

    leaky = run_session(tmp_path)
    out = leaky.stdout + leaky.stderr
    assert leaky.returncode == 1, out
    assert "3 passed" in out, out  # every test passed: the audit alone failed the session
    assert ", 2 found" in out, out
    assert (
        "FOUND a resume token (registered by test_planted.py::test_a_log_call_writes_a_token)"
        " in logger screenplan.example" in out
    ), out
    assert (
        "FOUND a staff password (registered by test_planted.py::test_a_server_log_holds_a_password)"
        " in server log planted server log: 1 line(s)" in out
    ), out
    assert "test_a_link_the_redaction_removes" not in out, out
    assert token not in out and password not in out and redacted not in out
    kept = re.search(r"server logs kept in (\S+)", out)
    assert kept, out
    shutil.rmtree(kept.group(1))  # the planted log, kept for a real finding's inspection

    clean = run_session(tmp_path, "-k", "redaction")
    out = clean.stdout + clean.stderr
    assert clean.returncode == 0, out
    assert ", 0 found" in out and "FOUND" not in out, out


@pytest.mark.django_db
def test_with_debug_on_a_dead_private_link_is_logged_by_every_handler_without_its_token(
    client: Client, settings: pytest.FixtureRequest
) -> None:
    """Django's own handlers (its console when DEBUG is on) used to write this line unredacted."""
    settings.DEBUG = True  # type: ignore[attr-defined]
    token = register("resume token", secrets.token_urlsafe(32))
    with captured() as lines:
        assert client.get(f"/r/{token}/").status_code == 404
    assert any("Not Found: /r/[redacted]/" in line for line in lines), lines  # the audit saw it
    assert not [line for line in lines if token in line]


def test_a_missing_template_variable_is_logged_without_the_page_data() -> None:
    """django.template's DEBUG record for it carried the whole template context as its exception."""
    canary = register("PHI", f"PHI-canary-{secrets.token_hex(6)}")
    with captured() as lines:
        assert Template("{{ name }}{{ missing }}").render(Context({"name": canary})) == canary
    assert any("Exception while resolving variable 'missing'" in line for line in lines), lines
    assert not [line for line in lines if canary in line]
