"""The staff queue with 10,000 shared cases runs the same SQL queries as with 10.

A queue that asks the database once per row (an N+1) looks fine in a demo and stalls a
busy clinic, so the queries of the queue page, the staff API's case list and the streamed
CSV export are counted with 10 shared cases and again with 10,000, and must be equal. The
page must also stay one page: 25 cases, never the whole queue. Render times are printed as
figures for docs/reliability.md, not asserted: they depend on the machine.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from web.helpers import engine_asked
from web.profiles import ACUTE, AT_RISK, INTEGRATED, LOW_RISK, OPIOIDS

from screenplan.api.models import ApiClient
from screenplan.assessments.models import Assessment
from screenplan.clinic.models import Share, Status
from screenplan.clinic.views import PAGE_SIZE
from screenplan.engine import build_plan, load_content

from .conftest import Staff
from .helpers import case_links

pytestmark = pytest.mark.django_db

FEW, MANY = 10, 10_000
PROFILES = (LOW_RISK, INTEGRATED, OPIOIDS, AT_RISK, ACUTE)
# Mostly open cases (the queue's default filter), some in every other status.
STATUSES = (Status.NEW, Status.NEW, Status.CONTACTED, Status.SCHEDULED, Status.NEW, Status.CLOSED, Status.REFERRED)


@functools.cache
def decided(n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answers and plan of PROFILES[n], computed once: the engine is not what is measured."""
    profile = PROFILES[n]
    answers = {k: profile[k] for k in engine_asked(profile)}
    return answers, build_plan(load_content(), answers, "en")


def bulk_shares(count: int, first: int, assignees: list[Any]) -> None:
    """`count` finished, shared screens stored as sharing stores them, with bulk_create.

    Every row is sealed under its own id, as a real share is, so the page must open each
    contact it shows: a shortcut there would not be measured.
    """
    now = timezone.now()
    screens, shares = [], []
    for n in range(first, first + count):
        answers, plan = decided(n % len(PROFILES))
        a = Assessment(status=Assessment.Status.COMPLETE, completed_at=now, revision=len(answers))
        a.answers = answers
        a.pathway, a.safety_level = plan["pathway"]["primary"], plan["safety"]["level"]
        screens.append(a)
        share = Share(assessment=a, shared_at=now - timedelta(minutes=n), status=STATUSES[n % len(STATUSES)])
        share.assignee = assignees[n % len(assignees)]
        share.set_decisions(plan)
        share.contact = {"name": f"Person {n:05d}", "phone": "+1 555 0199 000", "email": "", "best_time": ""}
        shares.append(share)
    Assessment.objects.bulk_create(screens, batch_size=1000)  # sets each primary key, which each share then takes
    Share.objects.bulk_create(shares, batch_size=1000)


def measured(client: Client, url: str, **headers: str) -> tuple[int, float, bytes]:
    """(queries, seconds, body) of one GET, after an identical warm-up request.

    The warm-up leaves the session, the rate-limit counter and Django's caches in the same
    state before both measured requests, so only the size of the queue differs.
    """
    client.get(url, headers=headers)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    seconds = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries), seconds, body


def test_the_queue_the_api_list_and_the_export_run_the_same_queries_at_10_and_10000_cases(
    clinician: Staff, clinician2: Staff, reception: Staff
) -> None:
    _, token = ApiClient.issue("ehr", ["cases:read"])
    bearer = {"Authorization": f"Bearer {token}"}
    assignees = [None, clinician.user, None, clinician2.user]
    routes = {
        "queue (clinician)": (clinician.client, "/staff/", {}),
        "queue (reception)": (reception.client, "/staff/", {}),
        "queue filtered, page 2": (clinician.client, "/staff/?status=all&assignee=none&page=2", {}),
        "API case list": (Client(), "/api/v1/staff/cases", bearer),
        "CSV export": (clinician.client, "/staff/export.csv", {}),
    }

    bulk_shares(FEW, 0, assignees)
    few = {name: measured(c, url, **h) for name, (c, url, h) in routes.items()}
    started = time.perf_counter()
    bulk_shares(MANY - FEW, FEW, assignees)
    print(f"\n{MANY - FEW} shares stored with bulk_create in {time.perf_counter() - started:.1f} s")
    many = {name: measured(c, url, **h) for name, (c, url, h) in routes.items()}

    for name in routes:
        print(
            f"{name}: {few[name][0]} queries at {FEW} cases, {many[name][0]} at {MANY};"
            f" {few[name][1] * 1000:.0f} ms vs {many[name][1] * 1000:.0f} ms"
        )
    assert {name: m[0] for name, m in many.items()} == {name: f[0] for name, f in few.items()}

    # One page at a time: 25 cases on the page, and the pager knows how many pages there are.
    page = many["queue (clinician)"][2].decode()
    open_cases = Share.objects.in_queue().exclude(status__in=(Status.CLOSED, Status.ENROLLED, Status.REFERRED)).count()
    assert len(case_links(page)) == PAGE_SIZE
    assert f"Page 1 of {-(-open_cases // PAGE_SIZE)}" in page
    assert len(case_links(many["queue filtered, page 2"][2].decode())) == PAGE_SIZE
    listing = json.loads(many["API case list"][2])
    assert len(listing["cases"]) == 50 and listing["count"] == MANY
    # The export is the one place that must hold every case: streamed, in the same few queries.
    rows = list(csv.DictReader(io.StringIO(many["CSV export"][2].decode())))
    assert len(rows) == MANY and rows[0]["contact_name"].startswith("Person ")
