"""Management commands: createstaff, rotate_keys, purge_incomplete."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from web.profiles import INTEGRATED, LOW_RISK

from screenplan.assessments.models import Assessment
from screenplan.clinic import totp
from screenplan.clinic.models import Note, Share, StaffProfile
from screenplan.crypto import SealError

from .helpers import make_share, make_staff, sign_in

pytestmark = pytest.mark.django_db

OLD, NEW, STRAY = (base64.urlsafe_b64encode(bytes([n]) * 32).decode() for n in (1, 2, 3))


def createstaff(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str) -> str:
    """Run the command as `echo PASSWORD | screenplan manage createstaff ...` would."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin + "\n"))
    out = io.StringIO()
    call_command("createstaff", *args, stdout=out)
    return out.getvalue()


def test_createstaff_makes_an_argon2_account_with_its_role_that_can_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    out = createstaff(monkeypatch, "rita", "--role", "reception", "--email", "r@clinic.example", stdin="a-long-pass-42")
    assert out == "Created reception 'rita'. Two-factor setup happens at first sign-in.\n"
    user = User.objects.get(username="rita")
    assert user.password.startswith("argon2$argon2id$") and "a-long-pass-42" not in user.password
    assert user.email == "r@clinic.example" and user.staff.role == "reception" and not user.staff.totp_confirmed
    assert sign_in(Client(), "rita", "a-long-pass-42").status_code == 302


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (("sam", "--role", "clinician"), "short", "too short"),
        (("sam", "--role", "clinician"), "password1234", "too common"),
        (("sam", "--role", "janitor"), "a-long-pass-42", "invalid choice"),
    ],
)
def test_createstaff_refuses_weak_passwords_and_unknown_roles(
    monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], password: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        createstaff(monkeypatch, *args, stdin=password)
    assert not User.objects.filter(username="sam").exists()


def test_createstaff_refuses_a_name_already_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    make_staff("sam", "admin")
    with pytest.raises(CommandError, match="already exists"):
        createstaff(monkeypatch, "sam", "--role", "clinician", stdin="a-long-pass-42")
    assert User.objects.get(username="sam").staff.role == "admin"


def sealed_values() -> dict[str, object]:
    share = Share.objects.get()
    return {
        "answers": share.assessment.answers,
        "contact": share.contact,
        "plan": share.plan,
        "note": Note.objects.get().body,
        "totp": StaffProfile.objects.get().totp_secret,
    }


def test_rotate_keys_reseals_everything_so_the_new_key_alone_opens_it(settings) -> None:
    settings.DATA_KEYS = [OLD]
    share = make_share(INTEGRATED, "Ian integrated")
    note = Note(share=share)
    note.body = "Prefers mornings."
    note.save()
    profile = make_staff("carla", "clinician").staff
    profile.totp_secret = totp.new_secret()
    profile.save()
    before = sealed_values()
    settings.DATA_KEYS = [NEW]
    with pytest.raises(SealError):
        sealed_values()
    settings.DATA_KEYS = [NEW, OLD]
    assert sealed_values() == before  # the old key, still listed, opens old values
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    assert out.getvalue() == "re-sealed 4 rows; 0 could not be opened with any configured key\n"
    settings.DATA_KEYS = [NEW]
    assert sealed_values() == before
    settings.DATA_KEYS = [OLD]
    with pytest.raises(SealError):
        sealed_values()


def test_rotate_keys_reports_and_keeps_a_value_no_configured_key_opens(settings) -> None:
    settings.DATA_KEYS = [STRAY]
    stray = make_share(LOW_RISK, "Stray key")
    blobs = (bytes(stray.assessment.answers_sealed), bytes(stray.contact_sealed), bytes(stray.plan_sealed))
    settings.DATA_KEYS = [NEW, OLD]
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    assert out.getvalue() == "re-sealed 0 rows; 2 could not be opened with any configured key\n"
    kept = Share.objects.select_related("assessment").get(pk=stray.pk)
    assert (bytes(kept.assessment.answers_sealed), bytes(kept.contact_sealed), bytes(kept.plan_sealed)) == blobs


def in_progress(days_idle: float) -> Assessment:
    a = Assessment()
    a.answers = {"age": 30}
    a.save()
    Assessment.objects.filter(pk=a.pk).update(updated_at=timezone.now() - timedelta(days=days_idle))
    return a


def purge() -> str:
    out = io.StringIO()
    call_command("purge_incomplete", stdout=out)
    return out.getvalue()


def test_purge_incomplete_deletes_only_unfinished_screens_idle_30_days_and_is_idempotent() -> None:
    stale = in_progress(31)
    recent = in_progress(29)
    finished = make_share(LOW_RISK, "Old but finished").assessment
    Assessment.objects.filter(pk=finished.pk).update(updated_at=timezone.now() - timedelta(days=400))
    assert purge() == "deleted 1 rows of unfinished screens older than 30 days\n"
    assert set(Assessment.objects.values_list("pk", flat=True)) == {recent.pk, finished.pk}
    assert stale.pk not in Assessment.objects.values_list("pk", flat=True)
    assert purge() == "deleted 0 rows of unfinished screens older than 30 days\n"
    assert set(Assessment.objects.values_list("pk", flat=True)) == {recent.pk, finished.pk}


def test_a_key_rotation_does_not_reset_the_30_day_clock_of_unfinished_screens(settings) -> None:
    settings.DATA_KEYS = [OLD]
    stale = in_progress(31)
    settings.DATA_KEYS = [NEW, OLD]
    call_command("rotate_keys", stdout=io.StringIO())
    assert purge() == "deleted 1 rows of unfinished screens older than 30 days\n"
    assert not Assessment.objects.filter(pk=stale.pk).exists()
