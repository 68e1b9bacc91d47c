"""Create a staff account: `screenplan manage createstaff NAME --role clinician`.

The password is read from standard input (one line), or prompted for on a terminal.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from screenplan.clinic.models import Role, StaffProfile


class Command(BaseCommand):
    help = "Create a staff account (clinician, reception or admin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)  # a fresh install has no tables yet
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"a user named {username!r} already exists")
        if sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Again: ") != password:
                raise CommandError("the passwords differ")
        else:
            password = sys.stdin.readline().rstrip("\n")
        user = User(username=username, email=options["email"])
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            StaffProfile.objects.create(user=user, role=options["role"])
        self.stdout.write(f"Created {options['role']} {username!r}. Two-factor setup happens at first sign-in.")
