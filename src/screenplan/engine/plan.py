"""From one complete pass of answers to the plan: decisions first, then the plan JSON.

`decide()` applies the rules in order (findings, safety, contraindications, medicines,
pathway, checks, priority) and records every rule that fired; `build_plan()` adds the scores
and the human-readable sections.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import Range, evaluate
from .content import Content, Rule
from .errors import EngineError
from .flow import check_pass
from .scoring import Facts, State, band_range, decide_findings

ENGINE_VERSION = "0.1.0"
SCORE_KEYS = ("phq9", "gad7", "audit", "pcptsd5", "asq")


@dataclass(frozen=True)
class Decision:
    """Everything the rules decided for one pass of answers."""

    answers: Mapping[str, Any]
    facts: Facts
    findings: tuple[str, ...]
    safety: str
    contraindications: tuple[Rule, ...]
    medicines: Mapping[str, str]
    medicine_reasons: Mapping[str, tuple[Rule, ...]]
    pathway: str
    eligibility: str | None
    also: tuple[str, ...]
    priority: str
    checks: tuple[str, ...]
    fired: tuple[str, ...]


def _sure(rule: Rule, facts: Facts, cond: Any = None) -> bool:
    result = evaluate(rule.when if cond is None else cond, facts)
    if result is None:  # a complete pass decides every rule; this would be a content bug
        raise EngineError("undecided_rule", "the answers do not decide this rule", rule.id)
    return result


def decide(content: Content, answers: Mapping[str, Any]) -> Decision:
    """Validate `answers` as one pass through the flow and apply every rule.

    Contraindications are weighed (and listed) only for a medicine that is indicated: with
    nothing to contraindicate, the health list is not asked (relevance), so it cannot decide.

    >>> from screenplan.engine.content import load_content
    >>> decide(load_content(), {"age": 15}).pathway
    'out_of_scope'
    """
    clean, states = check_pass(content, answers)
    facts = decide_findings(Facts(content, clean, states))
    fired: list[str] = []
    for f in content.findings:
        if facts.findings[str(f.data["id"])] is None:
            raise EngineError("undecided_rule", "the answers do not decide this finding", f.id)
        if facts.findings[str(f.data["id"])]:
            fired.append(f.id)
    for s in content.scores.values():
        if s.escalate and facts.score(s.id) is not None and _sure(s.escalate, facts):
            fired.append(s.escalate.id)

    level = 0
    for r in content.safety:
        if _sure(r, facts):
            level = content.safety_levels.index(str(r.data["level"]))
            fired.append(r.id)
            break
    facts = facts.but(safety=level)

    indicated = {str(m.data["id"]): m for m in content.medicines if _sure(m, facts)}
    cis = tuple(r for r in content.contraindications if r.data["medicine"] in indicated and _sure(r, facts))
    fired += [r.id for r in cis]
    medicines: dict[str, str] = {}
    reasons: dict[str, tuple[Rule, ...]] = {}
    for m in content.medicines:
        mid = str(m.data["id"])
        reasons[mid] = tuple(r for r in cis if r.data["medicine"] == mid)
        if mid not in indicated:
            medicines[mid] = "not_indicated"
            continue
        fired.append(m.id)
        kinds = {r.data["kind"] for r in reasons[mid]}
        medicines[mid] = "excluded" if "absolute" in kinds else "clinician_review" if kinds else "consider"
    facts = facts.but(medicines=medicines)

    matching = [p for p in content.pathways if _sure(p, facts)]
    primary = matching[0]
    fired += [p.id for p in matching if p.data["id"] != "wellbeing" or p is primary]
    eligibility = None
    elig_rule = primary.data.get("eligibility")
    if elig_rule is not None:
        eligibility = "candidate" if _sure(elig_rule, facts) else "clinician_review"
        if eligibility == "candidate":
            fired.append(elig_rule.id)
    checks = [c for c in content.checks if _sure(c, facts)]
    fired += [c.id for c in checks]
    priority = "routine"
    for r in content.priority:
        if _sure(r, facts):
            priority = str(r.data["value"])
            fired.append(r.id)
            break
    return Decision(
        answers=clean,
        facts=facts,
        findings=tuple(str(f.data["id"]) for f in content.findings if facts.findings[str(f.data["id"])]),
        safety=content.safety_levels[level],
        contraindications=cis,
        medicines=medicines,
        medicine_reasons=reasons,
        pathway=str(primary.data["id"]),
        eligibility=eligibility,
        also=tuple(str(p.data["id"]) for p in matching[1:] if p.data["id"] != "wellbeing"),
        priority=priority,
        checks=tuple(str(c.data["id"]) for c in checks),
        fired=tuple(fired),
    )


def score_summary(content: Content, facts: Facts, score_id: str) -> dict[str, Any]:
    """The plan JSON's entry for one score: the total only when every item was answered.

    A score cut short by curtailment is a bound on the side its finding was decided
    (">= 12" when positive, "<= 6" when negative); an undecided partial score has none.
    """
    s = content.scores[score_id]
    rng: Range | None = facts.score(score_id)
    answered = sum(1 for i in s.items if facts.states.get(i) is State.ANSWERED)
    complete = rng is not None and all(facts.states.get(i) in (State.ANSWERED, State.IMPLIED) for i in s.items)
    total = rng.lo if rng is not None and complete else None
    bound = None
    if rng is not None and not complete:
        decided = [evaluate(f.when, facts) for f in content.instrument(s.instrument).findings]
        if any(r is True for r in decided):
            bound = f">= {rng.lo}"
        elif decided and all(r is False for r in decided):
            bound = f"<= {rng.hi}"
    bands = band_range(s, rng)
    band = s.bands[bands.lo].id if bands is not None and bands.known else None
    return {"total": total, "bound": bound, "band": band, "complete": complete, "items_answered": answered}


def zone(d: Decision, band_id: str) -> str | None:
    rng = d.facts.band(band_id)
    if rng is None:
        return None
    if not rng.known:  # a complete AUDIT has exactly one zone
        raise EngineError("undecided_rule", "the AUDIT zone is not known", band_id)
    return ("I", "II", "III", "IV")[rng.lo]


def build_plan(content: Content, answers: Mapping[str, Any], lang: str = "en") -> dict[str, Any]:
    """The plan JSON of `architecture.md` for one complete pass of answers.

    >>> from screenplan.engine.content import load_content
    >>> build_plan(load_content(), {"age": 16})["pathway"]["primary"]
    'out_of_scope'
    """
    from .sections import sections

    d = decide(content, answers)
    auditc = d.facts.score("auditc")
    minor = d.pathway == "out_of_scope"
    return {
        "engine_version": ENGINE_VERSION,
        "content_version": content.version,
        "scores": {k: score_summary(content, d.facts, k) for k in SCORE_KEYS},
        "auditc": {
            "total": None if minor or auditc is None else auditc.lo,
            "positive": "auditc_positive" in d.findings,
        },
        "audit_zone": zone(d, "audit"),
        "intervention_zone": zone(d, "intervention_zone"),
        "findings": list(d.findings),
        "safety": {"level": d.safety},
        "contraindications": [
            {"id": r.data["id"], "medicine": r.data["medicine"], "kind": r.data["kind"]} for r in d.contraindications
        ],
        "medicines": dict(d.medicines),
        "pathway": {"primary": d.pathway, "eligibility": d.eligibility, "also": list(d.also)},
        "priority": d.priority,
        "checks": list(d.checks),
        "sections": sections(content, d, lang),
        "rules_fired": list(d.fired),
    }
