"""A real server and a real browser for the respondent's pages.

`screenplan serve` runs as a subprocess on a free loopback port with its own throwaway data
folder (started once per session, stopped at the end); Debian's Chromium is launched once
per session through Playwright. Screenshots and page weights go to $SCREENPLAN_ARTIFACTS
(default ./artifacts/browser).
"""

from __future__ import annotations

import json
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
from typing import Any

import pytest
from logaudit import collect_log

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_SECONDS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _screenplan_command() -> list[str]:
    beside = Path(sys.executable).parent / "screenplan"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("screenplan")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from screenplan.cli import main; sys.exit(main())"]


def _healthy(origin: str) -> bool:
    try:
        with urllib.request.urlopen(f"{origin}/healthz", timeout=1) as response:  # noqa: S310 (loopback)
            return response.status == 200 and response.read() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The origin (http://127.0.0.1:PORT) of a `screenplan serve` started for this session."""
    data = tmp_path_factory.mktemp("screenplan-browser-data")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENPLAN_") and k != "DATABASE_URL"}
    env["SCREENPLAN_DATA_DIR"] = str(data)
    log_path = data / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*_screenplan_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
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
        _stop(proc)
        collect_log(log_path, "browser tests' screenplan serve")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown stops its workers too
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, launched once per session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Artifacts:
    """Full-page screenshots and per-page byte counts, written where CI keeps them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pages: dict[str, dict[str, Any]] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def capture(self, page: Any, name: str, responses: list[Any]) -> dict[str, Any]:
        """Screenshot `page` as NAME.png and record the bytes of `responses` (everything it loaded)."""
        files = []
        for response in responses:
            sizes = response.request.sizes()
            files.append(
                {
                    "url": response.url,
                    "status": response.status,
                    "body": sizes["responseBodySize"],
                    "headers": sizes["responseHeadersSize"],
                }
            )
        entry = {
            "url": page.url,
            "body_bytes": sum(f["body"] for f in files),
            "transferred_bytes": sum(f["body"] + f["headers"] for f in files),
            "responses": files,
            "screenshot": f"{name}.png",
        }
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        self.pages[name] = entry
        return entry

    def write(self) -> None:
        (self.folder / "bytes.json").write_text(json.dumps(self.pages, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def artifacts() -> Iterator[Artifacts]:
    store = Artifacts(Path(os.environ.get("SCREENPLAN_ARTIFACTS", "artifacts/browser")).resolve())
    try:
        yield store
    finally:
        store.write()
