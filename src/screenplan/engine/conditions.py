"""Conditions written as data, evaluated with three-valued logic.

A condition is one of
  {item: ID, op: OP, value: V}        an answer (for a list answer, "=" means "contains")
  {score: ID, op: OP, value: N}       a score, which may be known only as a range
  {band: ID, op: OP, value: BAND}     a band (AUDIT zone, safety level, …), ordered as listed
  {finding: ID}                       a finding is present (op "exists", value false: absent)
  {medicine: ID, op: "=", value: S}   a medicine's status
  {all: [...]} / {any: [...]}
with FHIR's operators (exists = != > < >= <=). Evaluation returns True, False, or None when
the answers so far cannot decide yet (a score whose remaining items are unanswered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import EngineError

OPS = ("exists", "=", "!=", ">", "<", ">=", "<=")
ORDER_OPS = (">", "<", ">=", "<=")
KINDS = ("item", "score", "band", "finding", "medicine")

Condition = Mapping[str, Any]


@dataclass(frozen=True)
class Range:
    """A whole number known to lie between `lo` and `hi` (equal when it is known)."""

    lo: int
    hi: int

    @property
    def known(self) -> bool:
        return self.lo == self.hi


class Facts(Protocol):
    """What a condition can look at. `None` from a lookup means "not available"."""

    def item(self, item_id: str) -> tuple[bool, Any]:
        """(pending, value): pending is True while the question may still be asked."""

    def score(self, score_id: str) -> Range | None: ...

    def band(self, band_id: str) -> Range | None: ...

    def band_index(self, band_id: str, value: str) -> int: ...

    def finding(self, finding_id: str) -> bool | None: ...

    def medicine(self, medicine_id: str) -> str | None: ...


def _compare_range(r: Range, op: str, v: int) -> bool | None:
    """Compare every number in `r` with `v`: True or False if all agree, else None."""
    lo = _compare(r.lo, op, v)
    hi = _compare(r.hi, op, v)
    if op in ("=", "!="):
        inside = r.lo <= v <= r.hi
        if r.known:
            return lo
        if not inside:
            return op == "!="
        return None
    return lo if lo == hi else None


def _compare(a: Any, op: str, b: Any) -> bool:
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == ">":
        return bool(a > b)
    if op == "<":
        return bool(a < b)
    if op == ">=":
        return bool(a >= b)
    if op == "<=":
        return bool(a <= b)
    raise EngineError("bad_operator", f"unknown operator {op!r}")


def evaluate(cond: Condition, facts: Facts) -> bool | None:
    """Evaluate `cond` against `facts` (Kleene logic for all/any).

    >>> class F:
    ...     def item(self, i): return (False, 2)
    >>> evaluate({"item": "phq9_9", "op": ">=", "value": 1}, F())
    True
    """
    if "all" in cond:
        results = [evaluate(c, facts) for c in cond["all"]]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if "any" in cond:
        results = [evaluate(c, facts) for c in cond["any"]]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    op = cond.get("op", "exists")
    value = cond.get("value", True)
    if "item" in cond:
        pending, answer = facts.item(cond["item"])
        if pending:
            return None
        if op == "exists":
            return (answer is not None) == bool(value)
        if answer is None:
            return False
        if isinstance(answer, (list, tuple)):
            if op == "=":
                return value in answer
            if op == "!=":
                return value not in answer
        return _compare(answer, op, value)
    if "score" in cond:
        rng = facts.score(cond["score"])
        if op == "exists":
            return (rng is not None) == bool(value)
        return False if rng is None else _compare_range(rng, op, int(value))
    if "band" in cond:
        rng = facts.band(cond["band"])
        if op == "exists":
            return (rng is not None) == bool(value)
        if rng is None:
            return False
        return _compare_range(rng, op, facts.band_index(cond["band"], str(value)))
    if "finding" in cond:
        present = facts.finding(cond["finding"])
        if present is None:
            return None
        return present == bool(value) if op == "exists" else _compare(present, op, value)
    if "medicine" in cond:
        status = facts.medicine(cond["medicine"])
        if status is None:
            return None
        return (status is not None) == bool(value) if op == "exists" else _compare(status, op, value)
    raise EngineError("bad_condition", f"a condition needs one of {KINDS + ('all', 'any')}")


def references(cond: Condition) -> list[tuple[str, str]]:
    """Every (kind, id) a condition mentions, in order, for the loader's checks."""
    if "all" in cond or "any" in cond:
        out: list[tuple[str, str]] = []
        for c in cond.get("all", cond.get("any", ())):
            out.extend(references(c))
        return out
    return [(k, str(cond[k])) for k in KINDS if k in cond]


def check_shape(cond: Any, where: str) -> None:
    """Raise a located `bad_condition` error unless `cond` has the shape described above."""
    if not isinstance(cond, Mapping):
        raise EngineError("bad_condition", "a condition must be a mapping", where)
    for group in ("all", "any"):
        if group in cond:
            parts = cond[group]
            if not isinstance(parts, Sequence) or isinstance(parts, str) or len(cond) != 1:
                raise EngineError("bad_condition", f"'{group}' takes a list and nothing else", where)
            for n, part in enumerate(parts):
                check_shape(part, f"{where}.{group}[{n}]")
            return
    kinds = [k for k in KINDS if k in cond]
    if len(kinds) != 1:
        raise EngineError("bad_condition", f"name exactly one of {', '.join(KINDS)}, all, any", where)
    extra = set(cond) - {kinds[0], "op", "value"}
    if extra:
        raise EngineError("bad_condition", f"unexpected keys {sorted(extra)}", where)
    op = cond.get("op", "exists")
    if op not in OPS:
        raise EngineError("bad_operator", f"operator {op!r} is not one of {' '.join(OPS)}", where)
    if op != "exists" and "value" not in cond:
        raise EngineError("bad_condition", f"operator {op!r} needs a value", where)
