"""FHIR R4: the questionnaires, and scoring a QuestionnaireResponse from elsewhere."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router

from screenplan import strictjson
from screenplan.audit.requests import client_ip
from screenplan.engine import Content, EngineError, load_content

from .problems import ProblemError
from .respondent import limit
from .schemas import Problem

router = Router(tags=["fhir"])
FHIR_JSON = "application/fhir+json"
# The part of a FHIR R4 QuestionnaireResponse the scorer reads (the rest is allowed and ignored).
ITEM_SCHEMA = {
    "type": "object",
    "required": ["linkId"],
    "properties": {
        "linkId": {"type": "string", "minLength": 1},
        "code": {"type": "array", "items": {"type": "object"}},
        "answer": {"type": "array", "items": {"type": "object"}},
        "item": {"type": "array", "items": {"type": "object"}},
    },
}
QR_SCHEMA = {
    "type": "object",
    "required": ["resourceType", "status"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["QuestionnaireResponse"]},
        "status": {"type": "string", "enum": ["completed", "amended", "in-progress", "stopped"]},
        "item": {"type": "array", "items": ITEM_SCHEMA},
    },
}
SCORE_DESCRIPTION = """\
Scores the answers a QuestionnaireResponse holds, recognised by Screenplan's item ids or by LOINC
(item codes as linkIds, LHC-Forms paths such as `/72110-0/68518-0`, or `item.code`; LOINC answer
codes, the GAD-7 answer code LHC-Forms sends on item 2, or `valueInteger` points).

The answer has `scores`, `auditc` (the AUDIT-C total and `positive` by the cut-off for the
response's `sex`; without `sex`, `positive` is null when the cut-offs disagree and `positive_if`
gives the finding for each sex), `findings`, `undetermined`, `missing` (what a plan still needs),
`safety`, `status`, `answers`, `ignored` (items skipped and why: totals the sender computed, the
AUDIT panel's gender question, US Core's 68517-2) and `plan` (when nothing is missing).

`safety` is the level by the screen's rules (clinical-spec §6) on the answers given:
`{"level", "complete", "answered", "missing", "resources"}`. `level` is `acute`, `non_acute` or
`none` once the answers make it certain (`none` only when every rule is decided); null when
safety questions were answered without deciding it, or when none was answered (`answered` is
then empty: risk was not assessed). `complete` is false while an unanswered question could
still raise it. `resources` is the crisis resources of the requested language (`lang`), the same
list the respondent API gives, whatever the level: the level says how urgent they are.

`status` is `{"value", "final"}`: `completed` and `amended` responses are final; `in-progress`
and `stopped` ones are scored as far as they go, with `final` false. `entered-in-error`, a
missing status and any other value are refused with 422 saying why.
"""


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
    description=SCORE_DESCRIPTION,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {FHIR_JSON: {"schema": QR_SCHEMA}, "application/json": {"schema": QR_SCHEMA}},
        }
    },
)
def score(request: HttpRequest, lang: Literal["en", "es"] = "en") -> dict[str, Any]:
    from screenplan.exports.fhir_import import score_import

    limit(request, f"fhir:{client_ip(request)}")
    content = load_content()
    if request.content_type not in ("application/json", FHIR_JSON):
        raise ProblemError(415, "Unsupported media type", "Send application/fhir+json or application/json.")
    try:
        resource = strictjson.loads(request.body)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise ProblemError(400, "Not valid JSON", str(exc)[:200]) from None
    if not isinstance(resource, dict):
        raise ProblemError(400, "Not a resource", "The body must be a JSON object.")
    try:
        result: dict[str, Any] = score_import(content, resource)
    except EngineError as exc:
        title = "Response not scored" if exc.code == "fhir_status" else "Cannot score this response"
        raise ProblemError(422, title, f"{exc.where}: {exc.message}" if exc.where else exc.message) from None
    result["safety"] = {**result["safety"], "resources": crisis_resources(content, lang)}
    return result


def crisis_resources(content: Content, lang: str) -> list[dict[str, str]]:
    """The crisis resources of text/<lang>.yaml, as the respondent API lists them."""
    texts = content.texts.get(lang, content.texts["en"])
    return [{k: str(r[k]) for k in ("id", "name", "detail", "href")} for r in texts["crisis"]["resources"]]
