"""What each respondent page shows, computed from the engine (templates only lay it out)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from screenplan.engine import Item, Screen, load_content

from .iceberg import layout
from .models import Assessment


def section_title(section: str) -> str:
    return {
        "about": _("About you"),
        "alcohol": _("Alcohol"),
        "drugs": _("Drugs"),
        "mood": _("Mood"),
        "safety": _("Safety"),
        "anxiety": _("Anxiety"),
        "trauma": _("Stressful events"),
        "health": _("Health"),
        "history": _("Earlier treatment"),
        "readiness": _("Your first steps"),
    }.get(section, section)


def question_context(screen: Screen, a: Assessment, item: Item, chosen: Any, error: str = "") -> dict[str, Any]:
    """What a question page shows: the engine's wording, choices, progress and back link."""
    lang = get_language() or "en"
    words = screen.wording(item, lang)
    chosen_list = chosen if isinstance(chosen, list) else [chosen]
    options = [
        {"value": str(c.value), "label": c.label, "checked": c.value in chosen_list, "id": f"opt-{n}"}
        for n, c in enumerate(screen.choices(item, lang))
    ]
    progress = screen.progress()
    after_plan = item.id in screen.content.after_plan
    return {
        "item": item,
        "stem": words.stem,
        "text": words.text,
        "help": words.help,
        "untranslated": not words.translated,
        "options": options,
        # One tap: each option of a single-choice question is its own submit button.
        "one_tap": item.type == "choice",
        "value": chosen if item.type == "integer" else None,
        "error": error,
        "rev": a.revision,
        "back": None if after_plan else screen.back(item.id),
        "section": section_title(screen.content.instrument(item.instrument).section),
        "percent": 100 if after_plan else round(100 * progress.fraction),
        "safety_shown": a.safety_shown,
        "after_plan": after_plan,
    }


def results_context(a: Assessment, lang: str) -> dict[str, Any]:
    plan = a.plan(lang)
    sections = {s["id"]: s for s in plan["sections"]}
    findings = sections.get("findings")
    screen = a.screen()
    return {
        "plan": plan,
        "sections": plan["sections"],
        "by_id": sections,
        "findings": findings,
        # The plan page's own questions ("two questions to make your first steps fit you").
        "plan_questions": [i.id for i in screen.after_plan() if i.id not in screen.answers],
        "iceberg": layout(findings["items"]) if findings else None,
        "crisis_first": plan["priority"] == "crisis",
        "out_of_scope": plan["pathway"]["primary"] == "out_of_scope",
        "assessment": a,
        "content": load_content(),
    }


def pattern_context(lang: str) -> dict[str, Any]:
    """Every UI component with sample data, for design review and accessibility tests."""
    from screenplan.engine import build_plan

    # The shipped worked example, with a risk answer so that every component shows.
    example = resources.files("screenplan").joinpath("examples/integrated.json").read_text(encoding="utf-8")
    sample = {**json.loads(example), "phq9_9": 1, "asq_1": "yes", "asq_5": "no"}
    plan = build_plan(load_content(), sample, lang)
    sections = {s["id"]: s for s in plan["sections"]}
    return {
        "plan": plan,
        "sections": plan["sections"],
        "by_id": sections,
        "findings": sections["findings"],
        "iceberg": layout(sections["findings"]["items"]),
    }
