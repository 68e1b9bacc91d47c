"""The startup check that refuses a database set up to lose acknowledged answers."""

from __future__ import annotations

import pytest
from django.db import connection

from screenplan.site.checks import durable_database

pytestmark = pytest.mark.django_db


def test_the_shipped_database_settings_pass() -> None:
    assert durable_database(databases=["default"]) == []


def test_a_weaker_sqlite_setting_is_refused() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("this weakens a SQLite pragma; the PostgreSQL run checks fsync instead")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete=OFF")
    try:
        errors = durable_database(databases=["default"])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete=ON")
    assert [e.id for e in errors] == ["screenplan.E001"]
    assert "secure_delete" in errors[0].msg
