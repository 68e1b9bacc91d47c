"""Load: N respondents completing whole screens over loopback HTTP, 0 errors, and what it costs.

A real `screenplan serve` (gunicorn, one sync worker per core) runs on SQLite in a throwaway
data folder on 127.0.0.1. N simulated respondents (threads, each a fresh cookie jar per
screen, http.client, no think time) complete whole screens through the real forms: the
consent page and its POST, every question (GET the page, POST the answer; the crisis page
when a risk answer brings it up), then the results page and the plan page; then they start
again, until the time is up (full: 200 respondents for 180 s; quick: 40 for 20 s). A request
is never sent after the deadline and every request has a 30 s timeout, so the run stops by
itself; a screen cut by the deadline is not counted as completed.

Reported: completed screens per second, request p50/p95/p99 (client-side, queueing
included), errors (any 5xx, connection error, timeout, unexpected status or page), and the
server's CPU seconds per completed screen: utime+stime (+ reaped children) of every process
in the server's process group (gunicorn's master and its workers), read from /proc/<pid>/stat
before and after. In the same run and on the same server, the floor: GET /healthz (a minimal
Django view behind the whole middleware stack) in a loop with the same concurrency for the
same time; the server CPU per request of the flow is compared with the floor's.

Checks: load-errors (0 errors: the pass condition); load-throughput (≥ 30 completed
screens/s) and load-cpu-vs-floor (flow CPU per request within 3× the floor) pass or fail by
their targets; on a 2-core machine shared with the load driver itself they may fail, and
the line says so with the figures.

Negative control: a short burst against two servers on the same database and SECRET_KEY
whose SCREENPLAN_DATA_KEYS differ (two app servers misconfigured behind one balancer), each
respondent alternating between them: an answer sealed by one cannot be opened by the other,
so requests get 500s, and the same error counter must see them.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import math
import os
import random
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from common import Result
from crash import CrashServer
from ops.servers import Browser, Response, clean_env, form_value, question, secrets_env
from psycopg import sql
from web.profiles import AT_RISK, INTEGRATED, LOW_RISK

PROFILES = (LOW_RISK, INTEGRATED, AT_RISK)  # AT_RISK passes through the crisis page
NETWORK_ERRORS = (OSError, http.client.HTTPException)  # refused, reset, timed out, cut short
STRAGGLE = 40.0  # seconds after the deadline for a request in flight (30 s timeout) to end
TARGET_SCREENS_PER_S = 30.0
TARGET_CPU_RATIO = 3.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class TimeUp(Exception):
    """The deadline passed: no further request is sent."""


def cpu_of(pgid: int | None = None, command: str | None = None) -> tuple[float, float, int]:
    """User and system CPU seconds (reaped children included) of the processes in one process
    group, or of every process running `command`; and how many there are."""
    user = system = processes = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # it ended between the listing and the read
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()  # fields[0] is field 3 (state) of proc(5)
        if (pgid is not None and int(fields[2]) != pgid) or (command is not None and name != command):
            continue  # field 5: pgrp
        processes += 1
        ticks = [int(f) for f in fields[11:15]]  # fields 14-17: utime, stime, cutime, cstime
        user, system = user + ticks[0] + ticks[2], system + ticks[1] + ticks[3]
    return user / CLOCK_TICKS, system / CLOCK_TICKS, processes


class Client(threading.Thread):
    """One simulated respondent (mode "flow") or a /healthz loop (mode "floor")."""

    def __init__(self, number: int, servers: list[CrashServer], deadline: float, mode: str) -> None:
        super().__init__(name=f"{mode}-{number}", daemon=True)
        self.number, self.servers, self.deadline, self.mode = number, servers, deadline, mode
        self.browser = Browser()
        self.latencies: list[float] = []
        self.requests = 0
        self.completed = 0
        self.errors: collections.Counter[str] = collections.Counter()
        self.kinds: collections.Counter[str] = collections.Counter()  # 5xx, connection, unexpected
        self.failure = ""

    def call(
        self, method: str, path: str, data: dict[str, Any] | None = None, expect: tuple[int, ...] = (200,)
    ) -> Response | None:
        """One request (round robin over the servers); None, with the error counted, unless expected."""
        if time.monotonic() >= self.deadline:
            raise TimeUp
        server = self.servers[self.requests % len(self.servers)]
        self.requests += 1
        began = time.perf_counter()
        try:
            response = self.browser.request(server, method, path, data)
        except NETWORK_ERRORS as exc:
            self.error("connection", f"{method} {path} {type(exc).__name__}")
            return None
        self.latencies.append(time.perf_counter() - began)
        if response.status not in expect:
            kind = "5xx" if response.status >= 500 else "unexpected"
            self.error(kind, f"{method} {path} {response.status}")
            return None
        return response

    def error(self, kind: str, what: str) -> None:
        self.kinds[kind] += 1
        self.errors[what] += 1

    def run(self) -> None:
        rng = random.Random(self.number)  # noqa: S311  (which vignette: not security)
        try:
            while time.monotonic() < self.deadline:
                if self.mode == "floor":
                    self.call("GET", "/healthz")
                    continue
                if not self.one_screen(rng.choice(PROFILES)):
                    time.sleep(0.05)  # after an error, a new screen (and no busy loop against a broken server)
        except TimeUp:
            pass
        except Exception as exc:  # reported as a failure of the run, never swallowed
            self.failure = f"{self.name}: {type(exc).__name__}: {exc}"

    def one_screen(self, profile: dict[str, Any]) -> bool:
        """Consent, every question, results, plan; True when the whole screen was completed."""
        self.browser = Browser()  # a new respondent: a new cookie jar
        consent = self.call("GET", "/en/start/")
        if consent is None or not (token := self.csrf(consent)):
            return False
        started = self.call("POST", "/en/start/", {"consent": "yes", "csrfmiddlewaretoken": token}, (302,))
        if started is None or not self.goes(started, "/en/screen/"):
            return False
        for _ in range(80):
            page = self.call("GET", "/en/screen/", expect=(200, 302))
            if page is None:
                return False
            if page.status == 302 and page.location == "/en/screen/crisis/":
                crisis = self.call("GET", page.location)
                if crisis is None or not (token := self.csrf(crisis)):
                    return False
                safe = self.call("POST", page.location, {"safe": "yes", "csrfmiddlewaretoken": token}, (302,))
                if safe is None:
                    return False
                continue
            if page.status == 302:
                if not self.goes(page, "/en/results/"):
                    return False
                results = self.call("GET", "/en/results/")
                plan = results and self.call("GET", "/en/plan/")
                if plan is None:
                    return False
                self.completed += 1
                return True
            if not (token := self.csrf(page)):
                return False
            try:
                item, rev = question(page)
            except AssertionError:
                self.error("unexpected", "GET /en/screen/ without a question")
                return False
            data = {"item": item, "rev": rev, "value": form_value(profile[item]), "csrfmiddlewaretoken": token}
            if self.call("POST", "/en/screen/", data, (302,)) is None:
                return False
        self.error("unexpected", "the flow did not finish in 80 pages")
        return False

    def csrf(self, page: Response) -> str:
        try:
            return page.csrf()
        except AssertionError:
            self.error("unexpected", f"a {page.status} page without its form")
            return ""

    def goes(self, response: Response, where: str) -> bool:
        if response.location == where:
            return True
        self.error("unexpected", f"redirect to {response.location} not {where}")
        return False


@dataclass
class Phase:
    mode: str
    clients: int
    seconds: float = 0.0
    requests: int = 0
    completed: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    kinds: collections.Counter[str] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)
    stragglers: int = 0
    server_cpu: float = 0.0
    server_system: float = 0.0  # of which in the kernel (system calls: sockets, fsync, locks)
    database_cpu: float = math.nan  # PostgreSQL's own processes, outside the server's group
    driver_cpu: float = 0.0
    processes: int = 0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + len(self.failures) + self.stragglers

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the request latencies, in milliseconds."""
        if not self.latencies:
            return math.nan
        return 1000 * self.latencies[max(0, math.ceil(p / 100 * len(self.latencies)) - 1)]

    def latency(self) -> str:
        return "/".join(f"{self.percentile(p):.0f}" for p in (50, 95, 99)) + " ms"

    def cpu_per_request_ms(self) -> float:
        return 1000 * self.server_cpu / self.requests if self.requests else math.nan

    def examples(self) -> str:
        shown = [f"{what} ×{n}" for what, n in self.errors.most_common(3)] + self.failures[:2]
        if self.stragglers:
            shown.append(f"{self.stragglers} clients still running after the deadline")
        return "; ".join(shown) or "none"


def phase(servers: list[CrashServer], mode: str, clients: int, seconds: float, postgres: bool = False) -> Phase:
    """`clients` threads for `seconds` against `servers`; the servers' CPU measured around it
    (and, with `postgres`, the CPU of every PostgreSQL process on the machine)."""
    groups = [s.process.pid for s in servers if s.process is not None]  # start_new_session: pgid = pid
    before = [cpu_of(pgid=g) for g in groups]
    database_before = cpu_of(command="postgres") if postgres else None
    driver_before = sum(os.times()[:2])
    begin = time.monotonic()
    deadline = begin + seconds
    threads = [Client(n, servers, deadline, mode) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.1, deadline + STRAGGLE - time.monotonic()))
    result = Phase(mode, clients, seconds=time.monotonic() - begin)
    after = [cpu_of(pgid=g) for g in groups]
    result.driver_cpu = sum(os.times()[:2]) - driver_before
    result.server_system = sum(a[1] - b[1] for a, b in zip(after, before, strict=True))
    result.server_cpu = sum(a[0] - b[0] for a, b in zip(after, before, strict=True)) + result.server_system
    result.processes = sum(a[2] for a in after)
    if database_before is not None:
        database_after = cpu_of(command="postgres")
        result.database_cpu = sum(database_after[:2]) - sum(database_before[:2])
    result.stragglers = sum(t.is_alive() for t in threads)
    for thread in threads:
        result.requests += thread.requests
        result.completed += thread.completed
        result.latencies.extend(thread.latencies)
        result.errors.update(thread.errors)
        result.kinds.update(thread.kinds)
        if thread.failure:
            result.failures.append(thread.failure)
    result.latencies.sort()
    return result


def start(folder: Path, settings: dict[str, str], name: str, workers: int) -> CrashServer:
    folder.mkdir(parents=True, exist_ok=True)
    server = CrashServer(clean_env(**settings), folder / f"{name}.log", workers=workers)
    server.start()
    try:
        server.wait_ready(60)
    except BaseException:
        server.kill()
        raise
    return server


def measure(folder: Path, clients: int, seconds: float, workers: int) -> tuple[Phase, Phase]:
    """The floor (GET /healthz), then the flow, on one server, after a short warm-up."""
    settings = {"SCREENPLAN_DATA_DIR": str(folder / "data"), "SCREENPLAN_REQUIRE_TOTP": "false", **secrets_env()}
    server = start(folder, settings, "server", workers)
    try:
        phase([server], "flow", 4, 2.0)  # every worker has rendered every template once; not counted
        floor = phase([server], "floor", clients, seconds)
        flow = phase([server], "flow", clients, seconds)
        return floor, flow
    finally:
        server.stop()


POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server for this run, dropped afterwards."""
    name = f"screenplan_load_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def measure_two_servers(folder: Path, clients: int, seconds: float, workers: int) -> tuple[Phase, Phase]:
    """The same floor and flow against two app servers on one PostgreSQL database, every
    respondent's requests alternating between them (a load balancer with no stickiness)."""
    with postgres_database() as url:
        shared = {
            "DATABASE_URL": url,
            "SCREENPLAN_DATA_DIR": str(folder / "data"),
            "SCREENPLAN_REQUIRE_TOTP": "false",
            **secrets_env(),
        }
        each = max(1, workers // 2)  # the same cores as the SQLite run, split between two servers
        first = start(folder, shared, "first", each)
        try:
            second = start(folder, shared, "second", each)  # after the first: one migrate at a time
            try:
                phase([first, second], "flow", 4, 2.0)  # warm-up, not counted
                floor = phase([first, second], "floor", clients, seconds, postgres=True)
                flow = phase([first, second], "flow", clients, seconds, postgres=True)
                return floor, flow
            finally:
                second.stop()
        finally:
            first.stop()


def negative_control(folder: Path, clients: int, seconds: float) -> Phase:
    """Two servers on one database and SECRET_KEY with different data keys; clients alternate."""
    shared = {"SCREENPLAN_DATA_DIR": str(folder / "data"), "SCREENPLAN_REQUIRE_TOTP": "false", **secrets_env()}
    first = start(folder, shared, "first", 1)
    try:
        other_keys = {**shared, "SCREENPLAN_DATA_KEYS": secrets_env()["SCREENPLAN_DATA_KEYS"]}
        second = start(folder, other_keys, "second", 1)  # after the first: one migrate at a time
        try:
            return phase([first, second], "flow", clients, seconds)
        finally:
            second.stop()
    finally:
        first.stop()


def figures(name: str, floor: Phase, flow: Phase, setup: str) -> list[Result]:
    """The lines of one configuration: errors (0 to pass), throughput and CPU per request (targets)."""
    errors = flow.error_count + floor.error_count
    kinds = flow.kinds + floor.kinds
    per_s = flow.completed / flow.seconds if flow.seconds else 0.0
    cpu_per_screen = flow.server_cpu / flow.completed if flow.completed else math.nan
    ratio = flow.cpu_per_request_ms() / floor.cpu_per_request_ms() if floor.requests else math.nan
    per_screen = flow.requests / flow.completed if flow.completed else math.nan
    # If every request of a screen cost only what GET /healthz costs, this many screens per
    # second: the most any change to the flow's own code could reach on this machine.
    ceiling = floor.requests / floor.seconds / per_screen if floor.seconds and flow.completed else math.nan
    system = 100 * flow.server_system / flow.server_cpu if flow.server_cpu else math.nan
    database = ""
    if not math.isnan(flow.database_cpu) and flow.completed:
        database = (
            f"; PostgreSQL's own processes, not counted above: {flow.database_cpu / flow.completed:.3f} s per screen"
        )
    met = {True: "MET", False: "NOT MET"}
    throughput_ok = per_s >= TARGET_SCREENS_PER_S
    ratio_ok = ratio <= TARGET_CPU_RATIO  # NaN compares False
    return [
        Result(
            f"{name}-errors",
            errors == 0 and flow.completed > 0 and floor.requests > 0,
            f"{errors} errors (goal 0: {met[errors == 0]}): flow {flow.error_count} in {flow.requests} requests, "
            f"{flow.completed} screens completed; floor {floor.error_count} in {floor.requests} GET /healthz; "
            f"{kinds['5xx']} 5xx, {kinds['connection']} connection, {kinds['unexpected']} unexpected, "
            f"{len(flow.failures) + len(floor.failures)} driver failures; {setup}; "
            f"e.g. {flow.examples()} | {floor.examples()}",
        ),
        Result(
            f"{name}-throughput",
            throughput_ok,
            f"{per_s:.1f} completed screens/s (target ≥ {TARGET_SCREENS_PER_S:.0f}: {met[throughput_ok]}); "
            f"{flow.requests / flow.seconds:.0f} requests/s, {per_screen:.0f} requests per screen, "
            f"p50/p95/p99 {flow.latency()}; server CPU {cpu_per_screen:.3f} s per completed screen "
            f"({flow.server_cpu:.1f} s over {flow.processes} processes, {system:.0f} % of it in the kernel{database}); "
            f"load driver's own CPU "
            f"{flow.driver_cpu:.1f} s on the same cores; at the floor's cost per request: {ceiling:.1f} screens/s",
            gated=False,
        ),
        Result(
            f"{name}-cpu-vs-floor",
            ratio_ok,
            f"flow {flow.cpu_per_request_ms():.2f} ms server CPU per request vs floor "
            f"{floor.cpu_per_request_ms():.2f} ms (GET /healthz: {floor.requests / floor.seconds:.0f} requests/s, "
            f"p50/p95/p99 {floor.latency()}): ratio {ratio:.1f}× (target ≤ {TARGET_CPU_RATIO:.0f}×: {met[ratio_ok]})",
            gated=False,
        ),
    ]


def run(quick: bool) -> list[Result]:
    clients, seconds = (40, 20.0) if quick else (200, 180.0)
    workers = max(2, os.cpu_count() or 2)
    folder = Path(tempfile.mkdtemp(prefix="screenplan-load-"))
    try:
        floor, flow = measure(folder / "run", clients, seconds, workers)
        results = figures(
            "load",
            floor,
            flow,
            f"SQLite, {clients} respondents, {flow.seconds:.0f} s, {workers} gunicorn workers "
            f"on {os.cpu_count()} cores",
        )
        try:
            pg_floor, pg_flow = measure_two_servers(folder / "postgres", clients, seconds, workers)
        except psycopg.OperationalError as exc:  # no server to measure: a failed check, never a skip
            results.append(Result("load-postgres-errors", False, f"PostgreSQL at {POSTGRES_ADMIN}: {exc}"))
        else:
            setup = (
                f"two app servers on one PostgreSQL, each request to the next server, {clients} respondents, "
                f"{pg_flow.seconds:.0f} s, {max(1, workers // 2)} worker(s) each on {os.cpu_count()} cores"
            )
            results += figures("load-postgres", pg_floor, pg_flow, setup)
        broken = negative_control(folder / "control", min(clients, 20), 4.0 if quick else 8.0)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    caught = broken.kinds["5xx"] > 0
    results.append(
        Result(
            "load-errors negative control caught" if caught else "load-errors negative control",
            caught,
            f"{broken.error_count} errors seen ({broken.kinds['5xx']} 5xx, {broken.kinds['connection']} connection, "
            f"{broken.kinds['unexpected']} unexpected) in {broken.requests} requests over {broken.seconds:.0f} s, "
            f"two servers with different SCREENPLAN_DATA_KEYS; e.g. {broken.examples()}",
        )
    )
    return results
