"""The hand-off: a person shares their results with the clinic, by explicit consent, and may
withdraw that consent. The clinic owns it; the respondent's pages only link to it."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from screenplan.assessments.models import Assessment
from screenplan.assessments.views import current, next_step
from screenplan.audit.requests import record

from .models import Share

PHONE = re.compile(r"^[0-9+()\-. ]{7,24}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


def read_contact(post: Any) -> tuple[dict[str, Any], dict[str, str]]:
    contact = {
        "name": post.get("name", "").strip()[:100],
        "phone": post.get("phone", "").strip(),
        "email": post.get("email", "").strip(),
        "best_time": post.get("best_time", "").strip()[:100],
        "leave_message": post.get("leave_message") == "yes",
    }
    errors: dict[str, str] = {}
    if post.get("consent") != "yes":
        errors["consent"] = _("Please tick the box to agree to share.")
    if not contact["phone"] and not contact["email"]:
        errors["phone"] = _("Please give a phone number or an e-mail address so the clinic can reach you.")
    if contact["phone"] and not PHONE.match(contact["phone"]):
        errors["phone"] = _("Please check the phone number: digits, spaces and + ( ) - only.")
    if contact["email"] and not EMAIL.match(contact["email"]):
        errors["email"] = _("Please check the e-mail address.")
    return contact, errors


def create_share(a: Assessment, contact: dict[str, Any], lang: str) -> Share:
    """Hand the finished screen to the clinic, with the plan as the person sees it now."""
    with transaction.atomic():
        existing = Share.objects.select_for_update().filter(assessment=a, withdrawn_at__isnull=True).first()
        if existing is not None:  # sharing twice changes nothing
            return existing
        Share.objects.filter(assessment=a).delete()  # an earlier, withdrawn share leaves nothing behind
        item = Share(assessment=a)
        item.set_decisions(a.plan(lang))
        item.contact = contact
        item.save()
    if item.urgent and settings.ONCALL_EMAIL:
        link = f"{settings.SITE_URL.rstrip('/')}/staff/case/{item.public_id}/"
        # No personal data in the e-mail: only that an urgent case is waiting, and where.
        send_mail(
            f"[{settings.PROGRAM_NAME}] Urgent shared screen waiting",
            f"A screen with safety level '{item.safety_level}' was shared and is waiting in the queue:\n{link}\n",
            settings.DEFAULT_FROM_EMAIL,
            [settings.ONCALL_EMAIL],
            fail_silently=True,
        )
    return item


def withdraw_share(request: HttpRequest, a: Assessment) -> None:
    """Stop sharing: the contact details, plan copy and notes are wiped; the fact stays."""
    with transaction.atomic():
        item = Share.objects.select_for_update().filter(assessment=a, withdrawn_at__isnull=True).first()
        if item is None:
            return
        item.withdrawn_at = timezone.now()
        item.contact_sealed = b""
        item.plan_sealed = b""
        item.save(update_fields=["withdrawn_at", "contact_sealed", "plan_sealed"])
        item.notes.all().delete()
        record("respondent", "share.withdraw", str(item.public_id), "allowed")


@require_http_methods(["GET", "POST"])
def share(request: HttpRequest) -> HttpResponseBase:
    a = current(request)
    if a is None:
        return redirect("landing")
    if next_step(a) != reverse("results"):
        return redirect(next_step(a))
    existing = Share.objects.filter(assessment=a, withdrawn_at__isnull=True).first()
    if request.method == "GET":
        return render(request, "clinic/share.html", {"shared": existing})
    if existing is not None:  # a second submit of the same form changes nothing
        return render(request, "clinic/share.html", {"shared": existing, "done": True})
    contact, errors = read_contact(request.POST)
    if errors:
        return render(request, "clinic/share.html", {"errors": errors, "contact": contact}, status=400)
    item = create_share(a, contact, get_language() or "en")
    return render(request, "clinic/share.html", {"shared": item, "done": True})


@require_POST
def withdraw(request: HttpRequest) -> HttpResponseBase:
    a = current(request)
    if a is None:
        return redirect("landing")
    withdraw_share(request, a)
    return render(request, "clinic/share.html", {"withdrawn": True})


def audit_deletion(sender: type[Assessment], instance: Assessment, **kwargs: object) -> None:
    """pre_delete of a screen, however it is deleted (its page, the API): the audit log keeps
    that a shared screen was deleted, never what it held."""
    share = Share.objects.filter(assessment_id=instance.pk).only("public_id").first()
    if share is not None:
        record("respondent", "share.deleted", str(share.public_id), "allowed")
