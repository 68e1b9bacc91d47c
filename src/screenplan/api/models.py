"""API clients of the program's own systems, and rate-limit counters (in the database, so
limits hold across app servers)."""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar

from django.db import models
from django.utils import timezone

SCOPES = ("cases:read", "cases:write")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClient(models.Model):
    name = models.CharField(max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(max_length=200)  # space-separated, from SCOPES
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    @classmethod
    def issue(cls, name: str, scopes: list[str]) -> tuple[ApiClient, str]:
        token = "spk_" + secrets.token_urlsafe(32)
        client = cls.objects.create(name=name, token_hash=digest(token), scopes=" ".join(scopes))
        return client, token

    def allows(self, scope: str) -> bool:
        return self.active and scope in self.scopes.split()


class RateCounter(models.Model):
    key = models.CharField(max_length=100)
    window = models.BigIntegerField()  # start of the window, in seconds since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["key", "window"], name="one_counter_per_window")]
