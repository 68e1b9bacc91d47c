"""Delete unfinished screens older than N days (30 by default). Safe to run again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from screenplan.assessments.models import Assessment


class Command(BaseCommand):
    help = "Delete screens that were never finished and were last touched more than --days days ago."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - timedelta(days=options["days"])
        stale = Assessment.objects.filter(status=Assessment.Status.IN_PROGRESS, updated_at__lt=cutoff)
        count, _ = stale.delete()
        self.stdout.write(f"deleted {count} rows of unfinished screens older than {options['days']} days")
