"""The respondent's screen over JSON: start, next question, answer, plan, share, delete.

A screen is reached with its private token (`Authorization: Bearer …`), the same token a
private link carries. Safety resources come with the very answer that raised the level.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status
from ninja.security import HttpBearer

from screenplan.assessments.models import Assessment, token_hash
from screenplan.assessments.pages import section_title
from screenplan.audit.requests import client_ip
from screenplan.clinic.handoff import create_share, read_contact, withdraw_share
from screenplan.engine import EngineError, Item, Screen, load_content, safety_rank

from .problems import ProblemError
from .ratelimit import hit
from .schemas import AnswerIn, ContactIn, Problem, Shared, Started, StartIn, Step


class ScreenToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Assessment | None:
        limit(request, f"screen:{token_hash(token)[:32]}")
        return Assessment.objects.filter(token_hash=token_hash(token)).first()


def limit(request: HttpRequest, key: str) -> None:
    wait = hit(key, settings.API_RATE_PER_MINUTE)
    if wait is not None:
        raise ProblemError(429, "Too many requests", f"Slow down: try again in {wait} seconds.", retry_after=wait)


def _screen(request: HttpRequest) -> Assessment:
    screen: Assessment = request.auth  # type: ignore[attr-defined]  # set by ScreenToken
    return screen


router = Router(tags=["respondent"])
auth = ScreenToken()
ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem}


def _question(screen: Screen, item: Item, lang: str) -> dict[str, Any]:
    words = screen.wording(item, lang)
    return {
        "id": item.id,
        "instrument": item.instrument,
        "type": item.type,
        "stem": words.stem,
        "text": words.text,
        "help": words.help,
        "translated": words.translated,
        "options": [{"value": c.value, "label": c.label} for c in screen.choices(item, lang)],
        "min": item.min,
        "max": item.max,
        "answer": screen.answers.get(item.id),
    }


def step(a: Assessment, lang: str, mark_shown: bool = True) -> dict[str, Any]:
    """The next question (or done), progress, and the safety level with crisis resources."""
    content = load_content()
    screen = a.screen()
    level = screen.safety
    changed = safety_rank(content, level) > safety_rank(content, a.safety_shown)
    if changed and mark_shown:  # the client receives the resources in this very response
        a.safety_shown = level
        a.save(update_fields=["safety_shown", "updated_at"])
    texts = content.texts.get(lang, content.texts["en"])
    resources = [
        {"id": r["id"], "name": r["name"], "detail": r["detail"], "href": r["href"]}
        for r in texts["crisis"]["resources"]
    ]
    item = None if a.status == Assessment.Status.COMPLETE else screen.current
    progress = None
    if item is not None:
        p = screen.progress()
        progress = {
            "section": section_title(p.section),
            "number": p.part,
            "count": p.parts,
            "answered": p.answered,
            "fraction": p.fraction,
        }
    plan_questions = [_question(screen, i, lang) for i in screen.after_plan()] if item is None else []
    return {
        "done": item is None,
        "question": None if item is None else _question(screen, item, lang),
        "progress": progress,
        "plan_questions": plan_questions,
        "safety": {"level": level, "changed": changed, "resources": resources},
    }


@router.post(
    "/screens",
    response={201: Started, 400: Problem, 415: Problem, 422: Problem, 429: Problem},
    summary="Start a screen",
    auth=None,
)
def start(request: HttpRequest, payload: StartIn) -> Status[dict[str, Any]]:
    limit(request, f"start:{client_ip(request)}")
    a = Assessment(language=payload.language)
    a.answers = {}
    token = a.new_token()
    a.save()
    return Status(201, {"token": token, "step": step(a, payload.language)})


@router.get("/screen", response={200: Step, **ERRORS}, auth=auth, summary="The next question")
def current(request: HttpRequest, lang: str = "en") -> dict[str, Any]:
    return step(_screen(request), _lang(lang))


@router.put(
    "/screen/answers/{item_id}",
    response={200: Step, **ERRORS},
    auth=auth,
    summary="Answer a question (idempotent by item id)",
)
def answer(request: HttpRequest, item_id: str, payload: AnswerIn, lang: str = "en") -> dict[str, Any]:
    content = load_content()
    item = content.items.get(item_id)
    if item is None:
        raise ProblemError(404, "Unknown question", f"No question has the id {item_id!r}.")
    with transaction.atomic():
        a = Assessment.objects.select_for_update().get(pk=_screen(request).pk)
        screen = a.screen()
        if a.status == Assessment.Status.COMPLETE and item_id not in content.after_plan:
            raise ProblemError(409, "Screen finished", "This screen is finished; its answers cannot change.")
        if not screen.can_open(item_id):
            raise ProblemError(
                409, "Not the current question", f"{item_id} is not asked now; answer the current question first."
            )
        try:
            value = screen.check(item, payload.value)
        except EngineError as exc:
            raise ProblemError(422, "Invalid answer", f"{item_id}: {exc.message}") from None
        a.record(item_id, value)
    return step(a, _lang(lang))


@router.get("/screen/plan", response={200: dict[str, Any], **ERRORS}, auth=auth, summary="The plan JSON")
def plan(request: HttpRequest, lang: str = "en") -> dict[str, Any]:
    a = _screen(request)
    if a.status != Assessment.Status.COMPLETE:
        raise ProblemError(409, "Screen not finished", "Answer the remaining questions first.")
    return a.plan(_lang(lang))


@router.post(
    "/screen/share",
    response={201: Shared, **ERRORS, 415: Problem},
    auth=auth,
    summary="Share the results with the clinic",
)
def share(request: HttpRequest, payload: ContactIn, lang: str = "en") -> Status[dict[str, Any]]:
    a = _screen(request)
    if a.status != Assessment.Status.COMPLETE:
        raise ProblemError(409, "Screen not finished", "Only a finished screen can be shared.")
    fields = {**payload.dict(), "consent": "yes", "leave_message": "yes" if payload.leave_message else ""}
    contact, errors = read_contact(fields)
    if errors:
        raise ProblemError(422, "Invalid contact details", " ".join(str(e) for e in errors.values()))
    create_share(a, contact, _lang(lang))
    return Status(201, {"shared": True})


@router.delete("/screen/share", response={204: None, **ERRORS}, auth=auth, summary="Stop sharing")
def unshare(request: HttpRequest) -> Status[None]:
    withdraw_share(request, _screen(request))
    return Status(204, None)


@router.delete("/screen", response={204: None, **ERRORS}, auth=auth, summary="Delete the screen for good")
def delete(request: HttpRequest) -> Status[None]:
    Assessment.objects.filter(pk=_screen(request).pk).delete()
    return Status(204, None)


def _lang(lang: str) -> str:
    if lang not in ("en", "es"):
        raise ProblemError(400, "Unknown language", "lang must be en or es.")
    return lang
