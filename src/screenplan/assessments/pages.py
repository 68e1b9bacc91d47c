"""What each respondent page shows, computed from the engine (templates only lay it out)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from django.utils.translation import gettext as _

from screenplan.engine import Content, Item, load_content
from screenplan.engine.localize import wording

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
        "history": _("Treatment and readiness"),
    }.get(section, section)


def question_context(content: Content, a: Assessment, item: Item, chosen: Any, error: str = "") -> dict[str, Any]:
    lang = _lang()
    words = wording(content, item, lang)
    sections = list(dict.fromkeys(i.section for i in content.instruments))
    section = content.instrument(item.instrument).section
    order = list(content.items)
    answers = a.answers
    earlier = [i for i in order[: order.index(item.id)] if i in answers]
    chosen_list = chosen if isinstance(chosen, list) else [chosen]
    options = [
        {"value": str(o.value), "label": label, "checked": o.value in chosen_list, "id": f"opt-{n}"}
        for n, (o, label) in enumerate(zip(item.options, words.labels, strict=True))
        if o.show_when is None or _shown(content, o.show_when, answers)
    ]
    return {
        "item": item,
        "stem": words.stem,
        "text": words.text,
        "help": words.help,
        "untranslated": not words.translated,
        "options": options,
        "value": chosen if item.type == "integer" else None,
        "error": error,
        "rev": a.revision,
        "back": earlier[-1] if earlier else None,
        "section": section_title(section),
        "section_number": sections.index(section) + 1,
        "section_count": len(sections),
        "safety_shown": a.safety_shown,
        "instrument": content.instrument(item.instrument),
    }


def _lang() -> str:
    from django.utils.translation import get_language

    return get_language() or "en"


def _shown(content: Content, cond: Any, answers: dict[str, Any]) -> bool:
    from screenplan.engine.conditions import evaluate
    from screenplan.engine.scoring import Facts, State

    facts = Facts(content, answers, {k: State.ANSWERED for k in answers if k in content.items})
    return evaluate(cond, facts) is True


def results_context(a: Assessment, lang: str) -> dict[str, Any]:
    plan = a.plan(lang)
    sections = {s["id"]: s for s in plan["sections"]}
    findings = sections.get("findings")
    return {
        "plan": plan,
        "sections": plan["sections"],
        "by_id": sections,
        "findings": findings,
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
