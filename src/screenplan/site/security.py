"""Headers on every response, a friendly 503 when the database is down, and log redaction."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.template.base import VariableDoesNotExist
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


def database_error(exception: BaseException | None) -> bool:
    """A database error, or an error raised while handling a lost connection (the session store
    turns one into SessionInterrupted, a 400). Off under the test-only UNSAFE_DB_ERRORS_AS_500."""
    if exception is None or settings.UNSAFE_DB_ERRORS_AS_500:
        return False
    if isinstance(exception, (OperationalError, InterfaceError, DatabaseError)):
        return True
    cause = exception.__cause__ or exception.__context__
    for _ in range(10):
        if cause is None:
            return False
        if isinstance(cause, (OperationalError, InterfaceError)):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def unavailable(request: HttpRequest, exception: BaseException) -> HttpResponse:
    logging.getLogger("screenplan").warning("database unavailable: %s", type(exception).__name__)
    body = render_to_string("assessments/unavailable.html", request=request)
    response = HttpResponse(body, status=503)
    response["Retry-After"] = "10"
    return response


class DatabaseUnavailableMiddleware:
    """A database outage becomes a 503 with Retry-After and a calm page, never a traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable(request, exception) if database_error(exception) else None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database error raised outside a view (a middleware loading the session or
    the CSRF secret, the session saved after the view) reaches Django's last-resort handler, not
    process_exception; it is the same 503 page. Anything else is the usual 500 page."""
    exception = sys.exc_info()[1]  # Django calls the handler while handling the exception
    if exception is not None and database_error(exception):
        return unavailable(request, exception)
    from screenplan.assessments.views import server_error as page

    return page(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400. The session store turns a database error while saving into SessionInterrupted
    (a 400): that is the 503 page too. Anything else is the usual 400 page."""
    if exception is not None and database_error(exception):
        return unavailable(request, exception)
    from screenplan.assessments.views import bad_request as page

    return page(request, exception)


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


class DropTemplateContext(logging.Filter):
    """A missing template variable never writes the page's data into a log line.

    django.template logs it at DEBUG with the exception attached, and that exception's text is
    the whole template context: contact details, a TOTP secret being set up, CSRF tokens. The
    message (which variable, which template) is kept; the exception is dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], VariableDoesNotExist):
            record.exc_info = None
            record.exc_text = None
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
        return bool(super()._origin_verified(request))  # type: ignore[misc]  # Django's own, not in the stubs
