"""The respondent's pages: landing, consent, one question per screen, crisis, results, plan.

The session holds only which screen is the person's; answers live in the database, sealed.
Every step is saved on the server; a replayed form never stores twice.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from screenplan.engine import load_content, safety_rank

from .answers import AnswerError, read_answer
from .models import Assessment
from .pages import question_context, results_context

SESSION_KEY = "assessment"


def current(request: HttpRequest) -> Assessment | None:
    public_id = request.session.get(SESSION_KEY)
    if not public_id:
        return None
    return Assessment.objects.filter(public_id=public_id).first()


def problem(request: HttpRequest, status: int, message: str | Promise) -> HttpResponse:
    return render(request, "assessments/problem.html", {"message": message}, status=status)


_PATHS: dict[tuple[str, str], str] = {}


def path_of(name: str) -> str:
    """reverse() for the few argument-free respondent pages, kept per language (asked on every step)."""
    key = (name, get_language() or "")
    found = _PATHS.get(key)
    if found is None:
        found = _PATHS[key] = reverse(name)
    return found


def next_step(a: Assessment) -> str:
    """Crisis resources come before anything else once a risk answer raises the level."""
    content = load_content()
    if safety_rank(content, a.screen().safety) > safety_rank(content, a.safety_shown):
        return path_of("crisis")
    if a.status == Assessment.Status.COMPLETE:
        return path_of("results")
    return path_of("screen")


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "assessments/landing.html", {"resume": current(request) is not None})


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponseBase:
    if request.method == "GET":
        return render(request, "assessments/consent.html")
    if request.POST.get("consent") != "yes":
        return render(request, "assessments/consent.html", {"error": _("Please confirm to start.")}, status=400)
    # One transaction: the new screen, the new session key and the old key's deletion commit
    # together, so a database that fails half-way leaves the old session (and its CSRF secret)
    # in place and pressing Start again works.
    with transaction.atomic():
        a = Assessment(language=get_language() or "en")
        a.answers = {}
        a.save()
        request.session.cycle_key()
        request.session[SESSION_KEY] = str(a.public_id)
        request.session.save()
    return redirect("screen")


@require_http_methods(["GET", "POST"])
def screen(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        return _answer(request)
    a = current(request)
    if a is None:
        return redirect("landing")
    content = load_content()
    screen_ = a.screen()
    item_id = request.GET.get("item")
    step = next_step(a)
    plan_page = item_id in content.after_plan and step == path_of("results")
    if step != path_of("screen") and not plan_page:
        return redirect(step)  # crisis resources first, or the results of a finished screen
    if item_id:
        # Back links reach answered questions and the current one, never a future one.
        if not screen_.can_open(item_id):
            return problem(request, 404, _("That question is not available. Continue with the current question."))
        item = content.items[item_id]
    elif screen_.current is None:
        return redirect("results")
    else:
        item = screen_.current
    return render(
        request, "assessments/question.html", question_context(screen_, a, item, screen_.answers.get(item.id))
    )


FINISHED = gettext_lazy("This screen is finished, so its answers can no longer be changed.")
NOT_CURRENT = gettext_lazy("That question is not the current one. Please continue from where you are.")


def _answer(request: HttpRequest) -> HttpResponseBase:
    public_id = request.session.get(SESSION_KEY)
    if not public_id:
        return redirect("landing")
    if settings.UNSAFE_ACK_BEFORE_COMMIT:
        return _unsafe_ack_before_commit(request, public_id)
    return _store(request, public_id)


def _store(request: HttpRequest, public_id: str) -> HttpResponseBase:
    content = load_content()
    item_id = request.POST.get("item", "")
    item = content.items.get(item_id)
    if item is None:
        return problem(request, 400, _("That question does not exist."))
    with transaction.atomic():
        # Read under the row lock (one query): the answer is checked against what is stored now.
        a = Assessment.objects.select_for_update().filter(public_id=public_id).first()
        if a is None:
            return redirect("landing")
        screen_ = a.screen()
        if a.status == Assessment.Status.COMPLETE and item_id not in content.after_plan:
            return problem(request, 409, FINISHED)
        if not screen_.can_open(item_id):
            return problem(request, 409, NOT_CURRENT)
        try:
            value = read_answer(screen_, item, request.POST)
        except AnswerError as exc:
            context = question_context(screen_, a, item, None, error=str(exc))
            return render(request, "assessments/question.html", context, status=400)
        rev = request.POST.get("rev", "")
        outcome = a.record(item_id, value, int(rev) if rev.isascii() and rev.isdigit() and len(rev) < 10 else -1)
        if outcome == "stale":
            return problem(
                request,
                409,
                _("This page was out of date, so nothing was changed. Please check the answer and try again."),
            )
    if item_id in content.after_plan:  # the plan page's questions, one after the other, then the plan
        later = [i.id for i in a.screen().after_plan() if i.id not in a.screen().answers]
        return redirect(f"{path_of('screen')}?item={later[0]}" if later else path_of("plan") + "#first-steps")
    return redirect(next_step(a))


def _unsafe_ack_before_commit(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """TEST-ONLY (SCREENPLAN_UNSAFE_ACK_BEFORE_COMMIT; refused in production): the broken variant
    that proof/crash.py must catch. The redirect goes out first and the answer is written a
    moment later in a background thread, so a crash in between loses an acknowledged answer."""

    def write_later() -> None:
        try:
            _store(request, public_id)
        finally:
            connection.close()

    timer = threading.Timer(0.25, write_later)
    timer.daemon = True
    timer.start()
    return redirect("screen")


@require_http_methods(["GET", "POST"])
def crisis(request: HttpRequest) -> HttpResponseBase:
    a = current(request)
    if a is None:
        return redirect("landing")
    content = load_content()
    level = a.screen().safety
    if request.method == "POST":
        with transaction.atomic():
            a = Assessment.objects.select_for_update().get(pk=a.pk)
            if level == "acute" and request.POST.get("safe") != "yes":
                return render(request, "assessments/crisis.html", {"level": level, "error": True}, status=400)
            a.safety_shown = max(level, a.safety_shown, key=lambda lv: safety_rank(content, lv))
            a.acute_confirmed = a.acute_confirmed or level == "acute"
            a.save(update_fields=["safety_shown", "acute_confirmed", "updated_at"])
        return redirect(next_step(a))
    return render(request, "assessments/crisis.html", {"level": level})


def _finished(request: HttpRequest) -> Assessment | HttpResponseBase:
    a = current(request)
    if a is None:
        return redirect("landing")
    step = next_step(a)
    if step != path_of("results"):
        return redirect(step)
    return a


@require_GET
def results(request: HttpRequest) -> HttpResponseBase:
    a = _finished(request)
    if not isinstance(a, Assessment):
        return a
    return render(request, "assessments/results.html", results_context(a, get_language() or "en"))


@require_GET
def plan(request: HttpRequest) -> HttpResponseBase:
    a = _finished(request)
    if not isinstance(a, Assessment):
        return a
    return render(request, "assessments/plan.html", results_context(a, get_language() or "en"))


@require_GET
def plan_pdf(request: HttpRequest) -> HttpResponseBase:
    a = _finished(request)
    if not isinstance(a, Assessment):
        return a
    from screenplan.exports.pdf import render as render_pdf

    lang = get_language() or "en"
    body = render_pdf(a.plan(lang), lang, program_name=settings.PROGRAM_NAME)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="screenplan-plan.pdf"'
    return response


@require_POST
def private_link(request: HttpRequest) -> HttpResponseBase:
    a = current(request)
    if a is None:
        return redirect("landing")
    with transaction.atomic():
        a = Assessment.objects.select_for_update().get(pk=a.pk)
        token = a.new_token()
        a.save(update_fields=["token_hash", "updated_at"])
    link = request.build_absolute_uri(reverse("resume", args=[token]))
    return render(request, "assessments/link.html", {"link": link, "back": next_step(a)})


@require_GET
def resume(request: HttpRequest, token: str) -> HttpResponseBase:
    from .models import token_hash

    a = Assessment.objects.filter(token_hash=token_hash(token)).first()
    if a is None or not a.token_matches(token):
        return problem(
            request,
            404,
            _("This link does not work. It may have been replaced by a newer link, or the answers were deleted."),
        )
    request.session.cycle_key()
    request.session[SESSION_KEY] = str(a.public_id)
    return redirect(next_step(a))  # the token leaves the address bar at once


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponseBase:
    a = current(request)
    if request.method == "GET":
        return render(request, "assessments/delete.html", {"has_data": a is not None})
    if a is not None:
        a.delete()  # a shared screen's deletion is audited by the clinic (pre_delete)
    request.session.flush()
    return render(request, "assessments/deleted.html")


@require_GET
def about_questions(request: HttpRequest) -> HttpResponse:
    return render(request, "assessments/about_questions.html", {"instruments": load_content().instruments})


@require_GET
def patterns(request: HttpRequest) -> HttpResponse:
    from .pages import pattern_context

    return render(request, "assessments/patterns.html", pattern_context(get_language() or "en"))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return problem(request, 403, _("This form has expired. Please go back, reload the page and try again."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem(request, 404, _("There is no page at this address."))


def server_error(request: HttpRequest) -> HttpResponse:
    return problem(request, 500, _("Something went wrong on our side. Your saved answers are safe."))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem(request, 400, _("The request could not be understood."))
