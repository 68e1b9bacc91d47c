"""Issue a staff API token: `screenplan manage createapiclient NAME --scope cases:read`.

The token is printed once; only its hash is stored.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from screenplan.api.models import SCOPES, ApiClient


class Command(BaseCommand):
    help = "Create an API client for the program's own systems and print its token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--scope", action="append", choices=SCOPES, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if ApiClient.objects.filter(name=options["name"]).exists():
            raise CommandError(f"a client named {options['name']!r} already exists")
        _client, token = ApiClient.issue(options["name"], sorted(set(options["scope"])))
        self.stdout.write(token)
