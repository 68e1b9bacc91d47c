"""`screenplan serve` for the browser tests: a subprocess on a free loopback port, stopped at the end.

Its log goes to the session's log audit (tests/logaudit.py) when it stops.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from logaudit import collect_log

START_SECONDS = 30


def screenplan_command() -> list[str]:
    beside = Path(sys.executable).parent / "screenplan"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("screenplan")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from screenplan.cli import main; sys.exit(main())"]


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any Screenplan setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENPLAN_") and k != "DATABASE_URL"}
    env.update(settings)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(origin: str) -> bool:
    try:
        with urllib.request.urlopen(f"{origin}/healthz", timeout=1) as response:  # noqa: S310 (loopback)
            return response.status == 200 and response.read() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def serving(env: dict[str, str], log_path: Path, workers: int) -> Iterator[str]:
    """The origin (http://127.0.0.1:PORT) of a `screenplan serve` running with `env`."""
    port = _free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*screenplan_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so its workers stop with it
        )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _healthy(origin):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"screenplan serve did not answer /healthz:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield origin
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown stops its workers too
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        collect_log(log_path, f"browser tests' screenplan serve ({log_path.parent.name})")
