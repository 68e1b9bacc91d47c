"""What each respondent page shows, computed from the engine (templates only lay it out)."""

from __future__ import annotations

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

    sample = {
        "age": 41,
        "sex": "male",
        "audit_1": 4,
        "audit_2": 2,
        "audit_3": 3,
        "audit_4": 2,
        "audit_5": 1,
        "audit_6": 0,
        "audit_7": 2,
        "audit_8": 1,
        "audit_9": 0,
        "audit_10": 4,
        "drug_use_year": "0",
        "phq9_1": 2,
        "phq9_2": 3,
        "phq9_3": 2,
        "phq9_4": 2,
        "phq9_5": 1,
        "phq9_6": 2,
        "phq9_7": 1,
        "phq9_8": 0,
        "phq9_9": 1,
        "asq_1": "yes",
        "asq_2": "no",
        "asq_3": "no",
        "asq_4": "no",
        "asq_5": "no",
        "gad7_1": 1,
        "gad7_2": 1,
        "gad7_3": 1,
        "gad7_4": 1,
        "gad7_5": 0,
        "gad7_6": 0,
        "gad7_7": 0,
        "pcptsd5_0": "no",
        "health": ["none"],
        "tx_antidepressants": "2+",
        "tx_substance": "more",
        "readiness": 8,
        "support": "yes",
    }
    plan = build_plan(load_content(), sample, lang)
    sections = {s["id"]: s for s in plan["sections"]}
    return {
        "plan": plan,
        "sections": plan["sections"],
        "by_id": sections,
        "findings": sections["findings"],
        "iceberg": layout(sections["findings"]["items"]),
    }
