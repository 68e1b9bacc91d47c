"""A fixed-window rate limit kept in the database (shared by every app server)."""

from __future__ import annotations

import time

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import RateCounter


def hit(key: str, limit: int, window_seconds: int = 60) -> int | None:
    """Count one request for `key`; return the seconds to wait when over `limit`, else None."""
    now = time.time()
    window = int(now // window_seconds) * window_seconds
    for _attempt in range(2):
        updated = RateCounter.objects.filter(key=key, window=window).update(count=F("count") + 1)
        if updated:
            break
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, window=window, count=1)
            break
        except IntegrityError:  # another server created it first; count on it
            continue
    count = RateCounter.objects.filter(key=key, window=window).values_list("count", flat=True).first() or 0
    if count > limit:
        return max(1, int(window + window_seconds - now) + 1)
    return None


def forget_old(before_seconds: int = 3600) -> int:
    deleted, _ = RateCounter.objects.filter(window__lt=time.time() - before_seconds).delete()
    return deleted
