"""A pytest plugin that audits every log line the whole suite produces for secrets.

The promise is "no PHI, tokens or passwords in any log line". One canary test proves it for
one server run; this plugin proves it for every test at once, so a log call added anywhere
that writes a private-link token, an API client token, a staff password, a TOTP secret, a
key or what a person typed is caught by `make test`, whichever test happens to exercise it.

What it reads:

- every log record emitted in this process, at DEBUG level. The loggers the settings
  configure (the root logger, Django's) are lowered to DEBUG for the session and a tap is
  placed beside every handler the configuration attached, so the audit sees the line each
  handler would write if an operator turned logging all the way up, after that handler's own
  filters (the redaction in `screenplan.site.security` is one of them). The real handlers get
  a gate that keeps their output exactly as it was, so the suite's own output is unchanged;
- the stdout/stderr logs of the `screenplan serve` processes tests start, which the test
  helpers hand to `collect_log` once the process has stopped (copied into this session's
  folder, since a test's temporary folder may be gone by the end), and the standard error of
  the management commands they run (`note_output`).

What it looks for: every secret registered with `register`: tokens as the product issues them
(the issuing functions are wrapped for the session), the constants tests sign in with, and the
personal details the test personas type, each in the raw forms a log line could carry them
(as is, URL-encoded, JSON-escaped, a client token without its prefix).

At the end of the session it prints one summary line and, for each secret found, its kind,
the test that registered it and where it was found, never the secret itself; any finding
fails the session. `tests/ops/test_log_audit.py` runs a pytest session with a planted leak to
show that it does.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import json
import logging
import os
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

MIN_LENGTH = 8  # shorter values ("yes", a first name) would match innocent text
NEEDLE_LENGTH = 3  # the shortest word of a name or phone number worth looking up first
ANCHOR = 8  # needles this long are found inside longer words too
WORD = re.compile(r"[A-Za-z0-9_\-]+")  # the alphabet of tokens, keys and most test passwords
CLIENT_TOKEN_PREFIX = "spk_"  # noqa: S105 (a prefix the product puts on client tokens, not a secret)


@dataclass(frozen=True)
class Secret:
    kind: str
    origin: str  # the test (or module) that registered it, so a finding points somewhere


def _current_test() -> str:
    """The test running now, as pytest announces it, or "import" while modules are loading."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    return current.rsplit(" ", 1)[0] if current else "import"


def raw_forms(value: str) -> set[str]:
    """The ways a secret can appear in a log line without being hashed.

    >>> sorted(raw_forms("spk_abc-DEF_123"))
    ['abc-DEF_123', 'spk_abc-DEF_123']
    >>> sorted(raw_forms("+1 555 0100"))
    ['%2B1%20555%200100', '%2B1+555+0100', '+1 555 0100']
    """
    forms = {value, quote_plus(value), quote(value, safe=""), json.dumps(value)[1:-1]}
    if value.startswith(CLIENT_TOKEN_PREFIX):
        forms.add(value[len(CLIENT_TOKEN_PREFIX) :])
    return {form for form in forms if len(form) >= MIN_LENGTH}


class Tap(logging.Handler):
    """Keeps the line that `mirrored` (a handler of the logging configuration) would write.

    It runs the mirrored handler's filters on a copy of the record, so redaction applies as it
    does for real, and ignores that handler's level: the audit is at DEBUG.
    """

    FORMAT = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def __init__(self, audit: Audit, mirrored: logging.Handler | None, place: str) -> None:
        super().__init__(logging.DEBUG)
        self.audit = audit
        self.mirrored = mirrored
        self.place = place

    def emit(self, record: logging.LogRecord) -> None:
        line = copy.copy(record)
        for candidate in self.mirrored.filters if self.mirrored is not None else []:
            if isinstance(candidate, Gate):
                continue  # the gate keeps the handler's old level; the audit reads every level
            kept = candidate.filter(line) if hasattr(candidate, "filter") else candidate(line)
            if not kept:
                return  # the mirrored handler would not write this record
            if isinstance(kept, logging.LogRecord):
                line = kept
        try:
            text = self.FORMAT.format(line)
        except Exception:  # a malformed call (wrong args) still counts, as its raw parts
            text = f"{record.levelname} {record.name} {record.msg!r} {record.args!r}"
        self.audit.lines[f"logger {record.name} (as written by {self.place})"].append(text)


class Gate(logging.Filter):
    """Lets a configured handler write only what it wrote before the loggers went to DEBUG."""

    def __init__(self, audit: Audit) -> None:
        super().__init__()
        self.audit = audit

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.audit.original_level(record.name)


def _is_ours_or_pytests(handler: logging.Handler) -> bool:
    return isinstance(handler, (Tap, logging.NullHandler)) or type(handler).__module__.startswith("_pytest")


class Audit:
    """The secrets registered, the lines captured, and the changes made to logging."""

    def __init__(self) -> None:
        self.secrets: dict[str, Secret] = {}
        self.lines: defaultdict[str, list[str]] = defaultdict(list)
        self.folder: Path | None = None  # made on the first server log: most sessions start none
        self.logs: dict[Path, tuple[str, Path]] = {}  # original path -> (label, copy in the folder)
        self.saved_levels: dict[logging.Logger, int] = {}
        self.taps: dict[tuple[int, int], Tap] = {}  # (id(logger), id(mirrored handler)) -> tap
        self.gates: dict[int, tuple[logging.Handler, Gate]] = {}
        self.configured: set[str] = set()  # logger names the settings configure
        self.patches = pytest.MonkeyPatch()
        self.summary: list[str] = []
        self.findings = 0
        self.active = False  # the plugin's hooks run (not under `-p no:logaudit`)

    # Secrets and files.

    def register(self, kind: str, value: str) -> None:
        if isinstance(value, str) and len(value) >= MIN_LENGTH:
            self.secrets.setdefault(value, Secret(kind, _current_test()))

    def collect_log(self, path: Path, label: str) -> None:
        if not path.exists():
            return
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="screenplan-logaudit-"))
        label, kept = self.logs.get(path, (label, self.folder / f"{len(self.logs):03d}-{path.name}"))
        shutil.copyfile(path, kept)
        self.logs[path] = (label, kept)

    # Logging.

    def original_level(self, name: str) -> int:
        """The effective level the logger `name` had before the audit lowered any level."""
        logger: Any = logging.root if name == "root" else logging.root.manager.loggerDict.get(name, logging.root)
        while logger is not None:
            level = self.saved_levels.get(logger, getattr(logger, "level", logging.NOTSET))
            if level:
                return int(level)
            logger = getattr(logger, "parent", None)
        return logging.NOTSET

    def install(self) -> None:
        """Lower the configured loggers to DEBUG and tap every configured handler (idempotent:
        it runs again before each test, in case a test configured logging anew)."""
        for name in sorted(self.configured | {"root"}):
            logger = logging.root if name == "root" else logging.getLogger(name)
            if logger.level != logging.DEBUG:
                self.saved_levels[logger] = logger.level
                logger.setLevel(logging.DEBUG)
        loggers = [logging.root] + [
            logger for logger in list(logging.root.manager.loggerDict.values()) if isinstance(logger, logging.Logger)
        ]
        for logger in loggers:
            configured = [h for h in logger.handlers if not _is_ours_or_pytests(h)]
            if logger is logging.root and not configured:
                self._tap(logger, None)  # records of every propagating logger, with no filter
            for handler in configured:
                self._tap(logger, handler)
                self.gate(handler)

    def gate(self, handler: logging.Handler) -> None:
        if id(handler) not in self.gates:
            gate = Gate(self)
            handler.filters.insert(0, gate)  # before redaction, which changes the record
            self.gates[id(handler)] = (handler, gate)

    def _tap(self, logger: logging.Logger, handler: logging.Handler | None) -> None:
        key = (id(logger), id(handler))
        tap = self.taps.get(key)
        if tap is None:
            place = f"{type(handler).__name__ if handler else 'no handler'} on {logger.name}"
            tap = self.taps[key] = Tap(self, handler, place)
        if tap not in logger.handlers:
            logger.addHandler(tap)

    def uninstall(self) -> None:
        for tap in self.taps.values():
            for logger in [logging.root, *logging.root.manager.loggerDict.values()]:
                if isinstance(logger, logging.Logger) and tap in logger.handlers:
                    logger.removeHandler(tap)
        for handler, gate in self.gates.values():
            handler.removeFilter(gate)
        for logger, level in self.saved_levels.items():
            logger.setLevel(level)
        self.patches.undo()

    # The product's issuers.

    def wrap_issuers(self) -> None:
        """Record every private-link token, API client token and TOTP secret the code issues."""
        with contextlib.suppress(ImportError):
            from django.apps import apps
            from django.conf import settings

            if not (settings.configured and apps.ready):
                return
            from django.utils.log import DEFAULT_LOGGING

            from screenplan.api.models import ApiClient
            from screenplan.assessments.models import Assessment
            from screenplan.clinic import totp

            self.configured = set(DEFAULT_LOGGING["loggers"]) | set(getattr(settings, "LOGGING", {}).get("loggers", {}))
            self.register("secret key", settings.SECRET_KEY)
            for key in settings.DATA_KEYS:
                self.register("data key", key)

            new_token = _original(Assessment, "new_token")

            def recorded_new_token(assessment: Any, *args: Any, **kwargs: Any) -> Any:
                token = new_token(assessment, *args, **kwargs)
                self.register("resume token", token)
                return token

            issue = _original(ApiClient, "issue")

            def recorded_issue(cls: Any, *args: Any, **kwargs: Any) -> Any:
                client, token = issue(cls, *args, **kwargs)
                self.register("API client token", token)
                return client, token

            new_secret = _original(totp, "new_secret")

            def recorded_new_secret(*args: Any, **kwargs: Any) -> Any:
                secret = new_secret(*args, **kwargs)
                self.register("TOTP secret", secret)
                return secret

            self.patches.setattr(Assessment, "new_token", recorded_new_token)
            self.patches.setattr(ApiClient, "issue", classmethod(recorded_issue))
            self.patches.setattr(totp, "new_secret", recorded_new_secret)

    # The audit.

    def texts(self) -> dict[str, str]:
        """Every source of log lines, by name: in-process records, server logs, command output."""
        texts = {source: "\n".join(lines) for source, lines in self.lines.items()}
        for label, kept in self.logs.values():
            texts[f"server log {label}"] = kept.read_text(encoding="utf-8", errors="replace")
        return texts

    def search(self, texts: dict[str, str]) -> dict[str, set[str]]:
        """For each source, the secrets (as registered) found in it in any raw form.

        It stays fast with thousands of secrets and megabytes of log. A token, key or password
        is its own needle; a form with other characters (a name, a phone number) has its
        longest word as needle, and a hit on it is confirmed by searching for the whole form.
        Needles of ANCHOR characters or more are found anywhere in a word, also glued to other
        word characters (every ANCHOR-long window of every word is looked up); shorter ones
        (words of names and numbers) as whole words.
        """
        needles: defaultdict[str, list[tuple[str, str | None]]] = defaultdict(list)  # needle -> (secret, to confirm)
        direct: list[tuple[str, str]] = []  # forms with no word long enough to be a needle
        for value in self.secrets:
            for form in raw_forms(value):
                if WORD.fullmatch(form):
                    needles[form].append((value, None))
                    continue
                needle = max(WORD.findall(form), key=len, default="")
                if len(needle) >= NEEDLE_LENGTH:
                    needles[needle].append((value, form))
                else:
                    direct.append((form, value))
        anchors: defaultdict[str, list[str]] = defaultdict(list)
        for needle in needles:
            if len(needle) >= ANCHOR:
                anchors[needle[:ANCHOR]].append(needle)
        found: defaultdict[str, set[str]] = defaultdict(set)
        for source, text in texts.items():
            words = set(WORD.findall(text))
            windows = {w[i : i + ANCHOR] for w in words if len(w) >= ANCHOR for i in range(len(w) - ANCHOR + 1)}
            hits = {n for anchor in anchors.keys() & windows for n in anchors[anchor] if n in text}
            hits |= {w for w in words & needles.keys() if len(w) < ANCHOR}
            for needle in hits:
                for value, form in needles[needle]:
                    if form is None or form in text:
                        found[source].add(value)
            found[source].update(value for form, value in direct if form in text)
        return {source: values for source, values in found.items() if values}

    def finish(self) -> bool:
        """Search everything captured; keep the summary lines; True if a secret was found."""
        texts = self.texts()
        found = self.search(texts)
        lines = sum(text.count("\n") + 1 for text in texts.values() if text)
        records = sum(len(v) for source, v in self.lines.items() if source.startswith("logger "))
        kinds = Counter(secret.kind for secret in self.secrets.values())
        self.findings = len({value for values in found.values() for value in values})
        self.summary = [
            f"log audit: {lines:,} log lines ({records:,} in-process records, {len(self.logs)} server logs), "
            f"{len(self.secrets):,} secrets ({', '.join(f'{kind} {n:,}' for kind, n in sorted(kinds.items()))}), "
            f"{self.findings} found"
        ]
        for source, values in sorted(found.items()):
            for value in sorted(values, key=lambda v: (self.secrets[v].kind, self.secrets[v].origin)):
                secret = self.secrets[value]
                hits = sum(1 for line in texts[source].splitlines() if any(f in line for f in raw_forms(value)))
                self.summary.append(
                    f"log audit: FOUND a {secret.kind} (registered by {secret.origin}) in {source}: {hits} line(s)"
                )
        if self.findings and self.folder is not None:
            self.summary.append(f"log audit: server logs kept in {self.folder}")
        elif self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        return bool(self.findings)


def _original(owner: Any, name: str) -> Callable[..., Any]:
    """The function behind `owner.name` (a classmethod's too); loud if the product renamed it,
    since a silent miss would make the audit blind to those secrets."""
    if not hasattr(owner, name):
        raise pytest.UsageError(f"logaudit: {owner.__name__}.{name} is gone; update tests/logaudit.py")
    found: Any = inspect.getattr_static(owner, name)
    return found.__func__ if isinstance(found, classmethod) else found


# One per process, made at import: conftests and helpers that register constants are imported
# before pytest_configure when they sit on the command line's paths.
_audit = Audit()


def register(kind: str, value: str) -> str:
    """Add a secret the suite uses (a password, a token, a name a persona types); returns it.

    Values under MIN_LENGTH characters are not searched for (too likely in innocent text).
    """
    _audit.register(kind, value)
    return value


def collect_log(path: Path, label: str = "") -> None:
    """Hand over the log of a process a test started, once it has stopped (copied now)."""
    _audit.collect_log(path, label or f"{_current_test()} {path.name}")


def note_output(source: str, text: str) -> None:
    """Add what a subprocess wrote to its standard error (its log) as lines to audit."""
    if text:
        _audit.lines[f"{source} ({_current_test()})"].extend(text.splitlines())


@contextlib.contextmanager
def captured() -> Iterator[list[str]]:
    """The in-process log lines (as written, after redaction) emitted inside the block."""
    if not _audit.active:
        pytest.skip("the log audit plugin is disabled (-p no:logaudit)")
    before = {source: len(lines) for source, lines in _audit.lines.items()}
    taken: list[str] = []
    yield taken
    for source, lines in list(_audit.lines.items()):
        if source.startswith("logger "):
            taken.extend(lines[before.get(source, 0) :])


# The hooks.


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _audit.active = True
    _audit.wrap_issuers()
    _audit.install()
    # A failed test's "Captured log" section shows what it showed before, not every DEBUG record.
    report = getattr(session.config.pluginmanager.get_plugin("logging-plugin"), "report_handler", None)
    if isinstance(report, logging.Handler):
        _audit.gate(report)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _audit.install()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After every fixture is torn down (servers stopped, logs collected): search, and fail."""
    _audit.uninstall()
    if _audit.finish() and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _audit.summary:
        terminalreporter.write_line(line, red="FOUND" in line, bold=True)
