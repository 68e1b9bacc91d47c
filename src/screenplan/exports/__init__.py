"""Exports of a finished plan, by format name.

"pdf": `render(plan, lang) -> bytes`, the printable plan; "fhir": `render(saved) -> dict`, a FHIR
R4 Bundle of a saved result (a mapping with answers, plan, id, timestamp and optionally lang).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import fhir, pdf

EXPORTERS: dict[str, Callable[..., bytes | dict[str, Any]]] = {"pdf": pdf.render, "fhir": fhir.render}
