"""Scoring answers that are not a full pass: one instrument, or an import from elsewhere.

Researchers send PHQ-9 and GAD-7 rows; an EHR sends one questionnaire. Each instrument
whose answers are complete (or decided) is scored; findings that the answers cannot decide
are listed as undetermined, and the questions a full plan would still need are named.

The safety level comes from the same rules as a screen's (`safety` in rules.yaml), in the same
three-valued logic: a level counts once the answers make it certain, and "none" only when every
rule is decided. With no safety question answered the level is None (not assessed), never "none".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .conditions import evaluate, references
from .content import NOT_GIVEN, Content
from .errors import EngineError
from .flow import check_value, walk
from .plan import SCORE_KEYS, score_summary
from .scoring import Facts, State


def score_answers(content: Content, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Scores, findings and the safety level for whatever the answers cover, plus what a plan still needs.

    >>> from screenplan.engine.content import load_content
    >>> r = score_answers(load_content(), {f"phq9_{i}": 2 for i in range(1, 10)})
    >>> r["scores"]["phq9"]["total"], r["findings"], r["safety"]["level"], "age" in r["missing"]
    (18, ['depression'], 'non_acute', True)
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
    facts = _facts(content, clean)
    auditc, decided = _auditc(content, facts)  # may decide its finding by cases: before the lists below
    if decided:
        facts = _findings(facts, decided)
    return {
        "scores": {k: score_summary(content, facts, k) for k in SCORE_KEYS},
        "auditc": auditc,
        "findings": [fid for fid, result in facts.findings.items() if result is True],
        "undetermined": [fid for fid, result in facts.findings.items() if result is None],
        "safety": _safety(content, facts),
        "missing": missing_for_plan(content, clean),
    }


def _facts(content: Content, clean: Mapping[str, Any]) -> Facts:
    """Item states for answers that need not follow the flow, and every finding decided in order."""
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
    return _findings(Facts(content, clean, states), {})


def _findings(facts: Facts, decided: Mapping[str, bool]) -> Facts:
    """Every finding in content order, those in `decided` fixed (later findings may use them)."""
    found: dict[str, bool | None] = {}
    current = facts.but(findings=found)
    for f in facts.content.findings:
        fid = str(f.data["id"])
        found[fid] = decided[fid] if fid in decided else evaluate(f.when, current)
    return current


def _safety_items(content: Content) -> list[str]:
    """The questions the safety rules read (directly or through a score), in the order asked."""
    named: set[str] = set()
    for rule in content.safety:
        for kind, ref in references(rule.when):
            named |= {ref} if kind == "item" else set(content.scores[ref].items) if kind == "score" else set()
    return [item_id for item_id in content.items if item_id in named]


def _safety(content: Content, facts: Facts) -> dict[str, Any]:
    """The level the answers establish, whether it is final, and which safety questions were answered.

    The rules run from the highest level down; one that the answers cannot decide means that
    level is not ruled out (`complete` False), so a lower level is reported only as established.
    """
    level: str | None = None
    complete = True
    for rule in content.safety:
        result = evaluate(rule.when, facts)
        if result is None:
            complete = False
        elif result:
            level = str(rule.data["level"])
            break
    if level is None and complete:
        level = content.safety_levels[0]
    items = _safety_items(content)
    return {
        "level": level,
        "complete": complete,
        "answered": [i for i in items if facts.states.get(i) is State.ANSWERED],
        "missing": [i for i in items if facts.states.get(i) is State.PENDING],
    }


def _auditc(content: Content, facts: Facts) -> tuple[dict[str, Any], dict[str, bool]]:
    """The AUDIT-C total and its finding (audit.yaml), decided by cases when an item is missing.

    Without `sex` the finding's two branches (men's and women's cut-off) are each undecided, so
    the finding is read once for every answer the missing item could have: when all readings
    agree it is decided (a total of 8 is positive for everyone); when they differ, `positive` is
    None and `positive_if` gives each reading. Findings decided this way are returned beside it.
    """
    decided: dict[str, bool] = {}
    rng = facts.score("auditc")
    done = (State.ANSWERED, State.IMPLIED)
    complete = rng is not None and all(facts.states.get(i) in done for i in content.scores["auditc"].items)
    summary = {"total": rng.lo if rng is not None and complete else None, "complete": complete}
    out: dict[str, Any] = dict(summary)
    for rule in content.findings:
        if ("score", "auditc") not in references(rule.when):
            continue
        fid = str(rule.data["id"])
        if facts.findings[fid] is None and summary["total"] is not None:
            unanswered = [r for k, r in references(rule.when) if k == "item" and facts.states.get(r) is State.PENDING]
            readings = {
                item_id: {
                    str(v): _facts(content, {**facts.answers, item_id: v}).findings[fid]
                    for v in (o.value for o in content.items[item_id].options)
                }
                for item_id in dict.fromkeys(unanswered)
            }
            agreed = {r for by_value in readings.values() for r in by_value.values()}
            if len(agreed) == 1 and None not in agreed:
                decided[fid] = bool(agreed.pop())
            elif readings:
                out["positive_if"] = readings
        out["positive"] = decided.get(fid, facts.findings[fid])
    return out, decided


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
