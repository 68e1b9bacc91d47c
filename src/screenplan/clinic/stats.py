"""Aggregate counts for the program, drawn as plain SVG bars (no charting library)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone

from screenplan.assessments.models import Assessment

from .models import Share

SERIES = ("started", "completed", "shared")
COLOURS = {"started": "#9fc3dc", "completed": "#0b5d8a", "shared": "#c9503e"}


def _by_week(rows: Any, field: str) -> dict[datetime, int]:
    return {r["week"]: r["n"] for r in rows.annotate(week=TruncWeek(field)).values("week").annotate(n=Count("id"))}


def weekly_counts(weeks: int) -> dict[str, Any]:
    now = timezone.now()
    since = now - timedelta(weeks=weeks)
    started = _by_week(Assessment.objects.filter(created_at__gte=since), "created_at")
    completed = _by_week(Assessment.objects.filter(completed_at__gte=since), "completed_at")
    shared = _by_week(Share.objects.filter(shared_at__gte=since), "shared_at")
    first = (now - timedelta(days=now.weekday(), weeks=weeks - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    table: list[dict[str, Any]] = []
    for n in range(weeks):
        week = first + timedelta(weeks=n)
        counts = {name: _get(series, week) for name, series in zip(SERIES, (started, completed, shared), strict=True)}
        table.append({"week": week.date(), **counts})
    top = max([1] + [row[s] for row in table for s in SERIES])
    bars = []
    width = 560 // weeks
    for n, row in enumerate(table):
        for k, s in enumerate(SERIES):
            h = round(150 * row[s] / top)
            bars.append(
                {
                    "x": 40 + n * width + k * (width // 4),
                    "y": 170 - h,
                    "w": width // 4 - 1,
                    "h": h,
                    "fill": COLOURS[s],
                    "label": f"{row['week']} {s}: {row[s]}",
                }
            )
    completed_rows = Assessment.objects.filter(completed_at__gte=since, status=Assessment.Status.COMPLETE)
    return {
        "table": table,
        "bars": bars,
        "top": top,
        "series": [(s, COLOURS[s]) for s in SERIES],
        "weeks": weeks,
        "by_pathway": _horizontal(completed_rows.values("pathway").annotate(n=Count("id")).order_by("-n"), "pathway"),
        "by_safety": _horizontal(
            completed_rows.values("safety_level").annotate(n=Count("id")).order_by("-n"), "safety_level"
        ),
    }


def _get(series: dict[datetime, int], week: datetime) -> int:
    for key, value in series.items():
        if key is not None and key.date() == week.date():
            return value
    return 0


def _horizontal(rows: Any, key: str) -> list[dict[str, Any]]:
    rows = [r for r in rows if r[key]]
    top = max([1] + [r["n"] for r in rows])
    return [
        {"label": r[key], "n": r["n"], "w": max(2, round(300 * r["n"] / top)), "y": 4 + 26 * i}
        for i, r in enumerate(rows)
    ]
