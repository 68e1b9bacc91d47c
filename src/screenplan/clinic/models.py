"""The clinic's side: who the staff are, what people shared and what staff did.

Contact details, notes and the shared plan are sealed like answers. The safety level and
pathway of a shared submission are kept in the clear, because the queue must sort by them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

from screenplan.assessments.models import Assessment
from screenplan.crypto import open_sealed, seal


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    RECEPTION = "reception", "Reception"
    ADMIN = "admin", "Administrator"


class StaffProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=16, choices=Role.choices)
    totp_sealed = models.BinaryField(null=True, blank=True)
    totp_confirmed = models.BooleanField(default=False)
    last_totp_step = models.BigIntegerField(default=0)  # a code is accepted once

    def _context(self) -> str:
        return f"clinic.staffprofile.totp:{self.user_id}"

    @property
    def totp_secret(self) -> str | None:
        if not self.totp_sealed:
            return None
        return open_sealed(self.totp_sealed, self._context(), settings.DATA_KEYS).decode()

    @totp_secret.setter
    def totp_secret(self, value: str | None) -> None:
        self.totp_sealed = None if value is None else seal(value.encode(), self._context(), settings.DATA_KEYS)


class Status(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    SCHEDULED = "scheduled", "Scheduled"
    ENROLLED = "enrolled", "Enrolled"
    REFERRED = "referred", "Referred"
    CLOSED = "closed", "Closed"


# Which status may follow which (the workflow new → contacted → scheduled → enrolled /
# referred / closed; a case can be closed or referred from anywhere, and reopened).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("contacted", "referred", "closed"),
    "contacted": ("scheduled", "referred", "closed"),
    "scheduled": ("enrolled", "contacted", "referred", "closed"),
    "enrolled": ("closed",),
    "referred": ("closed",),
    "closed": ("new",),
}
URGENCY = {"acute": 0, "non_acute": 1, "none": 2}
PATHWAY_ORDER = (
    "opioid_care",
    "integrated",
    "alcohol_medication",
    "depression_care",
    "brief_alcohol",
    "anxiety_trauma_care",
    "substance_assessment",
    "wellbeing",
    "out_of_scope",
)


class ShareQuerySet(models.QuerySet["Share"]):
    def in_queue(self) -> ShareQuerySet:
        """Shared and not withdrawn, most urgent first, then by pathway, then longest waiting."""
        return self.filter(withdrawn_at__isnull=True).order_by("urgency", "pathway_rank", "shared_at", "id")


class Share(models.Model):
    """A respondent's consented hand-off of their results to the clinic."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="share")
    shared_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    contact_sealed = models.BinaryField()
    plan_sealed = models.BinaryField()
    safety_level = models.CharField(max_length=16)
    urgency = models.PositiveSmallIntegerField()
    pathway = models.CharField(max_length=32)
    pathway_rank = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField(default=timezone.now)
    assignee = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects: ClassVar[ShareQuerySet] = ShareQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes: ClassVar = [models.Index(fields=["withdrawn_at", "urgency", "pathway_rank", "shared_at"])]

    def _context(self, column: str) -> str:
        return f"clinic.share.{column}:{self.public_id}"

    def _get(self, column: str) -> dict[str, Any]:
        blob = getattr(self, f"{column}_sealed")
        if not blob:
            return {}
        data: dict[str, Any] = json.loads(open_sealed(blob, self._context(column), settings.DATA_KEYS))
        return data

    def _set(self, column: str, value: dict[str, Any]) -> None:
        raw = json.dumps(value, sort_keys=True).encode()
        setattr(self, f"{column}_sealed", seal(raw, self._context(column), settings.DATA_KEYS))

    @property
    def contact(self) -> dict[str, Any]:
        return self._get("contact")

    @contact.setter
    def contact(self, value: dict[str, Any]) -> None:
        self._set("contact", value)

    @property
    def plan(self) -> dict[str, Any]:
        """The plan exactly as the person saw it when they shared it."""
        return self._get("plan")

    @plan.setter
    def plan(self, value: dict[str, Any]) -> None:
        self._set("plan", value)

    @property
    def urgent(self) -> bool:
        return self.safety_level != "none"

    def set_decisions(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.safety_level = plan["safety"]["level"]
        self.urgency = URGENCY[self.safety_level]
        self.pathway = plan["pathway"]["primary"]
        self.pathway_rank = PATHWAY_ORDER.index(self.pathway)


class Note(models.Model):
    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    body_sealed = models.BinaryField()

    @property
    def body(self) -> str:
        return open_sealed(self.body_sealed, f"clinic.note.body:{self.share_id}", settings.DATA_KEYS).decode()

    @body.setter
    def body(self, value: str) -> None:
        self.body_sealed = seal(value.encode(), f"clinic.note.body:{self.share_id}", settings.DATA_KEYS)


class StatusChange(models.Model):
    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    field = models.CharField(max_length=16, default="status")  # "status" or "assignee"
    old = models.CharField(max_length=150, blank=True)
    new = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(default=timezone.now)


class LoginFailure(models.Model):
    """Failed sign-ins, in the database so a lockout holds across app servers."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["username", "ip", "at"])]
