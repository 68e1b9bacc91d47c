"""One append-only row per staff access, and per respondent act that staff must be able to see
happened (a share withdrawn or deleted) without what it held."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("audit events are append-only")

    def update(self, **kwargs: Any) -> int:
        raise ValueError("audit events are append-only")


class AuditEvent(models.Model):
    """One access, allowed or denied. Rows are only ever added."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150)  # the username (kept if the account is removed)
    action = models.CharField(max_length=48)
    object = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16)  # "allowed" or "denied"
    request_id = models.CharField(max_length=36)

    objects: ClassVar[AuditQuerySet] = AuditQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        db_table = "clinic_auditevent"  # the table it had when the clinic app owned it

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("audit events are append-only")
