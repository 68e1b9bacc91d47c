"""Exports of a finished plan: format name -> `render(plan, lang) -> bytes`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import pdf

EXPORTERS: dict[str, Callable[[dict[str, Any], str], bytes]] = {"pdf": pdf.render}
