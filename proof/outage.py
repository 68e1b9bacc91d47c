"""Database outage: PostgreSQL restarted under load, and nothing acknowledged is lost.

The machine's own PostgreSQL is never touched: the harness makes a throwaway cluster of the
newest PostgreSQL under /usr/lib/postgresql (initdb, pg_ctl, run as the `postgres` user when
we are root) in a temp folder on a free loopback port, trust authentication on 127.0.0.1,
fsync and synchronous_commit on (the app's startup check refuses anything else). A real
`screenplan serve --workers 2` runs on it (`manage migrate` first). Respondents (threads,
crash.py's respondent: the real forms, a 302 to a POST is an acknowledged answer, a failed
request is sent again as it was) complete screens while the cluster is stopped
(`pg_ctl stop -m fast`), left down for a few seconds so requests fail, and started again,
3 times (full: 20 respondents, 90 s; quick: 8 respondents, 30 s). After a failed request a
respondent presses again 0.5 s later rather than waiting the 10 s Retry-After asks for, so
recovery is measured on the server, not on the client's patience.

Every failed request (status >= 400 or no answer at all) is recorded: its status, its
Retry-After and whether the body is the friendly page with no traceback text. For every
restart, the time from "database back" (pg_isready ok) to the first 2xx/3xx answer is
measured, and the requests sent after it that still failed are counted (a stale pooled
connection would show there). The app server's master and worker PIDs are compared before and after. At the end
the database is read directly (answers opened with the same data keys, crash.py's audit):
every acknowledged answer is stored, nothing unsubmitted is, the revision counts match.

Negative control: a short run (one restart) with SCREENPLAN_UNSAFE_DB_ERRORS_AS_500 (test-only,
refused with SCREENPLAN_PRODUCTION), under which a database error is the generic 500 page
again; the clean-503 check must fail on it.
"""

from __future__ import annotations

import collections
import math
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from checks import production_env
from common import Result, last_line
from crash import NETWORK_ERRORS, Audit, CrashServer, Respondent, Screen, audit_rows
from ops.servers import Response, clean_env, free_port, manage, secrets_env

PG_ROOT = Path("/usr/lib/postgresql")  # Debian's layout: one folder per major version
FRIENDLY = "Please try again in a moment"
TRACEBACK = ("Traceback", 'File "', "OperationalError", "InterfaceError", "psycopg", "django.db")
RETRY = 0.5  # seconds before a respondent presses again after a failure
TARGET_CLEAN = 0.99
TARGET_RECOVERY = 10.0
UNSAFE = "SCREENPLAN_UNSAFE_DB_ERRORS_AS_500"


def pg_bin() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    found = PG_ROOT.iterdir() if PG_ROOT.is_dir() else iter(())
    versions = sorted((p for p in found if p.name.isdigit()), key=lambda p: int(p.name))
    assert versions, f"no PostgreSQL server under {PG_ROOT} (apt-get install postgresql)"
    return versions[-1] / "bin"


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster in `folder`, listening on 127.0.0.1:`port` only."""

    folder: Path
    port: int = 0
    bin: Path = field(default_factory=pg_bin)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def tool(self, name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """A PostgreSQL binary, as the `postgres` user when we are root (the server refuses root)."""
        prefix: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            assert runuser, "runuser (util-linux) is installed"
            prefix = [runuser, "-u", "postgres", "--"]
        return subprocess.run(  # noqa: S603  (fixed binaries, no shell)
            [*prefix, str(self.bin / name), *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def create(self) -> Cluster:
        self.port = self.port or free_port()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        made = self.tool("initdb", "-D", "data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        assert made.returncode == 0, made.stderr
        with (self.folder / "data" / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.folder}'\n"
                "fsync = on\nsynchronous_commit = on\nmax_connections = 50\n"
            )
        self.start()
        return self

    def start(self) -> None:
        started = self.tool("pg_ctl", "-D", "data", "-l", "postgres.log", "-w", "-t", "60", "start")
        assert started.returncode == 0, started.stdout + started.stderr

    def stop(self, mode: str = "fast") -> None:
        self.tool("pg_ctl", "-D", "data", "-m", mode, "-w", "-t", "60", "stop")

    def ready(self) -> bool:
        return self.tool("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), timeout=10).returncode == 0

    def rows(self) -> list[Any]:
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres") as conn:
            return conn.execute(
                "SELECT public_id, token_hash, answers_sealed, revision, status FROM assessments_assessment"
            ).fetchall()


@dataclass(frozen=True)
class Failure:
    sent: float
    at: float
    what: str  # "GET /en/screen/ 503", or the network error
    status: int  # 0: no answer
    retry_after: str
    friendly: bool

    @property
    def clean(self) -> bool:
        return self.status == 503 and self.retry_after.isdigit() and int(self.retry_after) > 0 and self.friendly


class Person(Respondent):
    """crash.py's respondent; every failure is recorded, and a 5xx is pressed again like a lost request."""

    def __init__(self, number: int, server: CrashServer, deadline: float) -> None:
        super().__init__(number, server, deadline, canary=f"Outage {number}")
        self.failures: list[Failure] = []
        self.successes: list[float] = []  # when each 2xx/3xx answer arrived
        self.requests = 0

    def call(self, method: str, path: str, data: dict[str, Any] | None = None) -> Response | None:
        while time.monotonic() < self.hard_deadline:
            self.requests += 1
            sent = time.monotonic()
            try:
                response = self.browser.request(self.server, method, path, data)
            except NETWORK_ERRORS as exc:
                self.network_errors += 1
                self.failures.append(
                    Failure(sent, time.monotonic(), f"{method} {path} {type(exc).__name__}", 0, "", False)
                )
                time.sleep(RETRY)
                continue
            if response.status < 400:
                self.successes.append(time.monotonic())
                return response
            friendly = FRIENDLY in response.text and not any(t in response.text for t in TRACEBACK)
            retry_after = response.headers.get("retry-after", "")
            self.failures.append(
                Failure(
                    sent, time.monotonic(), f"{method} {path} {response.status}", response.status, retry_after, friendly
                )
            )
            if response.status < 500:
                return response  # a 4xx is an answer: crash.py's flow counts it as unexpected
            time.sleep(RETRY)
        return None


@dataclass
class Outage:
    stopped: float
    back: float
    first_success: float = math.inf

    @property
    def recovery(self) -> float:
        return self.first_success - self.back


@dataclass
class Run:
    people: list[Person]
    outages: list[Outage]
    seconds: float
    pids_before: tuple[int, list[int]]
    pids_after: tuple[int, list[int]]
    alive: bool
    found: Audit | None = None

    @property
    def failures(self) -> list[Failure]:
        return [f for p in self.people for f in p.failures]

    @property
    def screens(self) -> list[Screen]:
        return [s for p in self.people for s in p.screens]


def pids(server: CrashServer) -> tuple[int, list[int]]:
    """gunicorn's master and its workers."""
    assert server.process is not None
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children")
    return master, sorted(int(p) for p in children.read_text().split()) if children.exists() else []


def restarts(cluster: Cluster, moments: list[float], down: float) -> list[Outage]:
    """Stop the cluster at each moment, leave it down `down` seconds, start it, wait for pg_isready."""
    outages = []
    for moment in moments:
        time.sleep(max(0.0, moment - time.monotonic()))
        stopped = time.monotonic()
        cluster.stop()
        time.sleep(down)
        cluster.start()
        while not cluster.ready():
            time.sleep(0.05)
        outages.append(Outage(stopped, time.monotonic()))
    return outages


def load(cluster: Cluster, folder: Path, people: int, seconds: float, count: int, down: float, unsafe: bool) -> Run:
    """A server on the cluster, `people` respondents for `seconds`, `count` database restarts."""
    folder.mkdir(parents=True)
    keys = secrets_env()
    settings = {"DATABASE_URL": cluster.url, "SCREENPLAN_DATA_DIR": str(folder), "SCREENPLAN_REQUIRE_TOTP": "false"}
    env = clean_env(**settings, **keys, **({UNSAFE: "true"} if unsafe else {}))
    server = CrashServer(env, folder / "server.log", workers=2)
    server.start()
    try:
        server.wait_ready(60)
        before = pids(server)
        begin = time.monotonic()
        deadline = begin + seconds
        crowd = [Person(n, server, deadline) for n in range(people)]
        for person in crowd:
            person.start()
        moments = [begin + seconds * (k + 0.4) / count for k in range(count)]
        outages = restarts(cluster, moments, down)
        for person in crowd:
            person.join(timeout=max(1.0, person.hard_deadline + 5 - time.monotonic()))
        successes = sorted(t for p in crowd for t in p.successes)
        for outage in outages:
            outage.first_success = next((t for t in successes if t >= outage.back), math.inf)
        alive = server.process is not None and server.process.poll() is None
        run = Run(crowd, outages, time.monotonic() - begin, before, pids(server) if alive else (0, []), alive)
    finally:
        server.stop()
    run.found = audit_rows(Audit(), run.screens, cluster.rows(), [keys["SCREENPLAN_DATA_KEYS"]])
    return run


def clean_503(run: Run, name: str) -> Result:
    failures = run.failures
    clean = sum(f.clean for f in failures)
    share = clean / len(failures) if failures else 0.0
    unclean = collections.Counter(
        f"{f.what}{'' if f.retry_after else ' no Retry-After'}{'' if f.friendly else ' not the friendly page'}"
        for f in failures
        if not f.clean
    )
    examples = ", ".join(f"{what} ×{n}" for what, n in unclean.most_common(3)) or "none"
    return Result(
        name,
        bool(failures) and share >= TARGET_CLEAN,
        f"{clean} of {len(failures)} failed requests were clean 503s with Retry-After and the friendly page: "
        f"{100 * share:.1f} % (target ≥ {100 * TARGET_CLEAN:.0f} %); others: {examples}",
    )


def run(quick: bool) -> list[Result]:
    people, seconds, down = (8, 30.0, 2.0) if quick else (20, 90.0, 5.0)
    count = 3
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="screenplan-outage-pg-")))
    folder = Path(tempfile.mkdtemp(prefix="screenplan-outage-"))
    try:
        cluster.create()
        setup = clean_env(DATABASE_URL=cluster.url, SCREENPLAN_DATA_DIR=str(folder / "migrate"), **secrets_env())
        migrated = manage(setup, "migrate", "--no-input")
        assert migrated.returncode == 0, migrated.stderr
        safe = load(cluster, folder / "run", people, seconds, count, down, unsafe=False)
        broken = load(cluster, folder / "control", min(people, 8), 10.0, 1, down, unsafe=True)
        refused = manage(production_env(folder / "production", **{UNSAFE: "true"}), "check")
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.folder, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)

    found = safe.found or Audit()
    problems = [p.failure for p in safe.people if p.failure]
    problems += [f"{p.name} still running" for p in safe.people if p.is_alive()]
    regressions = sum(p.regressions for p in safe.people)
    requests = sum(p.requests for p in safe.people)
    per_outage = [sum(o.stopped <= f.at <= o.first_success for f in safe.failures) for o in safe.outages]
    slowest = max((o.recovery for o in safe.outages), default=math.inf)
    recoveries = ", ".join(f"{o.recovery:.2f}" for o in safe.outages)
    downtime = ", ".join(f"{o.back - o.stopped:.1f}" for o in safe.outages)
    # Sent after the database was back, answered before the next stop: stale pooled connections would show here.
    ends = [o.stopped for o in safe.outages[1:]] + [math.inf]
    after = sum(
        o.back <= f.sent and f.at < end for o, end in zip(safe.outages, ends, strict=True) for f in safe.failures
    )
    clean = clean_503(safe, "outage-clean-503")
    control = clean_503(broken, "")
    return [
        Result(
            "outage-no-loss",
            found.lost == 0 and found.phantom == 0 and found.acknowledged > 0 and not problems and regressions == 0,
            f"{found.acknowledged} acknowledged answers on {len(safe.screens)} screens ({found.complete} complete) "
            f"from {people} respondents over {safe.seconds:.0f} s and {len(safe.outages)}/{count} PostgreSQL "
            f"restarts; {found.lost} lost, {found.phantom} stored unsubmitted, "
            f"{found.revision_mismatch} revision mismatches; {regressions} pages showed less than acknowledged"
            + (f"; e.g. {found.examples[0]}" if found.examples else "")
            + (f"; {problems[0]}" if problems else ""),
        ),
        Result(clean.name, clean.ok, f"{clean.figure}; {requests} requests in all, failed per outage {per_outage}"),
        Result(
            "outage-recovery",
            len(safe.outages) == count and slowest <= TARGET_RECOVERY,
            f"slowest first success {slowest:.2f} s after the database was back (target ≤ {TARGET_RECOVERY:.0f} s); "
            f"each: {recoveries} s; down {downtime} s (pg_ctl stop -m fast, {down:.0f} s, start, pg_isready); "
            f"{after} requests sent after the database was back failed",
        ),
        Result(
            "outage-no-app-restart",
            safe.alive and safe.pids_before == safe.pids_after,
            f"gunicorn master {safe.pids_before[0]} and workers {safe.pids_before[1]} before, "
            f"{safe.pids_after[0] or 'gone'} and {safe.pids_after[1]} after {len(safe.outages)} restarts",
        ),
        Result(
            "outage-clean-503 negative control" + (" caught" if not control.ok else ""),
            not control.ok,
            f"with {UNSAFE}, 1 restart: {control.figure}",
        ),
        Result(
            "unsafe-db-errors refused in production",
            refused.returncode == 2 and UNSAFE in refused.stderr,
            f"exit {refused.returncode}: {last_line(refused.stderr)}",
        ),
    ]
