"""Who may open which staff page, and sign-in session limits.

Every request to a staff route writes exactly one audit row (actor, action, object,
outcome, time, request id; screenplan.audit), whether it was allowed or denied.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from screenplan.audit.requests import record

from .models import Role

IDLE_SECONDS = 15 * 60
ABSOLUTE_SECONDS = 8 * 60 * 60
AUTH_AT = "staff_auth_at"
SEEN_AT = "staff_seen_at"
TWO_FACTOR = "staff_2fa"

View = Callable[..., HttpResponseBase]


class StaffSessionMiddleware:
    """Staff sessions end after 15 minutes idle or 8 hours in all, on every app server.

    It also writes the audit row for a staff request that no view audited itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            auth_at = request.session.get(AUTH_AT, 0)
            seen_at = request.session.get(SEEN_AT, 0)
            if now - auth_at > ABSOLUTE_SECONDS or now - seen_at > IDLE_SECONDS:
                logout(request)
                request.session["staff_expired"] = True
            else:
                request.session[SEEN_AT] = now
        response = self.get_response(request)
        if request.path.startswith(reverse("staff_queue")) and not getattr(request, "audited", False):
            # Staff routes outside staff_view (signing in and out, unknown paths): one row each too.
            match = request.resolver_match
            action = (getattr(match.func, "staff_action", None) or match.url_name) if match else None
            obj = str(match.kwargs.get("public_id", "")) if match else ""
            audit(request, action or "unknown", obj, "allowed" if response.status_code < 400 else "denied")
        return response


def staff_user(request: HttpRequest) -> User:
    """The signed-in staff member of a request that staff_view let through."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("staff only")
    return user


def two_factor_required(user: Any) -> bool:
    profile = getattr(user, "staff", None)
    return bool(settings.REQUIRE_TOTP or (profile is not None and profile.totp_confirmed))


def audit(request: HttpRequest, action: str, obj: str, outcome: str) -> None:
    user = getattr(request, "user", None)
    actor = user.get_username() if user is not None and user.is_authenticated else "anonymous"
    record(actor, action, obj, outcome)
    request.audited = True  # type: ignore[attr-defined]


def staff_view(action: str, roles: tuple[str, ...]) -> Callable[[View], View]:
    """Allow signed-in, active staff with one of `roles`; audit the access either way.

    Anonymous visitors are sent to sign in; staff without the role get 403. A view may
    return 404 for a case that does not exist, which is audited as denied.
    """

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            obj = str(kwargs.get("public_id", ""))
            user = request.user
            if not user.is_authenticated or (two_factor_required(user) and not request.session.get(TWO_FACTOR)):
                audit(request, action, obj, "denied")
                return redirect(f"{settings.LOGIN_URL}?next={request.path}")
            profile = getattr(user, "staff", None)
            if profile is None or profile.role not in roles:
                audit(request, action, obj, "denied")
                return render(request, "clinic/denied.html", status=403)
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                audit(request, action, obj, "denied")
                raise
            audit(request, action, obj, "allowed" if response.status_code < 400 else "denied")
            return response

        inner.staff_roles = roles  # type: ignore[attr-defined]
        inner.staff_action = action  # type: ignore[attr-defined]
        return inner

    return wrap


CLINICAL = (Role.CLINICIAN,)
CASE_READERS = (Role.CLINICIAN, Role.RECEPTION)
ADMINS = (Role.ADMIN,)
ALL_STAFF = (Role.CLINICIAN, Role.RECEPTION, Role.ADMIN)
