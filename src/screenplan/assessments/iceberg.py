"""The iceberg: a server-rendered SVG of what shows above the waterline and what lies beneath.

Each block is sized and coloured by severity (0 none … 3 high); the same facts are given as
text beside it, so the picture is never the only way to read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COLOURS = ("#cfe3ef", "#f2d98b", "#eea66b", "#c9503e")  # none, mild, moderate, high
TEXT_ON = ("#10324a", "#3a2a00", "#3a1800", "#ffffff")


@dataclass(frozen=True)
class Block:
    id: str
    title: str
    lines: tuple[str, ...]
    score: str
    severity: int
    x: int
    y: int
    width: int
    height: int
    fill: str
    ink: str


WATERLINE = 120


def layout(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry for the template: surface blocks stand on the waterline and grow upwards with
    severity; blocks beneath hang from it and grow downwards."""
    surface = [i for i in items if i.get("layer") == "surface"]
    beneath = [i for i in items if i.get("layer") == "beneath"]
    blocks: list[Block] = []
    for group, span, above in ((surface, 220, True), (beneath, 344, False)):
        if not group:
            continue
        left = (360 - span) // 2
        width = span // len(group)
        for n, item in enumerate(group):
            sev = max(0, min(3, int(item.get("severity") or 0)))
            height = (34 + 20 * sev) if above else (48 + 22 * sev)
            blocks.append(
                Block(
                    id=str(item["id"]),
                    title=str(item["title"]),
                    lines=_lines(str(item.get("short") or item["title"])),
                    score=str(item.get("score") or ""),
                    severity=sev,
                    x=left + n * width + 3,
                    y=WATERLINE - 2 - height if above else WATERLINE + 4,
                    width=width - 6,
                    height=height,
                    fill=COLOURS[sev],
                    ink=TEXT_ON[sev],
                )
            )
    return {"blocks": blocks, "waterline": WATERLINE, "height": WATERLINE + 4 + 48 + 22 * 3 + 8}


def _lines(label: str) -> tuple[str, ...]:
    """Split a short label over two lines when it is too wide for a block."""
    words = label.split()
    if len(label) <= 11 or len(words) == 1:
        return (label,)
    half = (len(words) + 1) // 2
    return (" ".join(words[:half]), " ".join(words[half:]))
