"""Shared cases as CSV for staff: one row per share, the columns below, first line the header.

`render(shares)` is a pure function of each share's `public_id`, `shared_at`, `status`,
`assignee` (an object with `username`, or None), `contact` (dict) and `plan` (the plan JSON
as shared); it reads nothing else and yields one CSV line (str, ending in CRLF) at a time, so
a view can stream it. A withdrawn share (contact and plan wiped) gives empty cells.

Columns (docs/csv-export.md says the same):

    share_id               the share's public id (UUID), as in the case page's address
    shared_at              when the person shared, ISO 8601 with the UTC offset
    status                 the case status: new, contacted, scheduled, enrolled, referred, closed
    assignee               the assigned staff member's username; empty when unassigned
    safety_level           the plan's safety level: none, non_acute or acute
    pathway                the primary pathway id (e.g. integrated, depression_care)
    eligibility            candidate or clinician_review for the pathway's medicines; empty if none apply
    priority               the plan's priority (e.g. routine)
    findings               the findings that hold, ";"-separated ids
    medicines              each medicine's status, ";"-separated id=status (consider, clinician_review, …)
    checks                 checks before treatment, ";"-separated ids
    phq9                   PHQ-9 total, or its bound when curtailed (">= 10"); empty if not asked
    gad7                   GAD-7 total, or its bound when curtailed; empty if not asked
    audit                  AUDIT total, or its bound when curtailed; empty if not asked
    audit_zone             WHO AUDIT zone I-IV; empty if the AUDIT was not completed
    contact_name           the name the person gave
    contact_phone          phone number (a leading + is written as '+, see below)
    contact_email          e-mail address
    contact_best_time      the best time to call, as written by the person
    contact_leave_message  yes or no: may the clinic leave a message
    content_version        the content version the plan was made with
    engine_version         the engine version the plan was made with

Spreadsheets run a cell that starts with = + - or @ (or a tab or carriage return) as a formula,
so such a cell is written with a leading single quote: a name like "=HYPERLINK(…)" cannot run.
A leading NUL gets the quote too (OWASP ASVS 1.2.10 lists it), since the share form keeps it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

COLUMNS = (
    "share_id",
    "shared_at",
    "status",
    "assignee",
    "safety_level",
    "pathway",
    "eligibility",
    "priority",
    "findings",
    "medicines",
    "checks",
    "phq9",
    "gad7",
    "audit",
    "audit_zone",
    "contact_name",
    "contact_phone",
    "contact_email",
    "contact_best_time",
    "contact_leave_message",
    "content_version",
    "engine_version",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


class _Line:
    """A file-like sink whose write() returns the text, so csv.writer.writerow returns the line."""

    def write(self, text: str) -> str:
        return text


def safe_cell(value: Any) -> str:
    """The cell as text, with a quote in front when a spreadsheet would read it as a formula.

    >>> safe_cell("=1+1"), safe_cell("+44 20 7946 0000"), safe_cell(None), safe_cell(True), safe_cell(12)
    ("'=1+1", "'+44 20 7946 0000", '', 'yes', '12')
    """
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _score(plan: Mapping[str, Any], score_id: str) -> Any:
    s = (plan.get("scores") or {}).get(score_id) or {}
    return s.get("total") if s.get("total") is not None else s.get("bound")


def _when(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else "" if value is None else str(value)


def row(share: Any) -> list[str]:
    """The cells of one share, in the order of COLUMNS."""
    plan: Mapping[str, Any] = share.plan or {}
    contact: Mapping[str, Any] = share.contact or {}
    pathway = plan.get("pathway") or {}
    assignee = getattr(share.assignee, "username", None) if share.assignee is not None else None
    leave = contact.get("leave_message")
    cells = [
        share.public_id,
        _when(share.shared_at),
        share.status,
        assignee,
        (plan.get("safety") or {}).get("level"),
        pathway.get("primary"),
        pathway.get("eligibility"),
        plan.get("priority"),
        ";".join(plan.get("findings") or ()),
        ";".join(f"{m}={s}" for m, s in (plan.get("medicines") or {}).items()),
        ";".join(plan.get("checks") or ()),
        _score(plan, "phq9"),
        _score(plan, "gad7"),
        _score(plan, "audit"),
        plan.get("audit_zone"),
        contact.get("name"),
        contact.get("phone"),
        contact.get("email"),
        contact.get("best_time"),
        None if leave is None else bool(leave),
        plan.get("content_version"),
        plan.get("engine_version"),
    ]
    return [safe_cell(c) for c in cells]


def render(shares: Iterable[Any]) -> Iterator[str]:
    """The header line, then one line per share (CRLF line ends, as spreadsheets expect)."""
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for share in shares:
        yield writer.writerow(row(share))
