"""The screen as the person goes through it: the one place the shell asks what to show and do.

`open_screen(content, answers)` walks the flow once and returns a `Screen`: the question to
ask now, which questions may be opened (answered ones, to change them, and the current one),
the options each shows, the progress, and the safety level the answers already establish.
`Screen.apply()` validates one answer, keeps the other answers consistent with it, and returns
the new screen; nothing is changed in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import evaluate
from .content import NOT_GIVEN, Content, Item
from .errors import EngineError
from .flow import _answered, check_value, safety_so_far, shown, walk
from .localize import Wording, wording
from .scoring import Facts, State


@dataclass(frozen=True)
class Choice:
    """An answer option as shown: its value, its words in the chosen language."""

    value: int | str
    label: str


@dataclass(frozen=True)
class Progress:
    """How far through the questions before the plan the person is.

    `fraction` moves with every question (the current question's place in the flow, of all
    the questions it may ask); `part`/`parts` count the runs of sections in the order asked.
    """

    fraction: float
    answered: int
    section: str
    part: int
    parts: int


@dataclass(frozen=True)
class Screen:
    content: Content
    answers: Mapping[str, Any]
    states: Mapping[str, State]
    current: Item | None  # the question to ask now; None once the plan can be made
    safety: str  # the safety level the answers so far already establish

    @property
    def complete(self) -> bool:
        """Every question before the plan is answered (or needs no answer)."""
        return self.current is None

    @property
    def stopped(self) -> bool:
        """The screen ended early (a stop rule: under 18): no plan questions, no after-plan ones."""
        return any(self.states.get(i) is State.SKIPPED for i in self.content.after_plan)

    def after_plan(self) -> tuple[Item, ...]:
        """The questions asked on the plan page, once the plan is shown."""
        if not self.complete or self.stopped:
            return ()
        return tuple(self.content.items[i] for i in self.content.after_plan)

    def can_open(self, item_id: str) -> bool:
        """Whether the person may see (and answer) this question now: the current one, one
        already answered before the plan, or, once the plan is shown, a plan-page question."""
        if item_id in self.content.after_plan:
            return self.complete and not self.stopped
        if item_id not in self.content.items:
            return False
        return self.states.get(item_id) is State.ANSWERED or (self.current is not None and self.current.id == item_id)

    def back(self, item_id: str) -> str | None:
        """The answered question just before `item_id` in the order asked (a Back link)."""
        order = self.content.before_plan
        if item_id not in order:
            return order[-1] if self.complete and order[-1] in self.answers else None
        earlier = [i for i in order[: order.index(item_id)] if self.states.get(i) is State.ANSWERED]
        return earlier[-1] if earlier else None

    def wording(self, item: Item, lang: str) -> Wording:
        return wording(self.content, item, lang)

    def choices(self, item: Item, lang: str) -> tuple[Choice, ...]:
        """The options this question shows given the answers before it, in `lang`."""
        words = wording(self.content, item, lang)
        facts = _answered(self.content, _before(self.content, self.answers, item.id))
        return tuple(
            Choice(o.value, label) for o, label in zip(item.options, words.labels, strict=True) if shown(o, facts)
        )

    def progress(self) -> Progress:
        order = self.content.before_plan
        answered = sum(1 for i in order if self.states.get(i) is State.ANSWERED)
        sections = [self.content.instrument(self.content.items[i].instrument).section for i in order]
        runs = [1]
        for n in range(1, len(sections)):
            runs.append(runs[-1] + (sections[n] != sections[n - 1]))
        at = len(order) - 1 if self.current is None else order.index(self.current.id)
        fraction = 1.0 if self.current is None else round(at / len(order), 3)
        return Progress(fraction, answered, sections[at], runs[at], runs[-1])

    def check(self, item: Item, value: Any) -> Any:
        """The answer in its canonical form, checked against the answers before it (an option
        hidden by them is refused), or an `EngineError` with code `bad_value`."""
        return check_value(self.content, item, value, _before(self.content, self.answers, item.id))

    def apply(self, item_id: str, value: Any) -> Screen:
        """The screen with this answer stored, or an `EngineError`: `unknown_item`,
        `not_current` (a question that cannot be opened now) or `bad_value`.

        Changing an earlier answer may close a gate or hide an option that a later answer
        relied on; those later answers are dropped. Conditions only look back, so one pass in
        the order asked decides it.

        >>> from screenplan.engine.content import load_content
        >>> s = open_screen(load_content(), {}).apply("age", 30)
        >>> s.current.id, s.answers
        ('audit_1', {'age': 30})
        """
        item = self.content.items.get(item_id)
        if item is None:
            raise EngineError("unknown_item", "no question has this id", item_id)
        if not self.can_open(item_id):
            raise EngineError("not_current", "this question is not asked now", item_id)
        clean = self.check(item, value)
        answers = {**self.answers, item_id: clean}
        # A new answer to the current question, with nothing answered after it, cannot make any
        # stored answer invalid (conditions only look back): only an edit needs the check.
        order = {k: n for n, k in enumerate(self.content.items)}
        edit = item_id in self.answers or any(order.get(k, -1) > order[item_id] for k in self.answers)
        return open_screen(self.content, consistent(self.content, answers) if edit else answers)


def open_screen(content: Content, answers: Mapping[str, Any]) -> Screen:
    """The screen for stored answers (walked once).

    >>> from screenplan.engine.content import load_content
    >>> open_screen(load_content(), {"age": 30, "audit_1": 0}).current.id
    'drug_use_year'
    """
    states = walk(content, answers)
    current = next((content.items[i] for i in content.before_plan if states[i] is State.PENDING), None)
    return Screen(content, dict(answers), states, current, safety_so_far(content, answers))


def consistent(content: Content, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers without those an earlier answer made invalid (a hidden option) or unasked
    (a closed gate, the screen stopped). Answers behind a gate not yet decided stay."""
    kept: dict[str, Any] = {}
    states: dict[str, State] = {}
    stopped = False
    for item_id in content.items:
        item = content.items[item_id]
        if stopped:
            break
        gate = content.gates.get(item_id)
        open_ = True if gate is None else evaluate(gate.rule.when, Facts(content, kept, dict(states)))
        if open_ is False:
            states[item_id] = State.IMPLIED if gate is not None and gate.otherwise is not NOT_GIVEN else State.SKIPPED
        elif item_id in answers:
            try:
                kept[item_id] = check_value(content, item, answers[item_id], kept)
                states[item_id] = State.ANSWERED
            except EngineError:
                states[item_id] = State.PENDING
        else:
            states[item_id] = State.PENDING
        stopped = any(evaluate(r.when, Facts(content, kept, dict(states))) for r in content.stop)
    return kept


def safety_rank(content: Content, level: str) -> int:
    """The place of a safety level in the content's order (none < non_acute < acute)."""
    return content.safety_levels.index(level)


def _before(content: Content, answers: Mapping[str, Any], item_id: str) -> dict[str, Any]:
    """The answers to the questions asked before `item_id` (what its conditions may look at)."""
    out: dict[str, Any] = {}
    for i in content.items:
        if i == item_id:
            break
        if i in answers:
            out[i] = answers[i]
    return out
