"""Bytes and server time to first byte of each respondent page, next to a minimal page.

Run from the repository root:  python bench/pages.py  [--quick]

Starts `screenplan serve` (one gunicorn worker, SQLite in a throwaway folder) on a free
loopback port, walks one screen with urllib and a cookie jar as a person would (landing,
consent, the questions, the crisis page after a risk answer, results, plan, plan.pdf), and at
each page measures repeated GETs of it, interleaved with GETs of /healthz, the minimal Django
page served by the same server in the same run. Time to first byte is measured on the client
over loopback: from opening the connection to the end of the response headers. Prints figures
only; it never asserts.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCREENPLAN = Path(sys.executable).parent / "screenplan"
if not SCREENPLAN.exists():  # started with an interpreter outside the venv: rerun with the venv's
    venv_python = ROOT / ".venv" / "bin" / "python"
    if venv_python.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(venv_python), [str(venv_python), *sys.argv])  # noqa: S606
    raise SystemExit(f"no screenplan command beside {sys.executable}: install the project first (make setup)")

GOAL_RATIO = 2.0
LANG = "en"
# A low-risk respondent who answers PHQ-9 item 9 "Several days" and ASQ 1 "yes" (not right now):
# the crisis page comes next, then the screen goes on to results and a plan.
ANSWERS: dict[str, Any] = {
    "age": 35,
    "sex": "female",
    "audit_1": 1,
    "audit_2": 0,
    "audit_3": 0,
    "drug_use_year": "0",
    **{f"phq9_{i}": 0 for i in range(1, 10)},
    "phq9_1": 2,
    "phq9_2": 2,
    "phq9_9": 1,
    "asq_1": "yes",
    "asq_2": "no",
    "asq_3": "no",
    "asq_4": "no",
    "asq_5": "no",
    **{f"gad7_{i}": 0 for i in range(1, 8)},
    "pcptsd5_0": "no",
    "health": ["none"],
    "tx_antidepressants": "0",
    "tx_substance": "never",
    "readiness": 5,
    "support": "yes",
}


# --- The server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(workers: int) -> Iterator[tuple[str, int]]:
    """`screenplan serve` on a free loopback port in a throwaway data folder; stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="screenplan-bench-") as data:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENPLAN_") and k != "DATABASE_URL"}
        env["SCREENPLAN_DATA_DIR"] = data
        log = Path(data) / "serve.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(SCREENPLAN), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if get("127.0.0.1", port, "/healthz", "").body == b"ok":
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"screenplan serve did not start:\n{log.read_text(errors='replace')}")
                time.sleep(0.1)
            yield "127.0.0.1", port
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


# --- One timed GET -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetch:
    seconds: float  # connection opened -> response headers read
    status: int
    body: bytes
    header_bytes: int


def get(host: str, port: int, path: str, cookie: str) -> Fetch:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        seconds = time.perf_counter() - started
        body = response.read()
    finally:
        conn.close()
    status_line = len(f"HTTP/1.1 {response.status} {response.reason}\r\n")
    header_bytes = status_line + sum(len(f"{k}: {v}\r\n") for k, v in response.getheaders()) + 2
    return Fetch(seconds, response.status, body, header_bytes)


@dataclass
class Measure:
    name: str
    path: str
    status: int = 0
    body_bytes: int = 0
    header_bytes: int = 0
    times: list[float] = field(default_factory=list)
    minimal_times: list[float] = field(default_factory=list)  # /healthz, interleaved with this page

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def minimal_ms(self) -> float:
        return statistics.median(self.minimal_times) * 1000


class Bench:
    def __init__(self, host: str, port: int, reps: int, warmup: int) -> None:
        self.host, self.port, self.reps, self.warmup = host, port, reps, warmup
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.origin = f"http://{host}:{port}"
        self.results: list[Measure] = []

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def measure(self, name: str, path: str) -> None:
        """GET `path` `reps` times after a warm-up, each followed by GET /healthz with the same cookie."""
        cookie = self.cookie()
        m = Measure(name, path)
        warm = get(self.host, self.port, path, cookie)
        # A page slower than 0.1 s is warm after one more GET, and its warm-up would cost seconds.
        for _ in range(self.warmup - 1 if warm.seconds < 0.1 else 1):
            get(self.host, self.port, path, cookie)
            get(self.host, self.port, "/healthz", cookie)
        for _ in range(self.reps):
            page = get(self.host, self.port, path, cookie)
            m.times.append(page.seconds)
            m.minimal_times.append(get(self.host, self.port, "/healthz", cookie).seconds)
        m.status, m.body_bytes, m.header_bytes = page.status, len(page.body), page.header_bytes
        self.results.append(m)

    # The walk, with urllib and the cookie jar (redirects followed, as a browser would).

    def open(self, path: str, form: dict[str, Any] | None = None) -> tuple[str, str]:
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        request = urllib.request.Request(self.origin + path, data=data)  # noqa: S310 (our loopback server)
        with self.opener.open(request, timeout=30) as response:
            return urllib.parse.urlsplit(response.geturl()).path, response.read().decode()

    def walk(self) -> None:
        self.measure("minimal (/healthz)", "/healthz")
        self.measure("landing", f"/{LANG}/")
        path, html = self.open(f"/{LANG}/start/")
        self.measure("consent", path)
        path, html = self.open(path, {"csrfmiddlewaretoken": csrf(html), "consent": "yes"})
        if path != f"/{LANG}/screen/":
            raise SystemExit(f"consent led to {path}, not to the first question")
        measured = set()
        for _ in range(100):
            if path == f"/{LANG}/screen/crisis/":
                if "crisis" not in measured:
                    measured.add("crisis")
                    self.measure("crisis page", path)
                path, html = self.open(path, {"csrfmiddlewaretoken": csrf(html)})
                continue
            if path == f"/{LANG}/results/":
                break
            item = field_value(html, "item")
            if "question" not in measured:
                measured.add("question")
                self.measure(f"question ({item})", path)
            value = ANSWERS[item]
            form = {
                "csrfmiddlewaretoken": csrf(html),
                "item": item,
                "rev": field_value(html, "rev"),
                "value": [str(v) for v in value] if isinstance(value, list) else str(value),
            }
            path, html = self.open(path, form)
        else:
            raise SystemExit("the screen did not finish")
        if "crisis" not in measured:
            raise SystemExit("the crisis page never came: the answers no longer reach it")
        self.measure("results", f"/{LANG}/results/")
        self.measure("plan", f"/{LANG}/plan/")
        self.measure("plan.pdf", f"/{LANG}/plan.pdf")


def field_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    if not match:
        raise SystemExit(f"no {name} field in the page")
    return match.group(1)


def csrf(html: str) -> str:
    return field_value(html, "csrfmiddlewaretoken")


# --- Report ---------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="15 GETs per page instead of 50, for CI smoke use")
    ap.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1)")
    args = ap.parse_args()
    reps, warmup = (15, 3) if args.quick else (50, 10)

    started = time.perf_counter()
    with running_server(args.workers) as (host, port):
        bench = Bench(host, port, reps, warmup)
        bench.walk()
        css = get(host, port, "/static/assessments/screen.css", "")
    elapsed = time.perf_counter() - started

    print(
        f"screenplan pages benchmark  python {sys.version.split()[0]}  gunicorn workers {args.workers}  "
        f"SQLite  {'--quick' if args.quick else 'full run'}"
    )
    print(
        f"server time to first byte, measured on loopback (connect -> response headers): median of {reps} GETs "
        f"after a warm-up.\nminimal page = GET /healthz (no template, no database of its own) sent with the same "
        f"session cookie as the page and\ninterleaved with it (one /healthz after each page GET), so both pay "
        f"the same middleware and session cost."
    )
    print(f"goal: no page over {GOAL_RATIO:g}x the minimal page's server time\n")
    header = (
        f"{'page':<18} {'path':<18} {'status':>6} {'body B':>7} {'+hdrs B':>7} "
        f"{'TTFB ms':>8} {'p90 ms':>8} {'minimal ms':>10} {'ratio':>7}  goal"
    )
    print(header)
    print("-" * len(header))
    met_all = True
    for m in bench.results:
        p90 = sorted(m.times)[max(0, round(0.9 * len(m.times)) - 1)] * 1000
        ratio = m.median_ms / m.minimal_ms
        baseline = m.path == "/healthz"
        verdict = "-" if baseline else ("MET" if ratio <= GOAL_RATIO else "NOT MET")
        met_all = met_all and (baseline or ratio <= GOAL_RATIO)
        print(
            f"{m.name:<18} {m.path:<18} {m.status:>6} {m.body_bytes:>7} {m.body_bytes + m.header_bytes:>7} "
            f"{m.median_ms:>8.2f} {p90:>8.2f} {m.minimal_ms:>10.2f} {ratio:>6.1f}x  {verdict}"
        )
    print(
        f"\nstylesheet /static/assessments/screen.css: {len(css.body)} B body, loaded once by each HTML page "
        f"(browsers cache it for 60 s)"
    )
    print(f"overall: {'MET' if met_all else 'NOT MET'}  ({elapsed:.1f} s)")


if __name__ == "__main__":
    main()
