"""Staff pages: the triage queue, the case view with notes and status, stats, audit, users."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from screenplan.audit.models import AuditEvent
from screenplan.engine import load_content

from .access import ADMINS, CASE_READERS, CLINICAL, staff_user, staff_view
from .models import PATHWAY_ORDER, TRANSITIONS, Note, Role, Share, Status, StatusChange
from .stats import weekly_counts

PAGE_SIZE = 25
FILTERS = ("status", "pathway", "safety", "assignee")


def _filtered(request: HttpRequest) -> tuple[QuerySet[Share], dict[str, str]]:
    chosen = {k: request.GET.get(k, "") for k in FILTERS}
    if staff_user(request).staff.role != Role.CLINICIAN:
        chosen["pathway"] = ""  # reception sees no pathways, so may not filter by them either
    shares = Share.objects.in_queue()
    if chosen["status"] == "open" or not chosen["status"]:
        shares = shares.exclude(status__in=(Status.CLOSED, Status.ENROLLED, Status.REFERRED))
    elif chosen["status"] != "all":
        shares = shares.filter(status=chosen["status"])
    if chosen["pathway"]:
        shares = shares.filter(pathway=chosen["pathway"])
    if chosen["safety"]:
        shares = shares.filter(safety_level=chosen["safety"])
    if chosen["assignee"] == "none":
        shares = shares.filter(assignee__isnull=True)
    elif chosen["assignee"] == "me":
        shares = shares.filter(assignee=staff_user(request))
    elif chosen["assignee"].isdigit():
        shares = shares.filter(assignee_id=int(chosen["assignee"]))
    return shares, chosen


@staff_view("queue.view", CASE_READERS)
@require_GET
def queue(request: HttpRequest) -> HttpResponseBase:
    shares, chosen = _filtered(request)
    page = Paginator(shares.select_related("assignee"), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = Share.objects.filter(withdrawn_at__isnull=True).aggregate(
        new=Count("id", filter=Q(status=Status.NEW)),
        urgent_open=Count(
            "id", filter=Q(urgency__lt=2) & ~Q(status__in=(Status.CLOSED, Status.ENROLLED, Status.REFERRED))
        ),
        open=Count("id", filter=~Q(status__in=(Status.CLOSED, Status.ENROLLED, Status.REFERRED))),
        all=Count("id"),
    )
    clinician = staff_user(request).staff.role == Role.CLINICIAN
    rows = [{"share": s, "contact": s.contact} for s in page.object_list]
    query = urlencode({k: v for k, v in chosen.items() if v})
    return render(
        request,
        "clinic/queue.html",
        {
            "page": page,
            "rows": rows,
            "chosen": chosen,
            "counts": counts,
            "clinician": clinician,
            "statuses": Status.choices,
            "pathways": PATHWAY_ORDER,
            "query": query,
            "clinicians": User.objects.filter(staff__role=Role.CLINICIAN, is_active=True).order_by("username"),
        },
    )


def _case_context(request: HttpRequest, share: Share) -> dict[str, Any]:
    clinician = staff_user(request).staff.role == Role.CLINICIAN
    context: dict[str, Any] = {
        "share": share,
        "contact": share.contact,
        "clinician": clinician,
        "next_statuses": TRANSITIONS[share.status],
        "changes": share.changes.select_related("actor").order_by("at", "id"),
    }
    if clinician:
        content = load_content()
        plan = share.plan
        answers = share.assessment.answers
        rules = {r.id: r for r in content.rules()}
        context.update(
            {
                "plan": plan,
                "answers": [
                    {
                        "id": item_id,
                        "instrument": item.instrument,
                        "stem": item.stem,
                        "text": item.text,
                        "value": answers[item_id],
                        "label": _label(item, answers[item_id]),
                    }
                    for item_id, item in content.items.items()
                    if item_id in answers
                ],
                "fired": [
                    {"id": rid, "rationale": rules[rid].rationale if rid in rules else ""}
                    for rid in plan.get("rules_fired", [])
                ],
                "contraindications": [
                    {
                        **ci,
                        "rationale": next(
                            (
                                r.rationale
                                for r in content.contraindications
                                if r.data["id"] == ci["id"] and r.data["medicine"] == ci["medicine"]
                            ),
                            "",
                        ),
                    }
                    for ci in plan.get("contraindications", [])
                ],
                "notes": share.notes.select_related("author").order_by("created_at", "id"),
                "clinicians": User.objects.filter(staff__role=Role.CLINICIAN, is_active=True).order_by("username"),
            }
        )
    return context


def _label(item: Any, value: Any) -> str:
    if item.type == "integer":
        return str(value)
    values = value if isinstance(value, list) else [value]
    return "; ".join(o.label for o in item.options if o.value in values)


def _share(public_id: str) -> Share:
    return get_object_or_404(
        Share.objects.select_related("assessment", "assignee"), public_id=public_id, withdrawn_at__isnull=True
    )


@staff_view("case.view", CASE_READERS)
@require_GET
def case(request: HttpRequest, public_id: str) -> HttpResponseBase:
    return render(request, "clinic/case.html", _case_context(request, _share(public_id)))


@staff_view("case.note", CLINICAL)
@require_POST
def add_note(request: HttpRequest, public_id: str) -> HttpResponseBase:
    share = _share(public_id)
    body = request.POST.get("body", "").strip()
    if not body or len(body) > 5000:
        context = {**_case_context(request, share), "note_error": "Write a note of 1 to 5,000 characters."}
        return render(request, "clinic/case.html", context, status=400)
    note = Note(share=share, author=staff_user(request))
    note.body = body
    note.save()
    return redirect("staff_case", public_id=share.public_id)


@staff_view("case.status", CASE_READERS)
@require_POST
def change_status(request: HttpRequest, public_id: str) -> HttpResponseBase:
    with transaction.atomic():
        share = get_object_or_404(Share.objects.select_for_update(), public_id=public_id, withdrawn_at__isnull=True)
        new = request.POST.get("status", "")
        if new not in TRANSITIONS[share.status]:
            context = {
                **_case_context(request, share),
                "status_error": f"A case that is {share.status} cannot become {new or 'that'}.",
            }
            return render(request, "clinic/case.html", context, status=400)
        StatusChange.objects.create(share=share, actor=staff_user(request), field="status", old=share.status, new=new)
        share.status = new
        share.status_changed_at = timezone.now()
        share.save(update_fields=["status", "status_changed_at"])
    return redirect("staff_case", public_id=share.public_id)


@staff_view("case.assign", CLINICAL)
@require_POST
def assign(request: HttpRequest, public_id: str) -> HttpResponseBase:
    with transaction.atomic():
        share = get_object_or_404(Share.objects.select_for_update(), public_id=public_id, withdrawn_at__isnull=True)
        raw = request.POST.get("assignee", "")
        assignee = None
        if raw:
            assignee = User.objects.filter(
                pk=int(raw) if raw.isdigit() else -1, staff__role=Role.CLINICIAN, is_active=True
            ).first()
            if assignee is None:
                context = {**_case_context(request, share), "assign_error": "Choose an active clinician."}
                return render(request, "clinic/case.html", context, status=400)
        old = share.assignee.get_username() if share.assignee else ""
        StatusChange.objects.create(
            share=share,
            actor=staff_user(request),
            field="assignee",
            old=old,
            new=assignee.get_username() if assignee else "",
        )
        share.assignee = assignee
        share.save(update_fields=["assignee"])
    return redirect("staff_case", public_id=share.public_id)


@staff_view("stats.view", (Role.CLINICIAN, Role.ADMIN))
@require_GET
def stats(request: HttpRequest) -> HttpResponseBase:
    return render(request, "clinic/stats.html", weekly_counts(weeks=12))


@staff_view("audit.view", ADMINS)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponseBase:
    page = Paginator(AuditEvent.objects.order_by("-at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "clinic/audit.html", {"page": page})


@staff_view("users.view", ADMINS)
@require_GET
def users(request: HttpRequest) -> HttpResponseBase:
    staff = User.objects.filter(staff__isnull=False).select_related("staff").order_by("username")
    return render(request, "clinic/users.html", {"staff": staff})


@staff_view("users.deactivate", ADMINS)
@require_POST
def deactivate(request: HttpRequest, user_id: int) -> HttpResponseBase:
    user = get_object_or_404(User, pk=user_id, staff__isnull=False)
    if user == request.user:
        return render(
            request,
            "clinic/users.html",
            {
                "error": "You cannot deactivate yourself.",
                "staff": User.objects.filter(staff__isnull=False).select_related("staff"),
            },
            status=400,
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    return redirect("staff_users")


@staff_view("case.fhir", CLINICAL)
@require_GET
def case_fhir(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """The case as a FHIR R4 Bundle (QuestionnaireResponse, Observations, CarePlan)."""
    from screenplan.exports.fhir import render as fhir_render

    share = _share(public_id)
    bundle = fhir_render(
        {
            "answers": share.assessment.answers,
            "plan": share.plan,
            "id": str(share.public_id),
            "timestamp": share.shared_at.isoformat(),
            "lang": share.assessment.language,  # the language it was answered (and the plan made) in
        }
    )
    response = HttpResponse(json.dumps(bundle, indent=1), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="screenplan-case-{share.public_id}.json"'
    return response


@staff_view("cases.export", CLINICAL)
@require_GET
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """Every shared case as CSV, streamed (columns documented in docs/csv-export.md)."""
    from screenplan.exports.csv import render as csv_render

    shares = Share.objects.in_queue().select_related("assignee").iterator(chunk_size=200)
    response = StreamingHttpResponse(csv_render(shares), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="screenplan-cases.csv"'
    return response
