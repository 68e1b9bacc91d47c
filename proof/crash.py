"""Crash durability: acknowledged answers survive SIGKILL of the whole server, exactly once.

A real `screenplan serve --workers 2` runs on SQLite in a throwaway data folder. Twenty
simulated respondents (threads, each its own cookie jar, the real forms over loopback HTTP)
answer screens for 60 s (quick: 15 s) while the server's whole process group is killed with
SIGKILL 5 times (quick: 2) at random moments and started again. A respondent records an
answer as acknowledged only when its POST got the 302; after a failed request it waits for
the server and resubmits the same form, as a person pressing Next again would (so a replay
must return the stored result, never store twice); after a crash it carries on with the
same cookie. Every question page must show exactly what was acknowledged so far: the
acknowledged items are never asked again and the form's revision equals their count.

At the end the server is asked, for every respondent, to resume the screen (same cookie,
and each screen's private link in a fresh browser) and show every acknowledged answer; then
it is stopped and the database is read in-process (sqlite3, answers opened with the same data
keys): every acknowledged answer is stored with its value, nothing is stored that was not
submitted, the revision counter equals the number of stored answers (no change counted
twice), and `PRAGMA integrity_check` says ok.

Negative control: the same run with SCREENPLAN_UNSAFE_ACK_BEFORE_COMMIT=true (the answer is
acknowledged first and written 0.25 s later) must lose acknowledged answers, and this
harness must say so.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import hashlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import Result
from ops.servers import (
    Browser,
    Response,
    Server,
    clean_env,
    command,
    form_value,
    free_port,
    question,
    secrets_env,
    shown_value,
)
from web.profiles import AT_RISK, INTEGRATED, LOW_RISK

from screenplan.crypto import open_sealed

RESPONDENTS = 20
PROFILES = (LOW_RISK, INTEGRATED, AT_RISK)  # AT_RISK passes through the crisis page
NETWORK_ERRORS = (OSError, http.client.HTTPException)
GRACE = 30.0  # seconds after the load ends for a request in flight to get its answer
LINK = "/r/"

# What the log check (checks.py) greps: the safe run's server log, every link token, the canary.
LAST_RUN: dict[str, Any] = {}
_KEEP: list[Path] = []  # temp folders of this process, removed at exit


@dataclass
class CrashServer(Server):
    """`screenplan serve` with two workers, whose whole process group can be killed."""

    workers: int = 2

    def start(self) -> CrashServer:
        self.port = self.port or free_port()
        self._log_file = self.log.open("ab")
        runtime = self.log.with_name(f"{self.log.stem}-run")
        runtime.mkdir(mode=0o700, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603  (the project's own command, no shell)
            [command(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)],
            env={**self.env, "XDG_RUNTIME_DIR": str(runtime)},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's master and workers
        )
        return self

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: no handler runs, nothing is flushed."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@dataclass
class Screen:
    """One assessment as its respondent knows it."""

    profile: dict[str, Any]
    token: str = ""
    tokens: list[str] = field(default_factory=list)
    acked: dict[str, Any] = field(default_factory=dict)  # item id -> value, acknowledged by a 302
    in_doubt: set[str] = field(default_factory=set)  # posted, and no answer or a 5xx: stored or not
    complete: bool = False
    abandoned: bool = False  # the site kept showing less than it had acknowledged


class Respondent(threading.Thread):
    def __init__(self, number: int, server: Server, deadline: float, canary: str) -> None:
        super().__init__(name=f"respondent-{number}", daemon=True)
        self.number, self.server, self.deadline, self.canary = number, server, deadline, canary
        self.hard_deadline = deadline + GRACE
        self.browser = Browser()
        self.screens: list[Screen] = []
        self.network_errors = 0
        self.resubmits = 0
        self.regressions = 0  # question pages showing less than was acknowledged (even briefly)
        self.unexpected: collections.Counter[str] = collections.Counter()
        self.failure = ""

    # HTTP with waiting out a crash: the same request again until the server answers.

    def call(self, method: str, path: str, data: dict[str, Any] | None = None) -> Response | None:
        failed = False
        while time.monotonic() < self.hard_deadline:
            try:
                response = self.browser.request(self.server, method, path, data)
            except NETWORK_ERRORS:
                self.network_errors += 1
                failed = True
                time.sleep(0.2)
                continue
            self.resubmits += failed and method == "POST"  # a form sent again, as it was, after a failure
            return response
        return None

    def form(self, path: str, data: dict[str, Any], page_path: str | None = None) -> Response | None:
        page = self.call("GET", page_path or path)
        if page is None or page.status != 200:
            self.unexpected[f"GET {page_path or path} {page.status if page else 'none'}"] += 1
            return None
        return self.call("POST", path, {**data, "csrfmiddlewaretoken": page.csrf()})

    def run(self) -> None:
        try:
            rng = random.Random(self.number)  # noqa: S311  (which vignette: not security)
            while time.monotonic() < self.deadline:
                self.one_screen(rng.choice(PROFILES))
        except Exception as exc:  # reported as a failure of the run, never swallowed
            self.failure = f"{self.name}: {type(exc).__name__}: {exc}"

    def one_screen(self, profile: dict[str, Any]) -> None:
        started = self.form("/en/start/", {"consent": "yes"})
        if started is None or started.status != 302:
            self.unexpected[f"start {started.status if started else 'none'}"] += 1
            time.sleep(0.2)
            return
        screen = Screen(profile)
        if not self.new_link(screen):
            return
        self.screens.append(screen)
        while time.monotonic() < self.deadline and not screen.abandoned:
            page = self.call("GET", "/en/screen/")
            if page is None:
                return
            if page.status == 302 and page.location == "/en/screen/crisis/":
                self.form(page.location, {"safe": "yes"})
                continue
            if page.status == 302 and page.location == "/en/results/":
                screen.complete = True
                self.share()
                return
            if page.status != 200:
                self.unexpected[f"GET /en/screen/ {page.status}"] += 1
                time.sleep(0.2)
                continue
            if self.shows_less(screen, page):
                continue
            item, rev = question(page)
            data = {"item": item, "rev": rev, "value": form_value(profile[item]), "csrfmiddlewaretoken": page.csrf()}
            answered = self.call("POST", "/en/screen/", data)
            if answered is not None and answered.status == 302:
                screen.acked[item] = profile[item]
                continue
            if answered is None or answered.status >= 500:
                screen.in_doubt.add(item)  # the write may or may not have happened
            if answered is not None:
                self.unexpected[f"POST /en/screen/ {answered.status}"] += 1

    def shows_less(self, screen: Screen, page: Response) -> bool:
        """The page asks an acknowledged question again or counts fewer changes: look twice more."""
        for attempt in range(4):
            item, rev = question(page)
            if item not in screen.acked and int(rev) in expected_revisions(screen):
                return attempt > 0
            if attempt == 0:
                self.regressions += 1
            time.sleep(0.4)
            again = self.call("GET", "/en/screen/")
            if again is None or again.status != 200:
                return True
            page = again
        screen.abandoned = True  # an acknowledged answer is gone: the database check counts it
        return True

    def new_link(self, screen: Screen) -> bool:
        """Ask for a private link (it replaces the previous one); remember its token."""
        page = self.form("/en/link/", {}, page_path="/en/screen/")
        if page is None or page.status != 200:
            self.unexpected[f"link {page.status if page else 'none'}"] += 1
            return False
        marker = page.text.find(LINK)
        token = page.text[marker + len(LINK) :].split("/", 1)[0]
        assert marker > 0 and len(token) >= 43, page.text[:300]
        screen.token = token
        screen.tokens.append(token)
        return True

    def share(self) -> None:
        """Share the finished screen with the clinic: contact details carrying the canary."""
        contact = {"name": self.canary, "phone": "+1 555 0100", "best_time": f"mornings {self.canary}"}
        shared = self.form("/en/share/", {**contact, "consent": "yes"})
        if shared is None or shared.status != 200:
            self.unexpected[f"share {shared.status if shared else 'none'}"] += 1


def expected_revisions(screen: Screen) -> range:
    """Each acknowledged answer is one stored change; an answer in doubt may be one more."""
    return range(len(screen.acked), len(screen.acked) + len(screen.in_doubt - screen.acked.keys()) + 1)


def chaos(server: CrashServer, kills: int, start: float, end: float, rng: random.Random) -> list[float]:
    """SIGKILL the process group at random moments in [start, end]; return each restart's seconds."""
    moments = sorted(rng.uniform(start + 1, end - 1) for _ in range(kills))
    restarts = []
    for moment in moments:
        time.sleep(max(0.0, moment - time.monotonic()))
        server.kill()
        down = time.monotonic()
        server.start()
        server.wait_ready(60)
        restarts.append(time.monotonic() - down)
    return restarts


@dataclass
class Run:
    respondents: list[Respondent]
    restarts: list[float]
    db: Path
    log: Path
    keys: list[str]
    seconds: float
    resume_failures: list[str] = field(default_factory=list)
    resume_checked: int = 0
    revoked_ok: int = 0
    canary: str = ""

    @property
    def screens(self) -> list[Screen]:
        return [s for r in self.respondents for s in r.screens]


def load(folder: Path, seconds: float, kills: int, unsafe: bool, seed: int) -> Run:
    keys = secrets_env()
    settings = {"SCREENPLAN_DATA_DIR": str(folder / "data"), "SCREENPLAN_REQUIRE_TOTP": "false", **keys}
    if unsafe:
        settings["SCREENPLAN_UNSAFE_ACK_BEFORE_COMMIT"] = "true"
    server = CrashServer(clean_env(**settings), folder / "server.log")
    canary = f"CANARY-{secrets.token_hex(6)}"
    rng = random.Random(seed)  # noqa: S311  (kill moments: not security)
    server.start()
    try:
        server.wait_ready(60)
        begin = time.monotonic()
        deadline = begin + seconds
        people = [Respondent(n, server, deadline, canary) for n in range(RESPONDENTS)]
        for person in people:
            person.start()
        restarts = chaos(server, kills, begin, deadline, rng)
        for person in people:
            person.join(timeout=max(1.0, deadline + GRACE + 5 - time.monotonic()))
        elapsed = time.monotonic() - begin
        run = Run(
            people,
            restarts,
            folder / "data" / "screenplan.sqlite3",
            server.log,
            [keys["SCREENPLAN_DATA_KEYS"]],
            elapsed,
        )
        run.canary = canary
        if not unsafe:
            resume_all(run, server)
        return run
    finally:
        server.stop()


def resume_all(run: Run, server: Server) -> None:
    """Every respondent resumes (same cookie) and every screen opens from its private link."""
    for person in run.respondents:
        for screen in person.screens:
            if screen.abandoned:
                continue
            browser = person.browser if screen is person.screens[-1] else Browser()
            if browser is not person.browser:
                opened = browser.get(server, f"/r/{screen.token}/")
                if opened.status != 302:
                    run.resume_failures.append(f"{person.name}: link {opened.status}")
                    continue
            problem = check_resume(browser, server, screen)
            run.resume_checked += 1
            if problem:
                run.resume_failures.append(f"{person.name}: {problem}")
        if person.screens and not person.screens[-1].abandoned:
            revoke_and_reopen(run, person, server)


def check_resume(browser: Browser, server: Server, screen: Screen) -> str:
    """The screen, resumed, shows exactly what was acknowledged ('' when it does)."""
    page = browser.get(server, "/en/screen/")
    if page.status == 302 and page.location == "/en/screen/crisis/":
        crisis = browser.get(server, page.location)
        browser.post(server, page.location, {"safe": "yes"}, crisis.csrf())
        page = browser.get(server, "/en/screen/")
    if page.status == 302 and page.location == "/en/results/":
        results = browser.get(server, "/en/results/")
        return "" if results.status == 200 else f"results {results.status}"
    if page.status != 200:
        return f"screen {page.status}"
    item, rev = question(page)
    if item in screen.acked or int(rev) not in expected_revisions(screen):
        return f"asks {item} at revision {rev} after {len(screen.acked)} acknowledged answers"
    for acked, value in screen.acked.items():
        shown = browser.get(server, f"/en/screen/?item={acked}")
        if shown.status != 200 or shown_value(shown) != form_value(value):
            return f"{acked} shows {shown_value(shown)} not {form_value(value)}"
    return ""


def revoke_and_reopen(run: Run, person: Respondent, server: Server) -> None:
    """A new link revokes the old one: the old one is a 404 (logged, redacted), the new one opens."""
    screen = person.screens[-1]
    old = screen.token
    page = person.browser.get(server, "/en/screen/")
    if page.status == 302 and page.location == "/en/results/":
        page = person.browser.get(server, page.location)
    if page.status != 200:
        return  # e.g. the crisis page first: the resume check above covers this screen
    link = person.browser.post(server, "/en/link/", {}, page.csrf())
    marker = link.text.find(LINK)
    new = link.text[marker + len(LINK) :].split("/", 1)[0] if marker > 0 else ""
    if new:
        screen.token = new
        screen.tokens.append(new)
    if Browser().get(server, f"/r/{old}/").status == 404 and Browser().get(server, f"/r/{new}/").status == 302:
        run.revoked_ok += 1
    else:
        run.resume_failures.append(f"{person.name}: revoked link still opens, or the new one does not")


@dataclass
class Audit:
    acknowledged: int = 0
    lost: int = 0
    phantom: int = 0
    revision_mismatch: int = 0
    stored: int = 0
    complete: int = 0
    integrity: str = ""
    journal: str = ""
    examples: list[str] = field(default_factory=list)


def audit(run: Run) -> Audit:
    """Read the database as it is on disk after the last stop, answers opened in-process."""
    result = Audit()
    conn = sqlite3.connect(f"file:{run.db}?mode=ro", uri=True)
    try:
        result.integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        result.journal = str(conn.execute("PRAGMA journal_mode").fetchone()[0])
        rows = conn.execute(
            "SELECT public_id, token_hash, answers_sealed, revision, status FROM assessments_assessment"
        ).fetchall()
    finally:
        conn.close()
    return audit_rows(result, run.screens, rows, run.keys)


def audit_rows(result: Audit, screens: list[Screen], rows: list[Any], keys: list[str]) -> Audit:
    """Match stored rows (public_id, token_hash, answers_sealed, revision, status) to what was acknowledged."""
    by_hash = {row[1]: row for row in rows if row[1]}
    for screen in screens:
        result.acknowledged += len(screen.acked)
        row = by_hash.get(hashlib.sha256(screen.token.encode()).hexdigest())
        if row is None:
            result.lost += len(screen.acked)
            result.examples.append(f"screen with {len(screen.acked)} acknowledged answers is gone")
            continue
        public_id, _, sealed, revision, status = row
        context = f"assessments.assessment.answers:{uuid.UUID(str(public_id))}"
        stored = json.loads(open_sealed(bytes(sealed), context, keys)) if sealed else {}
        result.stored += len(stored)
        result.complete += status == "complete"
        for item, value in screen.acked.items():
            if stored.get(item) != value:
                result.lost += 1
                if len(result.examples) < 3:
                    result.examples.append(f"{item}={value!r} acknowledged, stored {stored.get(item)!r}")
        result.phantom += sum(1 for item in stored if item not in screen.acked and item not in screen.in_doubt)
        result.revision_mismatch += revision != len(stored)
    return result


def _tmp() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="screenplan-proof-crash-"))
    _KEEP.append(folder)
    return folder


def cleanup() -> None:
    for folder in _KEEP:
        shutil.rmtree(folder, ignore_errors=True)


def run(quick: bool) -> list[Result]:
    atexit.register(cleanup)
    seconds, kills = (15.0, 2) if quick else (60.0, 5)
    seed = secrets.randbelow(2**31)
    results: list[Result] = []

    safe = load(_tmp(), seconds, kills, unsafe=False, seed=seed)
    LAST_RUN["log"] = safe.log
    LAST_RUN["tokens"] = [t for s in safe.screens for t in s.tokens]
    LAST_RUN["canary"] = safe.canary
    found = audit(safe)
    failures = [p.failure for p in safe.respondents if p.failure]
    unexpected = sum((p.unexpected for p in safe.respondents), collections.Counter())
    alive = sum(p.is_alive() for p in safe.respondents)
    errors = sum(p.network_errors for p in safe.respondents)
    resubmits = sum(p.resubmits for p in safe.respondents)
    rate = found.acknowledged / safe.seconds if safe.seconds else 0.0
    results.append(
        Result(
            "crash-durability",
            found.lost == 0 and found.phantom == 0 and found.acknowledged > 0 and not failures and not alive,
            f"{found.acknowledged} acknowledged answers ({rate:.1f}/s) from {RESPONDENTS} respondents over "
            f"{safe.seconds:.0f} s, {len(safe.restarts)}/{kills} SIGKILLs of the process group; "
            f"{found.lost} lost, {found.phantom} stored unsubmitted; {errors} failed requests, "
            f"{resubmits} forms resubmitted; seed {seed}" + (f"; {failures[0]}" if failures else "") + _examples(found),
        )
    )
    results.append(
        Result(
            "crash-no-duplicates",
            found.revision_mismatch == 0 and found.stored >= found.acknowledged,
            f"{len(safe.screens)} screens, {found.stored} stored answers, revision = stored changes on "
            f"{len(safe.screens) - found.revision_mismatch}/{len(safe.screens)}",
        )
    )
    results.append(
        Result(
            "crash-integrity",
            found.integrity == "ok" and found.journal == "wal",
            f"PRAGMA integrity_check = {found.integrity}, journal_mode = {found.journal}, after {kills} SIGKILLs",
        )
    )
    regressions = sum(p.regressions for p in safe.respondents)
    results.append(
        Result(
            "crash-resume",
            not safe.resume_failures and regressions == 0 and safe.resume_checked == len(safe.screens),
            f"{safe.resume_checked}/{len(safe.screens)} screens resumed with exactly what was acknowledged "
            f"({found.complete} complete); {regressions} pages showed less than acknowledged during the run; "
            f"{safe.revoked_ok} replaced links refused"
            + (f"; {safe.resume_failures[0]}" if safe.resume_failures else ""),
        )
    )
    slowest = max(safe.restarts, default=0.0)
    results.append(
        Result(
            "crash-restart",
            len(safe.restarts) == kills and not any(k.endswith(" 500") for k in unexpected),
            f"{len(safe.restarts)} restarts, slowest {slowest:.1f} s to /healthz 200; other statuses: "
            + (", ".join(f"{k} x{v}" for k, v in unexpected.most_common(4)) or "none"),
        )
    )

    # Negative control: acknowledge first, write later. A SIGKILL in between must be caught.
    broken = load(_tmp(), 15.0, 2, unsafe=True, seed=seed + 1)
    lost = audit(broken)
    results.append(
        Result(
            "crash-durability negative control caught",
            lost.lost > 0,
            f"{lost.lost} acknowledged answers lost of {lost.acknowledged} with SCREENPLAN_UNSAFE_ACK_BEFORE_COMMIT"
            + _examples(lost),
        )
    )
    return results


def _examples(found: Audit) -> str:
    return f"; e.g. {found.examples[0]}" if found.examples else ""
