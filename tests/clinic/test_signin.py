"""Staff sign-in: password, lockout, two-factor codes, where it leads, session limits, sign-out."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from screenplan.clinic import totp
from screenplan.clinic.models import LoginFailure, Role, StaffProfile

from .conftest import Staff
from .helpers import PASSWORD, make_staff, password_hash, sign_in

pytestmark = pytest.mark.django_db

IDLE = 15 * 60
ABSOLUTE = 8 * 60 * 60


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def reaches_queue(client: Client) -> bool:
    response = client.get("/staff/")
    if response.status_code == 302:
        assert response["Location"].startswith("/staff/login/"), response["Location"]
        return False
    assert response.status_code == 200, response.status_code
    return True


def test_the_right_password_signs_a_clinician_in_and_the_hash_is_argon2() -> None:
    user = make_staff("carla", Role.CLINICIAN)
    assert user.password.startswith("argon2$argon2id$")
    client = Client()
    assert not reaches_queue(client)
    response = sign_in(client, "carla")
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert reaches_queue(client)


def test_a_wrong_password_is_refused_with_400_and_recorded_as_a_failure() -> None:
    make_staff("carla", Role.CLINICIAN)
    client = Client()
    response = sign_in(client, "carla", "not-the-password", ip="10.1.2.3")
    assert response.status_code == 400
    assert "Wrong username or password." in response.content.decode()
    assert list(LoginFailure.objects.values_list("username", "ip")) == [("carla", "10.1.2.3")]
    assert not reaches_queue(client)


def test_five_failures_lock_the_user_at_that_address_even_with_the_right_password() -> None:
    make_staff("carla", Role.CLINICIAN)
    for _ in range(5):
        assert sign_in(Client(), "carla", "wrong-password-1", ip="10.1.2.3").status_code == 400
    # A fresh browser (or another app server) is locked too: the failures live in the database.
    client = Client()
    locked = sign_in(client, "carla", ip="10.1.2.3")
    assert locked.status_code == 429
    assert not reaches_queue(client)
    assert LoginFailure.objects.count() == 5
    # The lock is per user and address: the same account from another address still signs in.
    assert sign_in(Client(), "carla", ip="10.9.9.9").status_code == 302


def test_four_failures_do_not_lock_and_failures_older_than_15_minutes_stop_counting() -> None:
    make_staff("carla", Role.CLINICIAN)
    for _ in range(4):
        sign_in(Client(), "carla", "wrong-password-1")
    assert sign_in(Client(), "carla").status_code == 302
    sign_in(Client(), "carla", "wrong-password-1")
    assert sign_in(Client(), "carla").status_code == 429
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=15, seconds=5))
    assert sign_in(Client(), "carla").status_code == 302


def codes_now(secret: str) -> set[str]:
    step = int(time.time() // 30)
    return {totp.code_at(secret, s) for s in (step - 1, step, step + 1)}


def test_two_factor_setup_refuses_a_wrong_code_accepts_the_right_one_and_never_a_replay(settings) -> None:
    settings.REQUIRE_TOTP = True
    make_staff("carla", Role.CLINICIAN)
    client = Client()
    response = sign_in(client, "carla")
    assert response.status_code == 302 and response["Location"] == "/staff/login/code/"
    assert not reaches_queue(client)  # the password alone is not enough
    setup = client.get("/staff/login/code/").content.decode()
    secret = re.search(r'id="secret" class="link" readonly value="([A-Z2-7]+)"', setup).group(1)
    assert StaffProfile.objects.get().totp_secret == secret
    wrong = next(c for c in (f"{n:06d}" for n in range(1000)) if c not in codes_now(secret))
    refused = client.post("/staff/login/code/", {"code": wrong})
    assert refused.status_code == 400 and LoginFailure.objects.count() == 1
    assert not reaches_queue(client)
    step = int(time.time() // 30)
    code = totp.code_at(secret, step)
    accepted = client.post("/staff/login/code/", {"code": code})
    assert accepted.status_code == 302 and accepted["Location"] == "/staff/"
    assert reaches_queue(client)
    profile = StaffProfile.objects.get()
    assert profile.totp_confirmed and profile.last_totp_step == step
    # Signing in again: no secret is shown any more, and the code already used is refused.
    client.post("/staff/logout/")
    again = Client()
    assert sign_in(again, "carla")["Location"] == "/staff/login/code/"
    assert secret not in again.get("/staff/login/code/").content.decode()
    assert again.post("/staff/login/code/", {"code": code}).status_code == 400
    assert not reaches_queue(again)
    assert again.post("/staff/login/code/", {"code": totp.code_at(secret, step + 1)}).status_code == 302
    assert reaches_queue(again)


def test_a_confirmed_two_factor_account_needs_its_code_even_where_it_is_not_required(settings) -> None:
    settings.REQUIRE_TOTP = False
    user = make_staff("carla", Role.CLINICIAN)
    user.staff.totp_secret = totp.new_secret()
    user.staff.totp_confirmed = True
    user.staff.save()
    client = Client()
    assert sign_in(client, "carla")["Location"] == "/staff/login/code/"
    assert not reaches_queue(client)


@pytest.mark.parametrize(
    ("target", "lands_on"),
    [
        ("/staff/stats/", "/staff/stats/"),
        ("/staff/case/00000000-0000-0000-0000-000000000000/", "/staff/case/00000000-0000-0000-0000-000000000000/"),
        ("https://evil.example/staff/", "/staff/"),
        ("//evil.example/staff/", "/staff/"),
        ("/en/plan/", "/staff/"),
        ("javascript:alert(1)", "/staff/"),
    ],
)
def test_after_sign_in_it_goes_only_to_a_staff_page_on_this_site(target: str, lands_on: str) -> None:
    make_staff("carla", Role.CLINICIAN)
    response = sign_in(Client(), "carla", next_url=target)
    assert response.status_code == 302 and response["Location"] == lands_on


def test_an_anonymous_visit_is_sent_to_sign_in_with_the_page_to_come_back_to() -> None:
    make_staff("carla", Role.CLINICIAN)
    client = Client()
    response = client.get("/staff/stats/")
    assert response.status_code == 302 and response["Location"] == "/staff/login/?next=/staff/stats/"
    form = client.get(response["Location"]).content.decode()
    assert 'name="next" value="/staff/stats/"' in form


def set_session(client: Client, **values: float) -> None:
    session = client.session
    session.update(values)
    session.save()


def test_a_session_idle_for_more_than_15_minutes_ends(clinician: Staff) -> None:
    set_session(clinician.client, staff_seen_at=time.time() - IDLE + 60)
    assert reaches_queue(clinician.client)  # 14 minutes idle: still signed in
    set_session(clinician.client, staff_seen_at=time.time() - IDLE - 5)
    assert not reaches_queue(clinician.client)
    assert "Your session ended. Please sign in again." in clinician.client.get("/staff/login/").content.decode()
    assert not reaches_queue(clinician.client)


def test_a_request_counts_as_activity_and_resets_the_idle_clock(clinician: Staff) -> None:
    set_session(clinician.client, staff_seen_at=time.time() - IDLE + 60)
    before = time.time()
    assert reaches_queue(clinician.client)
    assert clinician.client.session["staff_seen_at"] >= before  # stamped by this request


def test_a_session_ends_8_hours_after_sign_in_however_active(clinician: Staff) -> None:
    set_session(clinician.client, staff_auth_at=time.time() - ABSOLUTE + 60, staff_seen_at=time.time())
    assert reaches_queue(clinician.client)
    set_session(clinician.client, staff_auth_at=time.time() - ABSOLUTE - 5, staff_seen_at=time.time())
    assert not reaches_queue(clinician.client)


def test_signing_in_gives_a_new_session_key_and_drops_the_old_one() -> None:
    make_staff("carla", Role.CLINICIAN)
    client = Client()
    client.get("/staff/login/")  # the form's CSRF token starts a session
    before = session_key(client)
    assert Session.objects.filter(session_key=before).exists()
    assert sign_in(client, "carla").status_code == 302
    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_after_sign_out_the_old_session_cookie_no_longer_works(clinician: Staff) -> None:
    old = session_key(clinician.client)
    response = clinician.client.post("/staff/logout/")
    assert response.status_code == 302 and response["Location"] == "/staff/login/"
    assert not Session.objects.filter(session_key=old).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old
    assert not reaches_queue(replay)


def test_sign_out_needs_a_post(clinician: Staff) -> None:
    assert clinician.client.get("/staff/logout/").status_code == 405
    assert reaches_queue(clinician.client)


def test_a_deactivated_account_cannot_sign_in_and_its_live_session_stops(deactivated: Staff) -> None:
    assert not reaches_queue(deactivated.client)
    response = sign_in(Client(), deactivated.user.username, PASSWORD)
    assert response.status_code == 400
    assert LoginFailure.objects.filter(username=deactivated.user.username).count() == 1


def test_an_account_without_a_staff_role_cannot_sign_in() -> None:
    User.objects.create(username="plain", password=password_hash())
    assert sign_in(Client(), "plain").status_code == 400
