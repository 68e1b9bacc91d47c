"""The staff CSV export of shared cases: documented columns, one row per share, no formulas."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from screenplan.engine import build_plan, load_content
from screenplan.exports import csv as csv_export

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "src/screenplan/examples/integrated.json"


@dataclass
class StandInShare:
    """The attributes of clinic.models.Share that the export reads, and nothing else."""

    public_id: uuid.UUID = field(default_factory=lambda: uuid.UUID("12345678-1234-5678-1234-567812345678"))
    shared_at: datetime = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    status: str = "new"
    assignee: Any = None
    contact: dict[str, Any] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)


def example_plan() -> dict[str, Any]:
    return build_plan(load_content(), json.loads(EXAMPLE.read_text(encoding="utf-8")))


def parse(lines: list[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines), newline="")))


def test_the_header_is_the_documented_column_list() -> None:
    (header,) = parse(list(csv_export.render([])))
    assert header == list(csv_export.COLUMNS)
    doc_module = re.findall(r"^    (\w+) {2,}\S", csv_export.__doc__ or "", re.M)
    doc_page = re.findall(r"^\| `(\w+)` \|", (ROOT / "docs/csv-export.md").read_text(encoding="utf-8"), re.M)
    assert doc_module == header
    assert doc_page == header


def test_a_row_for_a_stand_in_share() -> None:
    share = StandInShare(
        status="contacted",
        assignee=SimpleNamespace(username="dr.lee"),
        contact={
            "name": "Ana Díaz",
            "phone": "555 0100",
            "email": "ana@example.org",
            "best_time": "mornings",
            "leave_message": True,
        },
        plan=example_plan(),
    )
    lines = list(csv_export.render([share]))
    assert len(lines) == 2 and all(line.endswith("\r\n") for line in lines)
    header, cells = parse(lines)
    row = dict(zip(header, cells, strict=True))
    assert row == {
        "share_id": "12345678-1234-5678-1234-567812345678",
        "shared_at": "2025-03-04T09:30:00+00:00",
        "status": "contacted",
        "assignee": "dr.lee",
        "safety_level": "none",
        "pathway": "integrated",
        "eligibility": "candidate",
        "priority": "routine",
        "findings": "auditc_positive;alcohol_use_disorder_likely;depression;treatment_resistant;prior_treatment",
        "medicines": "naltrexone=consider;acamprosate=consider;ketamine=consider",
        "checks": row["checks"],
        "phq9": "13",
        "gad7": "4",
        "audit": "19",
        "audit_zone": "III",
        "contact_name": "Ana Díaz",
        "contact_phone": "555 0100",
        "contact_email": "ana@example.org",
        "contact_best_time": "mornings",
        "contact_leave_message": "yes",
        "content_version": load_content().version,
        "engine_version": "0.1.0",
    }
    assert row["checks"].startswith("psychiatric_history;")


def test_a_curtailed_score_shows_its_bound_and_a_withdrawn_share_is_empty() -> None:
    plan = {"scores": {"phq9": {"total": None, "bound": ">= 10"}, "gad7": {"total": None, "bound": None}}}
    withdrawn = StandInShare(status="closed")
    _, curtailed, empty = parse(list(csv_export.render([StandInShare(plan=plan), withdrawn])))
    header = list(csv_export.COLUMNS)
    assert curtailed[header.index("phq9")] == ">= 10" and curtailed[header.index("gad7")] == ""
    assert empty[:4] == ["12345678-1234-5678-1234-567812345678", "2025-03-04T09:30:00+00:00", "closed", ""]
    assert set(empty[4:]) == {""}


def test_cells_that_a_spreadsheet_would_run_start_with_a_quote() -> None:
    contact = {
        "name": '=HYPERLINK("http://evil.example","click")',
        "phone": "+1 555 0100",
        "email": "@SUM(1+1)",
        "best_time": "-2+3",
        "leave_message": False,
    }
    share = StandInShare(contact=contact, assignee=SimpleNamespace(username="\tadmin"), status="\rnew")
    header, cells = parse(list(csv_export.render([share])))
    row = dict(zip(header, cells, strict=True))
    assert row["contact_name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["contact_phone"] == "'+1 555 0100"
    assert row["contact_email"] == "'@SUM(1+1)"
    assert row["contact_best_time"] == "'-2+3"
    assert row["assignee"] == "'\tadmin"
    assert row["status"] == "'\rnew"
    assert row["contact_leave_message"] == "no"
    assert not any(c[:1] in "=+-@\t\r" for c in cells if c)
