"""Estimated respondent time, with a fixed model so figures compare between versions.

A question costs 1.5 s plus its words read at 4 words/s. Words read are the question text and
its answer labels, except that labels identical to the previous question's, and a stem shared
with the previous question, are not read again. A multi-select screen costs its prompt and all
option labels plus 1.5 s per option chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .content import Content
from .errors import EngineError
from .flow import shown
from .scoring import Facts, State

TAP_SECONDS = 1.5
WORDS_PER_SECOND = 4.0


def _words(text: str) -> int:
    return len(text.split())


def estimate_seconds(content: Content, asked: Sequence[str], answers: Mapping[str, Any]) -> float:
    """Seconds a respondent needs for the questions `asked`, in order, given their answers.

    >>> from screenplan.engine.content import load_content
    >>> estimate_seconds(load_content(), ["age"], {"age": 40})
    2.5
    """
    total = 0.0
    prev_stem, prev_labels = "", tuple[str, ...]()
    facts = Facts(content, answers, {k: State.ANSWERED for k in answers if k in content.items})
    for item_id in asked:
        item = content.items[item_id]
        labels = tuple(o.label for o in item.options if shown(o, facts))
        words = _words(item.text)
        if item.stem and item.stem != prev_stem:
            words += _words(item.stem)
        if item.type == "multi":
            chosen = answers.get(item_id) or []
            total += sum(_words(label) for label in labels) / WORDS_PER_SECOND
            total += words / WORDS_PER_SECOND + TAP_SECONDS * len(chosen)
        else:
            if labels != prev_labels:
                words += sum(_words(label) for label in labels)
            total += TAP_SECONDS + words / WORDS_PER_SECOND
        prev_stem, prev_labels = item.stem, labels
    return round(total, 1)


def simulate(content: Content, full_answers: Mapping[str, Any], lang: str = "en") -> dict[str, Any]:
    """Drive the flow with `full_answers` as the respondent: what is asked, how long, the plan.

    `asked` lists every question asked, the plan page's own after the others; `seconds` is
    the time for all of them and `seconds_to_plan` the time until the plan is shown. Answers
    the flow does not ask are ignored; a question it asks without an answer is an error, and
    every given answer must be a valid value. A question after the plan may be left out.
    """
    from .plan import build_plan
    from .screen import open_screen

    if not isinstance(full_answers, Mapping):
        raise EngineError("bad_answers", "answers must be a JSON object of item ids to values")
    for key in full_answers:
        if key not in content.items:
            raise EngineError("unknown_item", "no question has this id", str(key))
    screen = open_screen(content, {})
    asked: list[str] = []
    while screen.current is not None:
        item = screen.current
        if item.id not in full_answers:
            raise EngineError("missing_answer", "the flow asks this question but no answer was given", item.id)
        screen = screen.apply(item.id, full_answers[item.id])
        asked.append(item.id)
    to_plan = estimate_seconds(content, asked, screen.answers)
    for item in screen.after_plan():
        if item.id in full_answers:
            screen = screen.apply(item.id, full_answers[item.id])
            asked.append(item.id)
    return {
        "asked": asked,
        "seconds": estimate_seconds(content, asked, screen.answers),
        "seconds_to_plan": to_plan,
        "plan": build_plan(content, screen.answers, lang),
    }
