"""Staff sign-in: password (Argon2), then a TOTP code; lockout after 5 failures per user+IP."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from screenplan.audit.requests import client_ip

from . import totp
from .access import AUTH_AT, SEEN_AT, TWO_FACTOR, audit, two_factor_required
from .models import LoginFailure, StaffProfile

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
PENDING = "staff_pending"


def locked(username: str, ip: str) -> bool:
    since = timezone.now() - WINDOW
    return LoginFailure.objects.filter(username=username, ip=ip, at__gte=since).count() >= MAX_FAILURES


def _fail(request: HttpRequest, username: str, template: str, message: str) -> HttpResponseBase:
    LoginFailure.objects.create(username=username, ip=client_ip(request))
    audit(request, "signin", username, "denied")
    return render(request, template, {"error": message, "username": username}, status=400)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith("/staff/")
    return target if ok else "/staff/"


def _complete(request: HttpRequest, user: User, two_factor: bool, target: str) -> HttpResponseBase:
    login(request, user)  # rotates the session key
    request.session.pop(PENDING, None)
    request.session[AUTH_AT] = request.session[SEEN_AT] = time.time()
    request.session[TWO_FACTOR] = two_factor
    audit(request, "signin", user.get_username(), "allowed")
    return redirect(target)


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponseBase:
    context = {"next": _next(request), "expired": request.session.pop("staff_expired", False)}
    if request.method == "GET":
        return render(request, "clinic/signin.html", context)
    username = request.POST.get("username", "").strip()[:150]
    if locked(username, client_ip(request)):
        audit(request, "signin", username, "denied")
        context["error"] = "Too many failed attempts. Try again in 15 minutes."
        return render(request, "clinic/signin.html", context, status=429)
    user = authenticate(request, username=username, password=request.POST.get("password", ""))
    if user is None or not hasattr(user, "staff"):
        return _fail(request, username, "clinic/signin.html", "Wrong username or password.")
    if not two_factor_required(user):
        return _complete(request, user, two_factor=False, target=_next(request))
    request.session.cycle_key()
    request.session[PENDING] = {"user": user.pk, "at": time.time(), "next": _next(request)}
    return redirect("staff_code")


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > 300:
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).select_related("staff").first()


@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponseBase:
    user = _pending_user(request)
    if user is None:
        return redirect("staff_signin")
    profile: StaffProfile = user.staff
    setup = not profile.totp_confirmed
    if setup and not profile.totp_secret:
        profile.totp_secret = totp.new_secret()
        profile.save(update_fields=["totp_sealed"])
    context: dict[str, Any] = {"setup": setup}
    if setup:
        context["secret"] = profile.totp_secret
        context["uri"] = totp.provisioning_uri(profile.totp_secret or "", user.get_username(), settings.PROGRAM_NAME)
    if request.method == "GET":
        return render(request, "clinic/code.html", context)
    if locked(user.get_username(), client_ip(request)):
        audit(request, "signin", user.get_username(), "denied")
        return render(request, "clinic/code.html", {**context, "error": "Too many failed attempts."}, status=429)
    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
        step = totp.verify(profile.totp_secret or "", request.POST.get("code", ""), time.time(), profile.last_totp_step)
        if step is None:
            return _fail(
                request, user.get_username(), "clinic/code.html", "That code is not right. Try the current one."
            )
        profile.last_totp_step = step
        profile.totp_confirmed = True
        profile.save(update_fields=["last_totp_step", "totp_confirmed"])
    return _complete(request, user, two_factor=True, target=request.session.get(PENDING, {}).get("next", "/staff/"))


@require_POST
def sign_out(request: HttpRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        audit(request, "signout", request.user.get_username(), "allowed")
        logout(request)  # flushes the session on the server
    else:  # never clear a respondent's session from the staff sign-out
        audit(request, "signout", "", "denied")
    return redirect("staff_signin")
