"""Personas for the clinic tests.

Respondents A and B each finish a screen through the real respondent pages and share it
with POST /en/share/. Staff are signed in through the real sign-in form (Argon2 check).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from logaudit import register
from web.helpers import answer_all, start
from web.profiles import INTEGRATED, OPIOIDS

from screenplan.clinic.models import Role, Share

from .helpers import make_staff, signed_in_client

# A canary no other text contains, in the free text a person types when sharing.
PHI_CANARY = "PHI-canary-best-time-7Q4XK"
CONTACT_A = {
    "name": "Alice Aardvark",
    "phone": "+1 555 0100 111",
    "email": "alice.aardvark@example.org",
    "best_time": f"Weekday mornings ({PHI_CANARY})",
    "leave_message": "yes",
}
CONTACT_B = {"name": "Bruno Bittern", "phone": "+1 555 0100 222", "email": "", "best_time": "Evenings"}
for _value in [*CONTACT_A.values(), *CONTACT_B.values()]:
    register("PHI", _value)  # what the personas type must reach no log (tests/logaudit.py)
# Respondent A's answer to phq9_1 (2) is shown to clinicians as this label, under this question.
A_QUESTION = "Little interest or pleasure in doing things"
A_LABEL = "More than half the days"


@dataclass
class Respondent:
    client: Client
    share: Share
    contact: dict[str, str]

    @property
    def case_url(self) -> str:
        return f"/staff/case/{self.share.public_id}/"


@dataclass
class Staff:
    user: User
    client: Client


def finish_and_share(profile: dict[str, Any], contact: dict[str, str]) -> Respondent:
    client = Client()
    start(client)
    answer_all(client, profile)
    response = client.post("/en/share/", {"consent": "yes", **contact})
    assert response.status_code == 200, response.status_code
    share = Share.objects.get(assessment__public_id=client.session["assessment"])
    return Respondent(client, share, contact)


def staff(username: str, role: str) -> Staff:
    user = make_staff(username, role)
    return Staff(user, signed_in_client(username))


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def respondent_a(db: None) -> Respondent:
    return finish_and_share(INTEGRATED, CONTACT_A)


@pytest.fixture
def respondent_b(db: None) -> Respondent:
    return finish_and_share(OPIOIDS, CONTACT_B)


@pytest.fixture
def clinician(db: None) -> Staff:
    return staff("carla", Role.CLINICIAN)


@pytest.fixture
def clinician2(db: None) -> Staff:
    return staff("colin", Role.CLINICIAN)


@pytest.fixture
def reception(db: None) -> Staff:
    return staff("rita", Role.RECEPTION)


@pytest.fixture
def admin(db: None) -> Staff:
    return staff("adam", Role.ADMIN)


@pytest.fixture
def deactivated(db: None) -> Staff:
    """A clinician signed in, whose account was then deactivated: the live session must stop working."""
    person = staff("dora", Role.CLINICIAN)
    person.user.is_active = False
    person.user.save(update_fields=["is_active"])
    return person
