"""The adaptive flow: which question comes next, and whether a set of answers is one pass.

Order, gates, the stop rule and curtailment all come from `flow.yaml`. Items marked
`safety: true` are never curtailed. The answers are validated value by value first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .conditions import evaluate
from .content import NOT_GIVEN, Content, Item, Option
from .errors import EngineError
from .relevance import depends_on
from .scoring import Facts, State


def check_value(content: Content, item: Item, value: Any, answers: Mapping[str, Any]) -> Any:
    """Return the answer in its canonical form, or raise `bad_value` naming the item.

    >>> from screenplan.engine.content import load_content
    >>> c = load_content()
    >>> check_value(c, c.items["health"], "none", {})
    ['none']
    """
    if item.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise EngineError(
                "bad_value", f"expected a whole number from {item.min} to {item.max}, got {value!r}", item.id
            )
        if item.min is None or item.max is None:  # the loader requires both; this narrows the type
            raise EngineError("bad_content", "an integer question lacks its range", item.id)
        if not item.min <= value <= item.max:
            raise EngineError("bad_value", f"{value} is out of range ({item.min} to {item.max})", item.id)
        return value
    facts = _answered(content, answers)
    offered = [o for o in item.options if shown(o, facts)]
    allowed = ", ".join(repr(o.value) for o in offered)
    if item.type == "choice":
        opt = item.option(value)
        if opt is None or opt not in offered:
            raise EngineError("bad_value", f"{value!r} is not an answer to this question (allowed: {allowed})", item.id)
        return value
    # "None of these" must be chosen, never assumed: an empty list is refused, so a skipped
    # health question cannot silently mean "no contraindications".
    if item.exclusive and value == item.exclusive:
        return [item.exclusive]
    if not isinstance(value, list) or not value:
        raise EngineError("bad_value", f"expected a non-empty list of {allowed}", item.id)
    for v in value:
        opt = item.option(v)
        if opt is None or opt not in offered:
            raise EngineError("bad_value", f"{v!r} is not an answer to this question (allowed: {allowed})", item.id)
    if len(set(value)) != len(value):
        raise EngineError("bad_value", "an answer is listed twice", item.id)
    if item.exclusive in value and len(value) > 1:
        raise EngineError("bad_value", f"{item.exclusive!r} cannot be combined with other answers", item.id)
    return [o.value for o in item.options if o.value in value]


def _answered(content: Content, answers: Mapping[str, Any]) -> Facts:
    return Facts(content, answers, {k: State.ANSWERED for k in answers if k in content.items})


def shown(option: Option, facts: Facts) -> bool:
    """Whether an option is offered: unless its condition is known to be false (an answer that
    could still make it apply, such as a sex not yet asked, keeps "pregnant" on the list)."""
    return option.show_when is None or evaluate(option.show_when, facts) is not False


def walk(content: Content, answers: Mapping[str, Any]) -> dict[str, State]:
    """The state of every item given the answers so far, in the order they are asked.

    Walking the questions before the plan stops at the first one that still needs an answer;
    it and every later one are PENDING. A question the gates leave open is CURTAILED when no
    answer could change its instrument's finding, and IRRELEVANT when no answer could change
    any decision (`relevance.depends_on`). Questions after the plan are ANSWERED or PENDING.
    """
    states: dict[str, State] = {}
    stopped = False
    pending = False
    for item_id in content.before_plan:
        item = content.items[item_id]
        if pending:
            states[item_id] = State.PENDING
            continue
        if stopped:
            states[item_id] = State.SKIPPED
            continue
        facts = Facts(content, answers, dict(states))  # a value: the walk goes on changing `states`
        gate = content.gates.get(item_id)
        open_ = True if gate is None else evaluate(gate.rule.when, facts)
        if open_ is False:
            states[item_id] = State.SKIPPED if gate is None or gate.otherwise is NOT_GIVEN else State.IMPLIED
        elif open_ is None:
            raise EngineError("unreachable_item", "its gate cannot be decided from earlier answers", item_id)
        elif item_id in answers:
            states[item_id] = State.ANSWERED
        elif _curtailed(content, item, facts):
            states[item_id] = State.CURTAILED
        elif item_id in content.relevance and item_id not in depends_on(facts):
            states[item_id] = State.IRRELEVANT
        else:
            states[item_id] = State.PENDING
            pending = True
        if not pending and any(evaluate(r.when, Facts(content, answers, dict(states))) for r in content.stop):
            stopped = True
    for item_id in content.after_plan:
        states[item_id] = State.SKIPPED if stopped else State.ANSWERED if item_id in answers else State.PENDING
    return states


def _curtailed(content: Content, item: Item, facts: Facts) -> bool:
    """True when no answer to this or the instrument's later items could change a finding the
    way its curtailment side allows: "negative" stops only once every finding is absent."""
    side = content.curtail.get(item.instrument)
    if item.safety or side is None:
        return False
    findings = [evaluate(f.when, facts) for f in content.instrument(item.instrument).findings]
    if not findings:
        return False
    return all(r is False for r in findings) if side == "negative" else all(r is not None for r in findings)


def next_item(content: Content, answers: Mapping[str, Any]) -> Item | None:
    """The next question to ask before the plan, or None when the plan can be made.

    >>> from screenplan.engine.content import load_content
    >>> next_item(load_content(), {}).id
    'age'
    >>> next_item(load_content(), {"age": 16}) is None
    True
    """
    states = walk(content, answers)
    for item_id in content.before_plan:
        if states[item_id] is State.PENDING:
            return content.items[item_id]
    return None


def check_pass(content: Content, answers: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, State]]:
    """Validate a complete pass through the flow; return canonical answers and item states.

    Refused (each an `EngineError` naming the item): an unknown id, a value of the wrong type
    or out of range, an answer to a question whose gate is closed, and a missing answer to a
    question the flow asks before the plan. Answers past a curtailment point, to a question
    relevance skipped, and to the questions after the plan are accepted (none can change a
    decision); the questions after the plan are not required.
    """
    if not isinstance(answers, Mapping):
        raise EngineError("bad_answers", "answers must be a JSON object of item ids to values")
    clean: dict[str, Any] = {}
    for item_id, item in content.items.items():
        if item_id in answers:
            clean[item_id] = check_value(content, item, answers[item_id], clean)
    for key in answers:
        if key not in content.items:
            raise EngineError("unknown_item", "no question has this id", str(key))
    states = walk(content, clean)
    for item_id, state in states.items():
        if state is State.PENDING and item_id not in content.after_plan:
            raise EngineError("missing_answer", "the flow asks this question but no answer was given", item_id)
        if state in (State.SKIPPED, State.IMPLIED) and item_id in clean:
            raise EngineError("not_asked", "the flow does not ask this question given the other answers", item_id)
    return clean, states


def safety_so_far(content: Content, answers: Mapping[str, Any]) -> str:
    """The safety level the answers given so far already establish (for crisis pages).

    A level counts only once it is certain: "yes" to ASQ 1 makes it non_acute at once, even
    though ASQ 2-4 are still to come.

    >>> from screenplan.engine.content import load_content
    >>> safety_so_far(load_content(), {"age": 30, "phq9_9": 1})
    'non_acute'
    """
    facts = Facts(content, answers, {k: State.ANSWERED for k in answers if k in content.items})
    for r in content.safety:
        if evaluate(r.when, facts) is True:
            return str(r.data["level"])
    return content.safety_levels[0]
