"""Scoring answers that are not a full pass: one instrument, or an import from elsewhere.

Researchers send PHQ-9 and GAD-7 rows; an EHR sends one questionnaire. Each instrument
whose answers are complete (or decided) is scored; findings that the answers cannot decide
are listed as undetermined, and the questions a full plan would still need are named.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .conditions import evaluate
from .content import NOT_GIVEN, Content
from .errors import EngineError
from .flow import check_value, walk
from .plan import SCORE_KEYS, score_summary
from .scoring import Facts, State, decide_findings


def score_answers(content: Content, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Scores and findings for whatever the answers cover, plus what a full plan still needs.

    >>> from screenplan.engine.content import load_content
    >>> r = score_answers(load_content(), {f"phq9_{i}": 2 for i in range(1, 10)})
    >>> r["scores"]["phq9"]["total"], r["findings"], "age" in r["missing"]
    (18, ['depression'], True)
    """
    if not isinstance(answers, Mapping):
        raise EngineError("bad_answers", "answers must be a JSON object of item ids to values")
    for key in answers:
        if key not in content.items:
            raise EngineError("unknown_item", "no question has this id", str(key))
    clean: dict[str, Any] = {}
    for item_id, item in content.items.items():
        if item_id in answers:
            clean[item_id] = check_value(content, item, answers[item_id], clean)
    states: dict[str, State] = {}
    for item_id in content.items:
        gate = content.gates.get(item_id)
        if item_id in clean:
            states[item_id] = State.ANSWERED
            continue
        open_ = None if gate is None else evaluate(gate.rule.when, Facts(content, clean, dict(states)))
        if open_ is False:
            states[item_id] = State.SKIPPED if gate is None or gate.otherwise is NOT_GIVEN else State.IMPLIED
        else:
            states[item_id] = State.PENDING
    facts = decide_findings(Facts(content, clean, states))
    findings: list[str] = []
    undetermined: list[str] = []
    for f in content.findings:
        fid = str(f.data["id"])
        result = facts.findings[fid]
        if result is True:
            findings.append(fid)
        elif result is None:
            undetermined.append(fid)
    return {
        "scores": {k: score_summary(content, facts, k) for k in SCORE_KEYS},
        "findings": findings,
        "undetermined": undetermined,
        "missing": missing_for_plan(content, clean),
    }


def missing_for_plan(content: Content, answers: Mapping[str, Any]) -> list[str]:
    """Questions the flow would still ask before a plan can be made, in order.

    Curtailed questions are not needed; a question behind a gate that the missing answers
    could open is listed once the gate is decided, so the list names what is needed now.
    """
    states = walk(content, answers)
    missing = []
    for item_id, state in states.items():
        if state is State.PENDING and item_id not in answers and item_id not in content.after_plan:
            gate = content.gates.get(item_id)
            if gate is not None and evaluate(gate.rule.when, Facts(content, answers, states)) is not True:
                continue
            missing.append(item_id)
    return missing
