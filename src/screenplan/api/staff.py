"""The staff API for the program's own systems: per-client tokens with scopes.

Every call is audited like a staff page view, with the client's name as the actor.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router
from ninja.security import HttpBearer

from screenplan.audit.requests import record
from screenplan.clinic.models import TRANSITIONS, Share, StatusChange

from .models import ApiClient, digest
from .problems import ProblemError
from .ratelimit import hit
from .schemas import CaseDetail, CaseList, Problem, StatusIn


class ClientToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = ApiClient.objects.filter(token_hash=digest(token), active=True).first()
        if client is not None:
            wait = hit(f"client:{client.pk}", settings.API_CLIENT_RATE_PER_MINUTE)
            if wait is not None:
                raise ProblemError(429, "Too many requests", f"Try again in {wait} seconds.", retry_after=wait)
        return client


router = Router(tags=["staff"], auth=ClientToken())
ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}


def _client(request: HttpRequest) -> ApiClient:
    client: ApiClient = request.auth  # type: ignore[attr-defined]  # set by ClientToken
    return client


def _audit(request: HttpRequest, action: str, obj: str, outcome: str) -> None:
    record(f"api:{_client(request).name}", action, obj, outcome)


def _require(request: HttpRequest, scope: str, action: str, obj: str = "") -> None:
    if not _client(request).allows(scope):
        _audit(request, action, obj, "denied")
        raise ProblemError(403, "Missing scope", f"This client lacks the {scope!r} scope.")


def _case(request: HttpRequest, case_id: str, action: str) -> Share:
    public_id = _uuid(case_id)
    share = (
        Share.objects.select_related("assessment", "assignee")
        .filter(public_id=public_id, withdrawn_at__isnull=True)
        .first()
        if public_id
        else None
    )
    if share is None:
        _audit(request, action, case_id[:64], "denied")
        raise ProblemError(404, "No such case", "No shared case has this id.")
    return share


def _uuid(value: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _summary(s: Share) -> dict[str, Any]:
    return {
        "id": str(s.public_id),
        "shared_at": s.shared_at.isoformat(),
        "status": s.status,
        "safety_level": s.safety_level,
        "pathway": s.pathway,
        "urgent": s.urgent,
        "assignee": s.assignee.get_username() if s.assignee else None,
    }


def _detail(request: HttpRequest, share: Share) -> dict[str, Any]:
    """The case with its contact details, plan and answers, for a client that may read cases.

    A client with cases:write alone gets the summary and empty contact, plan and answers: the
    write scope moves a case along the workflow, and a PATCH that changes nothing must not
    become a way to read any case whose id the client knows.
    """
    if not _client(request).allows("cases:read"):
        return {**_summary(share), "contact": {}, "plan": {}, "answers": {}}
    return {**_summary(share), "contact": share.contact, "plan": share.plan, "answers": share.assessment.answers}


@router.get("/cases", response={200: CaseList, **ERRORS}, summary="Shared cases, most urgent first")
def cases(request: HttpRequest, status: str = "", page: int = 1) -> dict[str, Any]:
    _require(request, "cases:read", "api.cases.list")
    shares = Share.objects.in_queue().select_related("assignee")
    if status:
        shares = shares.filter(status=status)
    paginator = Paginator(shares, 50)
    if page < 1 or page > max(1, paginator.num_pages):
        raise ProblemError(404, "No such page", f"page must be between 1 and {max(1, paginator.num_pages)}.")
    current = paginator.page(page)
    _audit(request, "api.cases.list", "", "allowed")
    return {
        "count": paginator.count,
        "page": page,
        "pages": paginator.num_pages,
        "cases": [_summary(s) for s in current.object_list],
    }


@router.get("/cases/{case_id}", response={200: CaseDetail, **ERRORS}, summary="One case with answers and plan")
def case(request: HttpRequest, case_id: str) -> dict[str, Any]:
    _require(request, "cases:read", "api.case.view", case_id[:64])
    share = _case(request, case_id, "api.case.view")
    _audit(request, "api.case.view", str(share.public_id), "allowed")
    return _detail(request, share)


@router.patch("/cases/{case_id}", response={200: CaseDetail, 409: Problem, **ERRORS}, summary="Change a case's status")
def update(request: HttpRequest, case_id: str, payload: StatusIn) -> dict[str, Any]:
    _require(request, "cases:write", "api.case.status", case_id[:64])
    with transaction.atomic():
        share = _case(request, case_id, "api.case.status")
        share = Share.objects.select_for_update().get(pk=share.pk)
        if payload.status != share.status:
            if payload.status not in TRANSITIONS[share.status]:
                _audit(request, "api.case.status", str(share.public_id), "denied")
                raise ProblemError(409, "Not allowed", f"A {share.status} case cannot become {payload.status}.")
            StatusChange.objects.create(share=share, actor=None, field="status", old=share.status, new=payload.status)
            share.status = payload.status
            share.status_changed_at = timezone.now()
            share.save(update_fields=["status", "status_changed_at"])
    _audit(request, "api.case.status", str(share.public_id), "allowed")
    return _detail(request, share)


@router.get("/cases/{case_id}/fhir", response={200: dict[str, Any], **ERRORS}, summary="The case as a FHIR Bundle")
def case_fhir(request: HttpRequest, case_id: str) -> HttpResponse:
    _require(request, "cases:read", "api.case.fhir", case_id[:64])
    share = _case(request, case_id, "api.case.fhir")
    from screenplan.exports.fhir import render as fhir_render

    bundle = fhir_render(
        {
            "answers": share.assessment.answers,
            "plan": share.plan,
            "id": str(share.public_id),
            "timestamp": share.shared_at.isoformat(),
            "lang": share.assessment.language,  # the language it was answered (and the plan made) in
        }
    )
    _audit(request, "api.case.fhir", str(share.public_id), "allowed")
    import json

    return HttpResponse(json.dumps(bundle), content_type="application/fhir+json")
