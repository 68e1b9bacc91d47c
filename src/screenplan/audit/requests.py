"""Request ids, the client's address, and writing an audit row."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from .models import AuditEvent

# The id of the request being handled, for audit rows written away from the view (a signal).
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class RequestIdMiddleware:
    """A random id per request, returned as X-Request-ID and kept in audit rows."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        reset = REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            REQUEST_ID.reset(reset)
        response["X-Request-ID"] = request_id
        return response


def record(actor: str, action: str, obj: str, outcome: str) -> AuditEvent:
    """Append one audit row for the request being handled."""
    return AuditEvent.objects.create(
        actor=actor[:150],
        action=action,
        object=obj[:64],  # a name typed at sign-in may be 150 long; PostgreSQL refuses more than the column
        outcome=outcome,
        request_id=REQUEST_ID.get(),
    )


def client_ip(request: HttpRequest) -> str:
    if settings.SECURE_PROXY_SSL_HEADER:  # behind our own reverse proxy: its last hop is trusted
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded.split(",")[-1].strip())
    return str(request.META.get("REMOTE_ADDR", ""))
