"""A startup check: refuse to run on a database set up to lose acknowledged answers.

Registered with the "database" tag, so `migrate` (and so `screenplan serve`) runs it.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.db import connections

SQLITE_WANTED = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "secure_delete": 1}
POSTGRES_WANTED = {"fsync": "on", "synchronous_commit": "on"}


@register(Tags.database)
def durable_database(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    for alias in databases or ():
        conn = connections[alias]
        with conn.cursor() as cursor:
            if conn.vendor == "sqlite":
                for pragma, wanted in SQLITE_WANTED.items():
                    if pragma == "journal_mode" and conn.is_in_memory_db():  # type: ignore[attr-defined]  # the SQLite wrapper's own
                        continue  # the test database lives in memory, where WAL cannot apply
                    cursor.execute(f"PRAGMA {pragma}")
                    got = cursor.fetchone()[0]
                    if str(got).lower() != str(wanted):
                        errors.append(
                            Error(
                                f"SQLite {pragma} is {got!r}, not {wanted!r}",
                                id="screenplan.E001",
                                hint="Use the shipped database OPTIONS (settings.py).",
                            )
                        )
                cursor.execute("PRAGMA busy_timeout")
                if cursor.fetchone()[0] < 5000:
                    errors.append(Error("SQLite busy_timeout is under 5 s", id="screenplan.E001"))
            elif conn.vendor == "postgresql":
                for name, wanted in POSTGRES_WANTED.items():
                    cursor.execute(f"SHOW {name}")
                    got = cursor.fetchone()[0]
                    if got != wanted:
                        errors.append(
                            Error(
                                f"PostgreSQL {name} is {got!r}, not {wanted!r}",
                                id="screenplan.E002",
                                hint="An acknowledged answer must be on disk: turn it back on.",
                            )
                        )
    return errors
