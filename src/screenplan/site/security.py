"""Headers on every response, a friendly 503 when the database is down, and log redaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.template.loader import render_to_string

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


class SecurityHeadersMiddleware:
    """CSP without inline script, no caching of anything personal, no referrer, no framing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


class DatabaseUnavailableMiddleware:
    """A database outage becomes a 503 with Retry-After and a calm page, never a traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError, DatabaseError)):
            return None
        logging.getLogger("screenplan").warning("database unavailable: %s", type(exception).__name__)
        body = render_to_string("assessments/unavailable.html", request=request)
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "10"
        return response


TOKEN_PATH = re.compile(r"/r/[A-Za-z0-9_\-]+")


class RedactTokens(logging.Filter):
    """Private resume links never reach a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = TOKEN_PATH.sub("/r/[redacted]", record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(TOKEN_PATH.sub("/r/[redacted]", a) if isinstance(a, str) else a for a in args)
        if hasattr(record, "request"):
            record.request = None
        return True


class CsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF protection, made to work with `Referrer-Policy: no-referrer`.

    Under that policy browsers send `Origin: null` on same-site form posts, which Django
    rejects. A `null` origin is accepted only when the browser itself says the request came
    from this site (`Sec-Fetch-Site: same-origin`, sent by every current browser); the CSRF
    token in the session is still required, and the session cookie is SameSite=Lax.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        return bool(super()._origin_verified(request))
