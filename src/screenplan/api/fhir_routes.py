"""FHIR R4: the questionnaires, and scoring a QuestionnaireResponse from elsewhere."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from screenplan import strictjson
from screenplan.audit.requests import client_ip
from screenplan.engine import EngineError, load_content

from .problems import ProblemError
from .respondent import limit
from .schemas import Problem

router = Router(tags=["fhir"])
FHIR_JSON = "application/fhir+json"
# The part of a FHIR R4 QuestionnaireResponse the scorer reads (the rest is allowed and ignored).
QR_SCHEMA = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["QuestionnaireResponse"]},
        "item": {
            "type": "array",
            "items": {"type": "object", "required": ["linkId"], "properties": {"linkId": {"type": "string"}}},
        },
    },
}


@router.get(
    "/Questionnaire/{questionnaire_id}",
    response={200: dict[str, Any], 404: Problem, 429: Problem},
    summary="A Questionnaire for one instrument, or 'battery' for the whole screen",
)
def questionnaire(request: HttpRequest, questionnaire_id: str) -> HttpResponse:
    from screenplan.exports.fhir import questionnaire as build

    content = load_content()
    ids = [i.id for i in content.instruments]
    if questionnaire_id != "battery" and questionnaire_id not in ids:
        raise ProblemError(404, "No such questionnaire", f"Use one of: battery, {', '.join(ids)}.")
    return HttpResponse(
        json.dumps(build(content, None if questionnaire_id == "battery" else questionnaire_id)), content_type=FHIR_JSON
    )


@router.post(
    "/QuestionnaireResponse/$score",
    response={200: dict[str, Any], 400: Problem, 415: Problem, 422: Problem, 429: Problem},
    summary="Score a QuestionnaireResponse (PHQ-9, GAD-7, AUDIT-C or AUDIT; by LOINC code or item id)",
)
def score(request: HttpRequest) -> dict[str, Any]:
    from screenplan.exports.fhir_import import score_import

    limit(request, f"fhir:{client_ip(request)}")
    if request.content_type not in ("application/json", FHIR_JSON):
        raise ProblemError(415, "Unsupported media type", "Send application/fhir+json or application/json.")
    try:
        resource = strictjson.loads(request.body)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise ProblemError(400, "Not valid JSON", str(exc)[:200]) from None
    if not isinstance(resource, dict):
        raise ProblemError(400, "Not a resource", "The body must be a JSON object.")
    try:
        result: dict[str, Any] = score_import(load_content(), resource)
    except EngineError as exc:
        raise ProblemError(
            422, "Cannot score this response", f"{exc.where}: {exc.message}" if exc.where else exc.message
        ) from None
    return result
