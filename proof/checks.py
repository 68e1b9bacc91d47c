"""The fast proofs, reported through the runner, each beside a broken variant it must catch.

- Django's deployment checklist with production settings (`check --deploy --fail-level
  WARNING`, the environment of tests/ops/test_deploy_check.py); control: the same with
  SCREENPLAN_SSL_REDIRECT=false must fail. The crash harness's unsafe setting is refused in
  production.
- bandit over src exits 0; control: `subprocess.call(x, shell=True)` in a scratch file is flagged.
- ruff's security rules (S) over src are clean; control: the same scratch file is flagged.
- The crash run's server log holds no private-link token and no canary typed into a form;
  control: one of those tokens planted in a copy of the log is found.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import crash
from common import BIN, ROOT, Result, last_line, run_tool
from ops.servers import clean_env, manage

UNSAFE = "import subprocess\n\n\ndef run(x):\n    return subprocess.call(x, shell=True)\n"


def production_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """As tests/ops/test_deploy_check.py: every secret from the environment, one allowed host."""
    env = clean_env(
        SCREENPLAN_PRODUCTION="true",
        SCREENPLAN_SECRET_KEY=secrets.token_urlsafe(50),
        SCREENPLAN_DATA_KEYS=f"{secrets.token_urlsafe(32)},{secrets.token_urlsafe(32)}",
        SCREENPLAN_ALLOWED_HOSTS="screen.example.org",
        SCREENPLAN_DATA_DIR=str(data_dir),
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v}


def deploy_checks(scratch: Path) -> list[Result]:
    deploy = ("check", "--deploy", "--fail-level", "WARNING")
    good = manage(production_env(scratch / "good"), *deploy)
    weak = manage(production_env(scratch / "weak", SCREENPLAN_SSL_REDIRECT="false"), *deploy)
    unsafe = manage(production_env(scratch / "unsafe", SCREENPLAN_UNSAFE_ACK_BEFORE_COMMIT="true"), "check")
    return [
        Result(
            "deploy-check",
            good.returncode == 0 and "no issues" in good.stdout,
            f"exit {good.returncode}: {last_line(good.stdout + good.stderr)}",
        ),
        Result(
            "deploy-check negative control caught",
            weak.returncode != 0 and "security.W008" in weak.stdout + weak.stderr,
            f"SCREENPLAN_SSL_REDIRECT=false: exit {weak.returncode}, security.W008 reported",
        ),
        Result(
            "unsafe-ack refused in production",
            unsafe.returncode == 2 and "SCREENPLAN_UNSAFE_ACK_BEFORE_COMMIT" in unsafe.stderr,
            f"exit {unsafe.returncode}: {last_line(unsafe.stderr)}",
        ),
    ]


def bandit_checks(scratch: Path) -> list[Result]:
    src = run_tool([str(BIN / "bandit"), "-q", "-r", "src"])
    bad = scratch / "bad.py"
    bad.write_text(UNSAFE, encoding="utf-8")
    control = run_tool([str(BIN / "bandit"), "-q", str(bad)])
    files = sum(1 for _ in (ROOT / "src").rglob("*.py"))
    return [
        Result(
            "bandit",
            src.returncode == 0,
            f"bandit -q -r src: exit {src.returncode} over {files} files"
            + (f"; {last_line(src.stdout + src.stderr)}" if src.returncode else ""),
        ),
        Result(
            "bandit negative control caught",
            control.returncode == 1 and "B602" in control.stdout,
            f"subprocess.call(x, shell=True): exit {control.returncode}, B602 reported",
        ),
    ]


def ruff_checks(scratch: Path) -> list[Result]:
    src = run_tool([str(BIN / "ruff"), "check", "--select", "S", "--no-cache", "src"])
    bad = scratch / "bad.py"
    bad.write_text(UNSAFE, encoding="utf-8")
    control = run_tool([str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--select", "S", str(bad)])
    return [
        Result(
            "ruff-security",
            src.returncode == 0,
            f"ruff check --select S src: exit {src.returncode}: {last_line(src.stdout + src.stderr)}",
        ),
        Result(
            "ruff-security negative control caught",
            control.returncode == 1 and "S602" in control.stdout,
            f"subprocess.call(x, shell=True): exit {control.returncode}, S602 reported",
        ),
    ]


def leaks(log: Path, needles: list[str]) -> list[str]:
    data = log.read_bytes()
    return [needle for needle in needles if needle and needle.encode() in data]


def log_checks(scratch: Path) -> list[Result]:
    log, tokens, canary = crash.LAST_RUN.get("log"), crash.LAST_RUN.get("tokens", []), crash.LAST_RUN.get("canary")
    if not log or not Path(log).exists() or not tokens or not canary:
        missing = "no crash run in this process: run `proof/run.py` with the crash harness first"
        return [Result(name, False, missing) for name in ("log-no-secrets", "log-no-secrets negative control caught")]
    log = Path(log)
    needles = [*tokens, canary]
    text = log.read_text(encoding="utf-8", errors="replace")
    found = leaks(log, needles)
    planted = scratch / "planted.log"
    planted.write_text(text + f"WARNING Not Found: /r/{tokens[0]}/\n", encoding="utf-8")
    caught = leaks(planted, needles)
    return [
        Result(
            "log-no-secrets",
            not found,
            f"{len(found)} of {len(tokens)} private-link tokens and the canary in the crash run's server log "
            f"({len(text.splitlines())} lines, {text.count('/r/[redacted]')} redacted links)",
        ),
        Result(
            "log-no-secrets negative control caught",
            caught == [tokens[0]],
            f"a token planted in a copy of the log: {len(caught)} found",
        ),
    ]


def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="screenplan-proof-checks-") as folder:
        scratch = Path(folder)
        return [*deploy_checks(scratch), *bandit_checks(scratch), *ruff_checks(scratch), *log_checks(scratch)]
