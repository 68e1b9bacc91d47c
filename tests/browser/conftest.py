"""A real server and a real browser for the respondent's pages.

`screenplan serve` runs as a subprocess on a free loopback port with its own throwaway data
folder (started once per session, stopped at the end); Debian's Chromium is launched once
per session through Playwright. Screenshots and page weights go to $SCREENPLAN_ARTIFACTS
(default ./artifacts/browser).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serving import clean_env, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The origin (http://127.0.0.1:PORT) of a `screenplan serve` started for this session."""
    data = tmp_path_factory.mktemp("screenplan-browser-data")
    with serving(clean_env(SCREENPLAN_DATA_DIR=str(data)), data / "serve.log", workers=2) as origin:
        yield origin


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
