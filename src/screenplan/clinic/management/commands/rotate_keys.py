"""Re-seal every sealed value with the first key in SCREENPLAN_DATA_KEYS.

Rotation: put the new key first and keep the old one after it, run this command, then
remove the old key. Values that no configured key opens are reported and left as they are.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from screenplan.assessments.models import Assessment
from screenplan.clinic.models import Note, Share, StaffProfile
from screenplan.crypto import SealError


class Command(BaseCommand):
    help = "Re-seal answers, plans, contact details, notes and two-factor secrets with the current key."

    def handle(self, *args: Any, **options: Any) -> None:
        done = failed = 0
        for model, fields in (
            (Assessment, ["answers"]),
            (Share, ["contact", "plan"]),
            (Note, ["body"]),
            (StaffProfile, ["totp_secret"]),
        ):
            for pk in model.objects.values_list("pk", flat=True).iterator():
                with transaction.atomic():
                    row = model.objects.select_for_update().get(pk=pk)
                    try:
                        for field in fields:
                            value = getattr(row, field)
                            if value:
                                setattr(row, field, value)
                        # Only the sealed columns: re-sealing must not touch updated_at, which
                        # decides when an unfinished screen is purged.
                        row.save(update_fields=[f.attname for f in model._meta.fields if f.attname.endswith("_sealed")])
                        done += 1
                    except SealError:
                        failed += 1
        self.stdout.write(f"re-sealed {done} rows; {failed} could not be opened with any configured key")
