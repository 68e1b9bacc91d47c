"""What the answers so far say: item states, score ranges, bands and findings.

Scores are ranges: an item not yet answered (or curtailed) adds its whole point range, so a
curtailed PHQ-9 is "at least 12" rather than an invented total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from .conditions import Range, evaluate
from .content import Content, Score
from .errors import EngineError


class State(Enum):
    ANSWERED = "answered"
    IMPLIED = "implied"  # a closed gate gave it a value (the WHO skip scores 0)
    PENDING = "pending"  # may still be asked
    CURTAILED = "curtailed"  # will not be asked: no answer could change its instrument's finding
    IRRELEVANT = "irrelevant"  # will not be asked: no answer could change any decision
    SKIPPED = "skipped"  # will not be asked: a closed gate, or the screen stopped


UNKNOWN = (State.PENDING, State.CURTAILED, State.IRRELEVANT)  # no value, and none is coming from a gate


@dataclass(frozen=True, eq=False)
class Facts:
    """The `conditions.Facts` view of a set of answers and the state of every item: a value.

    Findings, medicine statuses and the safety level are added by `but()`, which returns new
    facts. The score ranges are worked out once per value and kept (`_ranges`, a cache of what
    the answers and states already say, never a fact of its own).
    """

    content: Content
    answers: Mapping[str, Any]
    states: Mapping[str, State]
    findings: Mapping[str, bool | None] = field(default_factory=dict)
    medicines: Mapping[str, str] = field(default_factory=dict)
    safety: int | None = None
    _ranges: dict[str, Range | None] = field(default_factory=dict, repr=False)

    def but(self, **derived: Any) -> Facts:
        """These facts with findings, medicines or safety set (answers and states stay)."""
        return replace(self, **derived)

    def value(self, item_id: str) -> Any:
        state = self.states.get(item_id, State.PENDING)
        if state is State.ANSWERED:
            return self.answers[item_id]
        if state is State.IMPLIED:
            return self.content.gates[item_id].otherwise
        return None

    def item(self, item_id: str) -> tuple[bool, Any]:
        state = self.states.get(item_id, State.PENDING)
        return state in UNKNOWN, self.value(item_id)

    def score(self, score_id: str) -> Range | None:
        if score_id not in self._ranges:
            self._ranges[score_id] = score_range(self.content.scores[score_id], self)
        return self._ranges[score_id]

    def band(self, band_id: str) -> Range | None:
        if band_id == "safety":
            return None if self.safety is None else Range(self.safety, self.safety)
        for s in self.content.scores.values():
            if s.id == band_id:
                return band_range(s, self.score(s.id))
            if s.escalate and s.escalate.data["band"] == band_id:
                base = band_range(s, self.score(s.id))
                raised = evaluate(s.escalate.when, self)
                if base is None or raised is False:
                    return base
                top = len(s.bands) - 1
                up = Range(min(base.lo + 1, top), min(base.hi + 1, top))
                return up if raised else Range(base.lo, up.hi)
        raise EngineError("unknown_reference", f"no band '{band_id}'")

    def band_index(self, band_id: str, value: str) -> int:
        if band_id == "safety":
            return self.content.safety_levels.index(value)
        for s in self.content.scores.values():
            if band_id in (s.id, s.escalate.data["band"] if s.escalate else None):
                return [b.id for b in s.bands].index(value)
        raise EngineError("unknown_reference", f"no band '{band_id}'")

    def finding(self, finding_id: str) -> bool | None:
        return self.findings.get(finding_id)

    def medicine(self, medicine_id: str) -> str | None:
        return self.medicines.get(medicine_id)


def points(content: Content, item_id: str, value: Any) -> int:
    item = content.items[item_id]
    if item.type == "integer":
        return int(value)
    opt = item.option(value)
    return 0 if opt is None or opt.points is None else opt.points


def score_range(score: Score, facts: Facts) -> Range | None:
    """The range the score must lie in, or None when it was not assessed (a closed gate)."""
    lo = hi = 0
    for item_id in score.items:
        state = facts.states.get(item_id, State.PENDING)
        if state in (State.ANSWERED, State.IMPLIED):
            p = points(facts.content, item_id, facts.value(item_id))
            lo, hi = lo + p, hi + p
        elif state is State.SKIPPED:
            return None
        else:
            a, b = facts.content.items[item_id].point_range()
            lo, hi = lo + a, hi + b
    return Range(lo, hi)


def band_range(score: Score, rng: Range | None) -> Range | None:
    if rng is None or not score.bands:
        return None
    ids = [n for n, b in enumerate(score.bands) if b.min <= rng.hi and b.max >= rng.lo]
    return Range(ids[0], ids[-1])


def decide_findings(facts: Facts) -> Facts:
    """Every finding in content order (later findings may use earlier ones), as new facts."""
    found: dict[str, bool | None] = {}
    current = facts.but(findings=found)
    for f in facts.content.findings:
        found[str(f.data["id"])] = evaluate(f.when, current)
    return current
