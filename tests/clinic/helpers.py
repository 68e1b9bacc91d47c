"""Building blocks for the clinic tests: staff accounts, signing in, shares in bulk, page reading.

Personas (conftest.py) share through the real respondent flow. Tests that need dozens of
shares build them here straight through the models, with plans computed by the engine.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from logaudit import register
from web.helpers import engine_asked

from screenplan.assessments.models import Assessment
from screenplan.audit.models import AuditEvent
from screenplan.clinic.models import Share, StaffProfile
from screenplan.engine import build_plan, load_content

PASSWORD = register("staff password", "correct-horse-battery-42")  # test accounts only
CANARY = register("PHI", "<script>alert(1)</script>")  # typed as a name, a best time and a note
ESCAPED_CANARY = "&lt;script&gt;alert(1)&lt;/script&gt;"


@functools.cache
def password_hash() -> str:
    """One Argon2 hash for every test account: hashing costs ~0.15 s, signing in checks it for real."""
    return make_password(PASSWORD)


def make_staff(username: str, role: str, *, active: bool = True) -> User:
    user = User.objects.create(username=username, password=password_hash(), is_active=active)
    StaffProfile.objects.create(user=user, role=role)
    return user


def sign_in(
    client: Client, username: str, password: str = PASSWORD, *, next_url: str = "", ip: str = "127.0.0.1"
) -> HttpResponse:
    register("staff password", password)  # a wrong one typed is as secret as the right one
    data = {"username": username, "password": password, **({"next": next_url} if next_url else {})}
    return client.post("/staff/login/", data, REMOTE_ADDR=ip)


def signed_in_client(username: str) -> Client:
    client = Client()
    response = sign_in(client, username)
    assert response.status_code == 302 and response["Location"] == "/staff/", (response.status_code, username)
    return client


def make_share(profile: dict[str, Any], name: str, *, shared_at: datetime | None = None, **fields: Any) -> Share:
    """A finished screen and its share, stored as POST /en/share/ stores them (for bulk set-ups)."""
    a = Assessment()
    a.answers = {k: profile[k] for k in engine_asked(profile)}
    a.finish()
    a.save()
    share = Share(assessment=a, **fields)
    if shared_at is not None:
        share.shared_at = shared_at
    share.set_decisions(build_plan(load_content(), a.answers, "en"))
    contact = {"name": register("PHI", name), "phone": "+1 555 0199 000", "email": "", "best_time": ""}
    share.contact = {**contact, "leave_message": False}
    share.save()
    return share


def case_links(html: str) -> list[str]:
    """The public ids of the cases a queue page lists, top to bottom."""
    return re.findall(r'href="/staff/case/([0-9a-f-]{36})/"', html)


def audit_rows() -> list[tuple[str, str, str, str]]:
    return list(AuditEvent.objects.order_by("id").values_list("actor", "action", "object", "outcome"))
