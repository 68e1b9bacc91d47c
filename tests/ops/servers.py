"""Running the real `screenplan` command as separate processes and talking to it over HTTP.

The ops tests start `screenplan serve` (gunicorn) exactly as a deployment does, so nothing
here uses Django's test client: a small cookie-keeping client over http.client stands in for
a browser (form posts without an Origin header, as non-browser clients send them).
"""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

from logaudit import collect_log, note_output, register
from web.helpers import engine_asked  # noqa: F401  (re-exported for the ops tests)

PASSWORD = register("staff password", secrets.token_urlsafe(16))  # staff accounts of these throwaway sites


def command() -> str:
    beside = Path(sys.executable).parent / "screenplan"
    found = str(beside) if beside.exists() else shutil.which("screenplan")
    assert found, "the screenplan command is installed (make setup)"
    return found


def secrets_env() -> dict[str, str]:
    """A secret key and a data key, as a deployment passes them in the environment."""
    return {
        "SCREENPLAN_SECRET_KEY": register("secret key", secrets.token_urlsafe(50)),
        "SCREENPLAN_DATA_KEYS": register("data key", secrets.token_urlsafe(32)),
    }


def clean_env(**settings: str) -> dict[str, str]:
    """The test process's environment without any Screenplan setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENPLAN_") and k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "screenplan.site.settings"
    env.update(settings)
    return env


def manage(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [command(), "manage", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    note_output(f"stderr of manage {args[0] if args else ''}", result.stderr)  # its log; stdout is output
    return result


def create_staff(env: dict[str, str], username: str, role: str = "clinician") -> None:
    result = manage(env, "createstaff", username, "--role", role, stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One `screenplan serve --workers 1` process on a free loopback port."""

    env: dict[str, str]
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        # A second start would leave the first gunicorn running, with nobody to stop it.
        assert self.process is None or self.process.poll() is not None, "this server is already running"
        self.port = self.port or free_port()
        self._log_file = self.log.open("ab")
        # gunicorn's control socket goes to $XDG_RUNTIME_DIR: one per server, none in $HOME.
        runtime = self.log.with_name(f"{self.log.stem}-run")
        runtime.mkdir(mode=0o700, exist_ok=True)
        self.process = subprocess.Popen(
            [command(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            env={**self.env, "XDG_RUNTIME_DIR": str(runtime)},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, seconds: float = 60) -> None:
        assert self.process is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"screenplan serve exited with {self.process.returncode}:\n{self.log_text()}")
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                try:
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        return
                finally:
                    conn.close()
            time.sleep(0.1)
        raise AssertionError(f"screenplan serve did not answer within {seconds} s:\n{self.log_text()}")

    def stop(self) -> None:
        """A graceful stop (SIGTERM to gunicorn's master), as systemd does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
            collect_log(self.log)  # for the session's log audit (tests/logaudit.py)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[tuple[Server, ...]]:
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("location", "")).path

    def csrf(self) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text)
        assert match, f"the page has a form with a CSRF token: {self.text[:300]}"
        return match.group(1)


def send(
    server: Server, method: str, path: str, body: str | None, headers: dict[str, str]
) -> tuple[Response, list[str]]:
    """One request over a fresh loopback connection: the response, and its Set-Cookie values."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        raw = conn.getresponse()
        text = raw.read().decode("utf-8", errors="replace")
        cookies = [value for name, value in raw.getheaders() if name.lower() == "set-cookie"]
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text), cookies
    finally:
        conn.close()


@dataclass
class Browser:
    """A cookie jar and http.client: one person's browser, pointed at any of the servers."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, server: Server, method: str, path: str, data: dict[str, Any] | None = None) -> Response:
        headers = {"Host": f"127.0.0.1:{server.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response, cookies = send(server, method, path, body, headers)
        for value in cookies:
            self._keep(value)
        return response

    def _keep(self, header: str) -> None:
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, server: Server, path: str) -> Response:
        return self.request(server, "GET", path)

    def post(self, server: Server, path: str, data: dict[str, Any], token: str) -> Response:
        return self.request(server, "POST", path, {**data, "csrfmiddlewaretoken": token})

    def submit(self, server: Server, path: str, data: dict[str, Any], form_from: Server | None = None) -> Response:
        """GET the page holding the form (on `form_from`, default the same server), then POST it."""
        token = self.get(form_from or server, path).csrf()
        return self.post(server, path, data, token)


# The respondent's side.


def start_screen(browser: Browser, server: Server) -> None:
    response = browser.submit(server, "/en/start/", {"consent": "yes"})
    assert response.status == 302 and response.location == "/en/screen/", (response.status, response.location)


def question(page: Response) -> tuple[str, str]:
    """The item id and revision of a question page."""
    item = re.search(r'name="item" value="([a-z0-9_]+)"', page.text)
    rev = re.search(r'name="rev" value="(\d+)"', page.text)
    assert item and rev, page.text[:500]
    return item.group(1), rev.group(1)


def form_value(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def shown_value(page: Response) -> list[str]:
    """What a question page shows as already answered: the chosen answer's button, checked
    options, or the number typed."""
    checked = re.findall(r'class="option tap chosen" type="submit" name="value" value="([^"]*)"', page.text)
    checked += re.findall(r'name="value" value="([^"]*)" checked', page.text)
    if checked:
        return [html.unescape(v) for v in checked]
    number = re.search(r'name="value" type="number"[^>]* value="([^"]*)"', page.text)
    return [number.group(1)] if number and number.group(1) else []


def answer_one(browser: Browser, read_on: Server, post_to: Server, answers: dict[str, Any]) -> str | None:
    """Read the current question on one server and answer it on another; None once finished."""
    page = browser.get(read_on, "/en/screen/")
    if page.status == 302 and page.location == "/en/screen/crisis/":
        crisis = browser.get(read_on, page.location)
        response = browser.post(post_to, page.location, {"safe": "yes"}, crisis.csrf())
        assert response.status == 302, response.status
        return answer_one(browser, read_on, post_to, answers)
    if page.status == 302:
        assert page.location == "/en/results/", page.location
        return None
    assert page.status == 200, page.status
    item, rev = question(page)
    data = {"item": item, "rev": rev, "value": form_value(answers[item])}
    response = browser.post(post_to, "/en/screen/", data, page.csrf())
    assert response.status == 302, (item, response.status, response.text[:300])
    return item


def answer_all(browser: Browser, servers: tuple[Server, ...], answers: dict[str, Any]) -> list[str]:
    """Answer every question, reading each on one server and posting to the next in turn."""
    asked: list[str] = []
    for step in range(80):
        read_on, post_to = servers[step % len(servers)], servers[(step + 1) % len(servers)]
        item = answer_one(browser, read_on, post_to, answers)
        if item is None:
            return asked
        asked.append(item)
    raise AssertionError("the flow did not finish")


def private_link(browser: Browser, server: Server, back: str = "/en/screen/") -> str:
    """Ask for a private link (the form is on the question or results page); return its path."""
    token = browser.get(server, back).csrf()
    page = browser.post(server, "/en/link/", {}, token)
    assert page.status == 200, page.status
    match = re.search(r'value="https?://[^/"]+(/r/([A-Za-z0-9_\-]+)/)"', page.text)
    assert match, page.text[:400]
    register("resume token", match.group(2))  # issued by the server process, out of the audit's sight
    return match.group(1)


# The staff side.


def sign_in(browser: Browser, server: Server, username: str, password: str = PASSWORD) -> Response:
    register("staff password", password)
    token = browser.get(server, "/staff/login/").csrf()
    return browser.post(server, "/staff/login/", {"username": username, "password": password, "next": "/staff/"}, token)
