"""Which unanswered questions could still change a decision (clinical-spec §3 rule 4).

The decisions are the findings, the safety level, each medicine's status (with the
contraindications listed for it), the pathways, the checks and the priority. They are worked
out with the same three-valued logic as everywhere else, except that every value left
undecided also keeps the questions it is waiting on. A question outside that set cannot change
any decision, whatever the answers still to come, so the flow does not ask it.

The sets over-approximate, never under-approximate: an undecided part of a rule waits on every
unanswered question it mentions. So a question is skipped only when it truly cannot matter.
"""

from __future__ import annotations

from typing import Any

from .conditions import Condition, _compare, evaluate
from .content import Content
from .scoring import UNKNOWN, Facts, State

Deps = frozenset[str]
NO_DEPS: Deps = frozenset()
Result = tuple[bool | None, Deps]


def depends_on(facts: Facts) -> Deps:
    """The unanswered questions that some decision still waits on, given `facts`.

    >>> from screenplan.engine.content import load_content
    >>> from screenplan.engine.scoring import Facts, State
    >>> c = load_content()
    >>> "health" in depends_on(Facts(c, {"age": 30}, {"age": State.ANSWERED}))
    True
    """
    return _Residual(facts).decisions()


class _Residual:
    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.content: Content = facts.content
        self.findings: dict[str, Result] = {}
        self.safety: tuple[frozenset[int], Deps] = (frozenset(range(len(self.content.safety_levels))), NO_DEPS)
        self.medicines: dict[str, tuple[frozenset[str], Deps]] = {}

    def decisions(self) -> Deps:
        c = self.content
        deps: set[str] = set()
        for f in c.findings:
            value, d = self.ev(f.when)
            self.findings[str(f.data["id"])] = (value, d)
            deps |= d
        self.safety = self._first_match([(r.when, c.safety_levels.index(str(r.data["level"]))) for r in c.safety], 0)
        deps |= self.safety[1]
        for m in c.medicines:
            mid = str(m.data["id"])
            statuses, d = self._medicine(m.when, [r for r in c.contraindications if r.data["medicine"] == mid])
            self.medicines[mid] = (statuses, d)
            deps |= d
        for p in c.pathways:
            matched, d = self.ev(p.when)
            deps |= d
            elig = p.data.get("eligibility")
            if elig is not None and matched is not False:
                deps |= self.ev(elig.when)[1]
        for r in [*c.checks, *c.priority]:
            deps |= self.ev(r.when)[1]
        return frozenset(deps)

    def _first_match(self, rules: list[tuple[Condition, int]], otherwise: int) -> tuple[frozenset[int], Deps]:
        """The outcomes a first-match list can still give, and what it waits on."""
        possible: set[int] = set()
        deps: set[str] = set()
        for cond, outcome in rules:
            value, d = self.ev(cond)
            if value is False:
                continue
            possible.add(outcome)
            if value is True:
                break
            deps |= d
        else:
            possible.add(otherwise)
        return frozenset(possible), frozenset(deps) if len(possible) > 1 else NO_DEPS

    def _medicine(self, indicated: Condition, contraindications: list[Any]) -> tuple[frozenset[str], Deps]:
        """The statuses a medicine can still have; while it may be indicated, the contraindications
        listed for it are part of the decision too, so every undecided one counts."""
        ind, ind_deps = self.ev(indicated)
        if ind is False:
            return frozenset({"not_indicated"}), NO_DEPS
        kinds: dict[bool | None, set[str]] = {True: set(), False: set(), None: set()}
        deps: set[str] = set(ind_deps)
        for r in contraindications:
            value, d = self.ev(r.when)
            kinds[value].add(str(r.data["kind"]))
            deps |= d
        if "absolute" in kinds[True]:
            statuses = {"excluded"}
        else:
            statuses = {"clinician_review" if "relative" in kinds[True] else "consider"}
            if "relative" in kinds[None]:
                statuses.add("clinician_review")
            if "absolute" in kinds[None]:
                statuses.add("excluded")
        if ind is None:
            statuses.add("not_indicated")
        return frozenset(statuses), frozenset(deps)

    def _unknown(self, item_ids: tuple[str, ...]) -> Deps:
        states = self.facts.states
        return frozenset(i for i in item_ids if states.get(i, State.PENDING) in UNKNOWN)

    def ev(self, cond: Condition) -> Result:
        """`evaluate`, with the questions an undecided result waits on."""
        if "all" in cond or "any" in cond:
            parts = [self.ev(c) for c in cond.get("all", cond.get("any", ()))]
            decisive = "all" not in cond  # a False decides an all, a True an any
            if any(v is decisive for v, _ in parts):
                return decisive, NO_DEPS
            undecided = [d for v, d in parts if v is None]
            if undecided:
                return None, frozenset().union(*undecided)
            return not decisive, NO_DEPS
        op, value = cond.get("op", "exists"), cond.get("value", True)
        if "finding" in cond:
            return self.findings.get(cond["finding"], (None, NO_DEPS))
        if "medicine" in cond:
            statuses, deps = self.medicines[cond["medicine"]]
            return self._among(statuses, op, value, deps)
        if cond.get("band") == "safety":
            levels, deps = self.safety
            return self._among(levels, op, self.content.safety_levels.index(str(value)), deps)
        result = evaluate(cond, self.facts)
        if "item" in cond:
            return result, NO_DEPS if result is not None else frozenset({cond["item"]})
        score = self.content.scores.get(cond.get("score") or _base_score(self.content, cond["band"]))
        waits = self._unknown(score.items) if score is not None else NO_DEPS
        if op == "exists" and waits:  # a gate still to be decided may leave it not assessed
            return None, waits
        if result is not None:
            return result, NO_DEPS
        if "band" in cond and score is not None and score.escalate is not None:
            waits |= self.ev(score.escalate.when)[1]
        return None, waits

    @staticmethod
    def _among(possible: frozenset[Any], op: str, value: Any, deps: Deps) -> Result:
        if op == "exists":
            return True, NO_DEPS
        outcomes = {_compare(p, op, value) for p in possible}
        if len(outcomes) == 1:
            return outcomes.pop(), NO_DEPS
        return None, deps


def _base_score(content: Content, band_id: str) -> str:
    """The score a band is read from (an escalated band such as intervention_zone included)."""
    for s in content.scores.values():
        if band_id in (s.id, s.escalate.data["band"] if s.escalate else None):
            return s.id
    return band_id
