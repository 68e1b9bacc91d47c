"""Database sessions whose read, made on every request, is one parameterized query.

Sessions stay in the database (logout and deletion end them on every server at once); only
the read differs from Django's own store: the ORM builds a full model query each time, and
on the respondent's flow that was a tenth of a request's CPU. Writes, expiry and deletion
are Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        key = self.session_key
        if not key or not self._validate_session_key(key):  # type: ignore[attr-defined]  # SessionBase's, unstubbed
            self._session_key = None
            return {}
        connection = connections[router.db_for_read(self.model)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())  # the column's stored form
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s",
                [key, now],
            )
            row = cursor.fetchone()
        if row is None:  # unknown or expired: a new session key will be made, as Django's store does
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        return data
