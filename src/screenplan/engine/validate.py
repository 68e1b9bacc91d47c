"""Turning parsed content files into a `Content`, refusing anything inconsistent.

Each refusal is an `EngineError` with a code, the file and the path inside it:
  missing_key, bad_type, bad_value, duplicate_id, unknown_reference, reference_order,
  unreachable_item, band_gap, band_overlap, score_range_mismatch, missing_source,
  missing_text, bad_condition, bad_operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .conditions import check_shape, references
from .content import (
    EVIDENCE_LEVELS,
    NOT_GIVEN,
    Band,
    Content,
    Gate,
    Instrument,
    Item,
    Option,
    Rule,
    Score,
)
from .errors import EngineError
from .references import check_references

ITEM_TYPES = ("choice", "integer", "multi")
ITEM_KEYS = {"id", "text", "type", "options", "stem", "min", "max", "unit", "loinc", "safety", "exclusive", "help"}
INSTRUMENT_KEYS = {
    "id",
    "title",
    "short_title",
    "section",
    "citation",
    "sources",
    "licence",
    "text_source",
    "verification_needed",
    "stem",
    "option_sets",
    "items",
    "scores",
    "findings",
    "translations",
    "loinc",
}
SCORE_KEYS = {"id", "label", "items", "range", "bands", "loinc", "escalate"}
BAND_KEYS = {"id", "min", "max", "label", "meaning"}


def need(doc: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if not isinstance(doc, Mapping) or key not in doc:
        raise EngineError("missing_key", f"'{key}' is required here", where)
    value = doc[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise EngineError("bad_type", f"'{key}' must be {getattr(kind, '__name__', kind)}", f"{where}.{key}")
    return value


RULE_KEYS = {"rule", "when", "indicated_when", "candidate_when", "rationale", "sources", "evidence"}


def rule(
    doc: Mapping[str, Any],
    where: str,
    cond_key: str = "when",
    outcome: tuple[str, ...] = (),
) -> Rule:
    """A rule: id, condition (required: a missing one must never mean "always"), reasons."""
    rid = need(doc, "rule", where)
    extra = set(doc) - RULE_KEYS - set(outcome)
    if extra:
        raise EngineError("bad_key", f"unexpected keys {sorted(extra)} (allowed: {sorted(outcome)})", where)
    when = need(doc, cond_key, where, dict)
    check_shape(when, f"{where}.{cond_key}")
    evidence = doc.get("evidence", "C")
    if evidence not in EVIDENCE_LEVELS:
        raise EngineError("bad_value", f"evidence must be one of {EVIDENCE_LEVELS}", f"{where}.evidence")
    return Rule(
        id=rid,
        when=when,
        rationale=str(need(doc, "rationale", where)).strip(),
        sources=tuple(need(doc, "sources", where, list)),
        evidence=evidence,
        data={k: v for k, v in doc.items() if k in outcome},
        where=where,
        cond_key=cond_key,
    )


def strict(doc: Any, where: str, allowed: set[str]) -> None:
    """Refuse misspelled keys (a silent `saftey: true` would let a safety item be skipped)."""
    if not isinstance(doc, Mapping):
        raise EngineError("bad_type", "expected a mapping", where)
    extra = set(doc) - allowed
    if extra:
        raise EngineError("bad_key", f"unexpected keys {sorted(extra)} (allowed: {sorted(allowed)})", where)


def option(doc: Any, where: str) -> Option:
    strict(doc, where, {"value", "label", "points", "loinc", "show_when", "loinc_aliases"})
    value = need(doc, "value", where, (int, str))
    points = doc.get("points", value if isinstance(value, int) else None)
    show_when = doc.get("show_when")
    if show_when is not None:
        check_shape(show_when, f"{where}.show_when")
    aliases = []
    for k, alias in enumerate(doc.get("loinc_aliases") or []):
        aw = f"{where}.loinc_aliases[{k}]"
        strict(alias, aw, {"code", "display"})
        aliases.append((need(alias, "code", aw), need(alias, "display", aw)))
    label = str(need(doc, "label", where))
    return Option(value, label, points, doc.get("loinc"), show_when, tuple(aliases))


def instrument(name: str, doc: Mapping[str, Any]) -> Instrument:
    strict(doc, name, INSTRUMENT_KEYS)
    iid = need(doc, "id", name)
    option_sets = doc.get("option_sets") or {}
    items = []
    for n, it in enumerate(need(doc, "items", name, list)):
        where = f"{name}: items[{n}]"
        strict(it, where, ITEM_KEYS)
        opts = it.get("options", [])
        set_name = opts if isinstance(opts, str) else ""
        if isinstance(opts, str):
            if opts not in option_sets:
                raise EngineError("unknown_reference", f"no option set '{opts}' in option_sets", where)
            opts = option_sets[opts]
        kind = it.get("type", "choice")
        if kind not in ITEM_TYPES:
            raise EngineError("bad_value", f"type must be one of {ITEM_TYPES}", f"{where}.type")
        options = tuple(option(o, f"{where}.options[{k}]") for k, o in enumerate(opts))
        values = [o.value for o in options]
        if len(set(values)) != len(values):
            raise EngineError("duplicate_id", "two options share a value", f"{where}.options")
        # An answer code must name one answer of the question, or an import could not tell which.
        codes = [c for o in options for c in ([o.loinc] if o.loinc else []) + [a[0] for a in o.loinc_aliases]]
        if len(set(codes)) != len(codes):
            raise EngineError("duplicate_id", "two options share a LOINC answer code", f"{where}.options")
        if kind != "integer" and not options:
            raise EngineError("missing_key", "a choice or multi question needs options", where)
        if kind == "integer" and ("min" not in it or "max" not in it):
            raise EngineError("missing_key", "an integer question needs min and max", where)
        items.append(
            Item(
                id=need(it, "id", where),
                instrument=iid,
                text=str(need(it, "text", where)).strip(),
                type=kind,
                options=options,
                stem=str(it.get("stem", doc.get("stem", ""))).strip(),
                min=it.get("min"),
                max=it.get("max"),
                loinc=it.get("loinc"),
                safety=bool(it.get("safety", False)),
                exclusive=it.get("exclusive"),
                help=it.get("help", ""),
                option_set=set_name,
            )
        )
    scores = tuple(score(iid, s, f"{name}: scores[{n}]") for n, s in enumerate(doc.get("scores") or []))
    findings = tuple(
        rule(f, f"{name}: findings[{n}]", outcome=("id", "label")) for n, f in enumerate(doc.get("findings") or [])
    )
    for n, f in enumerate(findings):
        need(f.data, "id", f"{name}: findings[{n}]")
    return Instrument(
        id=iid,
        title=need(doc, "title", name),
        short_title=need(doc, "short_title", name),
        section=need(doc, "section", name),
        citation=str(need(doc, "citation", name)).strip(),
        sources=tuple(need(doc, "sources", name, list)),
        licence=str(need(doc, "licence", name)).strip(),
        text_source=str(doc.get("text_source", "")).strip(),
        verification_needed=tuple(doc.get("verification_needed") or ()),
        stem=str(doc.get("stem", "")).strip(),
        items=tuple(items),
        scores=scores,
        findings=findings,
        translations=doc.get("translations") or {},
        loinc=doc.get("loinc"),
    )


def score(iid: str, doc: Mapping[str, Any], where: str) -> Score:
    strict(doc, where, SCORE_KEYS)
    rng = need(doc, "range", where, list)
    if len(rng) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in rng):
        raise EngineError("bad_type", "range must be two whole numbers [low, high]", f"{where}.range")
    lo, hi = rng
    bands = []
    for k, b in enumerate(doc.get("bands") or []):
        bw = f"{where}.bands[{k}]"
        strict(b, bw, BAND_KEYS)
        bands.append(
            Band(
                need(b, "id", bw),
                need(b, "min", bw, int),
                need(b, "max", bw, int),
                need(b, "label", bw),
                need(b, "meaning", bw),
            )
        )
    expected = lo
    for k, b in enumerate(bands):
        if b.min > expected:
            raise EngineError("band_gap", f"no band covers {expected}-{b.min - 1}", f"{where}.bands[{k}]")
        if b.min < expected:
            raise EngineError("band_overlap", f"band starts at {b.min}, inside the band before", f"{where}.bands[{k}]")
        expected = b.max + 1
    if bands and expected != hi + 1:
        raise EngineError("band_gap", f"bands end at {expected - 1}, the range ends at {hi}", f"{where}.bands")
    esc = doc.get("escalate")
    return Score(
        id=need(doc, "id", where),
        instrument=iid,
        label=need(doc, "label", where),
        items=tuple(need(doc, "items", where, list)),
        range=(lo, hi),
        bands=tuple(bands),
        loinc=doc.get("loinc"),
        escalate=rule(esc, f"{where}.escalate", outcome=("band",)) if esc else None,
    )


def build(docs: Mapping[str, Any], digest: str) -> Content:
    flow, rules_doc = docs.get("flow.yaml"), docs.get("rules.yaml")
    if not isinstance(flow, Mapping) or not isinstance(rules_doc, Mapping):
        raise EngineError("missing_key", "flow.yaml and rules.yaml must both be present", "content")
    by_id = {}
    for name, doc in docs.items():
        if name.startswith("instruments/"):
            inst = instrument(name, doc)
            if inst.id in by_id:
                raise EngineError("duplicate_id", f"instrument '{inst.id}' is defined twice", name)
            by_id[inst.id] = (name, inst)
    sequence, after = _sequence(flow, by_id)
    instruments = tuple(by_id[iid][1] for iid in dict.fromkeys(item.instrument for item in sequence))

    items: dict[str, Item] = {}
    scores: dict[str, Score] = {}
    findings: list[Rule] = []
    for item in sequence:
        items[item.id] = item
    for inst in instruments:
        name = by_id[inst.id][0]
        for k, sc in enumerate(inst.scores):
            if sc.id in scores:
                raise EngineError("duplicate_id", f"score id '{sc.id}' is used twice", f"{name}: scores[{k}].id")
            scores[sc.id] = sc
        findings.extend(inst.findings)
    scored = {i for sc in scores.values() for i in sc.items}
    curtail = _curtail(flow.get("curtail") or {})

    safety_doc = need(rules_doc, "safety", "rules.yaml", dict)
    content = Content(
        version=f"{flow.get('version', '0')}.{rules_doc.get('version', '0')}+{digest}",
        instruments=instruments,
        items=items,
        scores=scores,
        findings=tuple(findings),
        stop=tuple(rule(r, f"flow.yaml: stop[{n}]") for n, r in enumerate(flow.get("stop") or [])),
        gates={},
        gate_rules=(),
        curtail=curtail,
        curtail_rule=Rule(
            "R-FLOW-CURTAIL",
            {"all": []},
            str(flow.get("curtail_rationale", "")).strip(),
            tuple(flow.get("curtail_sources") or ()),
            "A",
        ),
        relevance_rule=Rule(
            "R-FLOW-RELEVANCE",
            {"all": []},
            str(flow.get("relevance_rationale", "")).strip(),
            tuple(flow.get("relevance_sources") or ()),
            "C",
        ),
        safety_levels=tuple(need(safety_doc, "levels", "rules.yaml: safety", list)),
        safety=tuple(
            rule(r, f"rules.yaml: safety.rules[{n}]", outcome=("level",))
            for n, r in enumerate(safety_doc.get("rules") or [])
        ),
        **{
            key: tuple(
                rule(r, f"rules.yaml: {key}[{n}]", outcome=fields) for n, r in enumerate(rules_doc.get(key) or [])
            )
            for key, fields in (
                ("contraindications", ("id", "medicine", "kind")),
                ("checks", ("id",)),
                ("priority", ("value",)),
            )
        },
        medicines=tuple(
            rule(r, f"rules.yaml: medicines[{n}]", cond_key="indicated_when", outcome=("id",))
            for n, r in enumerate(rules_doc.get("medicines") or [])
        ),
        pathways=tuple(
            _pathway(r, f"rules.yaml: pathways[{n}]") for n, r in enumerate(rules_doc.get("pathways") or [])
        ),
        sources=dict(docs.get("sources.yaml") or {}),
        texts={name[len("text/") : -len(".yaml")]: doc for name, doc in docs.items() if name.startswith("text/")},
        before_plan=tuple(i for i in items if i not in after),
        after_plan=tuple(i for i in items if i in after),
        relevance=frozenset(i for i, it in items.items() if i not in after and i not in scored and not it.safety),
    )
    gates: dict[str, Gate] = {}
    gate_list = []
    for n, g in enumerate(flow.get("gates") or []):
        where = f"flow.yaml: gates[{n}]"
        gate = Gate(
            rule(g, where, outcome=("items", "otherwise")),
            tuple(need(g, "items", where, list)),
            g.get("otherwise", NOT_GIVEN),
        )
        for item_id in gate.items:
            if item_id not in items:
                raise EngineError("unknown_reference", f"no question '{item_id}'", f"{where}.items")
            if items[item_id].safety and not _on_safety_answers(gate.rule.when, items, scores):
                raise EngineError(
                    "bad_value",
                    f"'{item_id}' is a safety question: only other safety answers may skip it (an acuity follow-up)",
                    f"{where}.items",
                )
            if item_id in gates:
                raise EngineError("duplicate_id", f"question '{item_id}' has two gates", f"{where}.items")
            gates[item_id] = gate
        gate_list.append(gate)
    content = replace(content, gates=gates, gate_rules=tuple(gate_list))
    check_references(content, by_id)
    return content


def _sequence(flow: Mapping[str, Any], by_id: Mapping[str, tuple[str, Instrument]]) -> tuple[list[Item], set[str]]:
    """Every question in the order it is asked, and the ids of those asked after the plan.

    `order` (and `after_plan`) name instruments, whose questions come in the instrument's own
    order, or single questions placed on their own (`sex` where it first matters). A question
    is asked once; an instrument's questions are never reordered, and a validated instrument
    (one with a score) is asked whole, in one run.
    """
    owner: dict[str, Instrument] = {}
    for name, inst in by_id.values():
        for k, it in enumerate(inst.items):
            if it.id in owner:
                raise EngineError("duplicate_id", f"question id '{it.id}' is used twice", f"{name}: items[{k}].id")
            owner[it.id] = inst
    entries = [("order", e) for e in need(flow, "order", "flow.yaml", list)]
    entries += [("after_plan", e) for e in flow.get("after_plan") or []]
    placed = {e for _, e in entries if e in owner and e not in by_id}  # an instrument id wins
    sequence: list[Item] = []
    seen: set[str] = set()
    after: set[str] = set()
    named: set[str] = set()
    for n, (key, entry) in enumerate(entries):
        where = f"flow.yaml: {key}[{n if key == 'order' else n - len(flow['order'])}]"
        if entry in by_id:
            named.add(entry)
            new = [it for it in by_id[entry][1].items if it.id not in placed]
        elif entry in owner:
            new = [next(it for it in owner[entry].items if it.id == entry)]
        else:
            raise EngineError("unknown_reference", f"no instrument or question '{entry}'", where)
        for it in new:
            if it.id in seen:
                raise EngineError("duplicate_id", f"question '{it.id}' is placed twice", where)
            seen.add(it.id)
            sequence.append(it)
            if key == "after_plan":
                after.add(it.id)
    for iid, (name, inst) in by_id.items():
        if iid not in named:
            raise EngineError("unreachable_item", f"instrument '{iid}' is not in the flow's order", name)
        asked = [it.id for it in sequence if it.instrument == iid]
        if asked != [it.id for it in inst.items]:
            raise EngineError("reference_order", f"the questions of '{iid}' must keep their own order", name)
        positions = [k for k, it in enumerate(sequence) if it.instrument == iid]
        if inst.scores and positions and positions[-1] - positions[0] != len(positions) - 1:
            raise EngineError("reference_order", f"'{iid}' is a validated instrument: ask it whole", name)
    return sequence, after


def _on_safety_answers(cond: Any, items: Mapping[str, Item], scores: Mapping[str, Score]) -> bool:
    """Whether a condition looks only at safety questions (directly or through a score)."""
    asked: list[str] = []
    for kind, ref in references(cond):
        if kind == "item":
            asked.append(ref)
        elif kind == "score" and ref in scores:
            asked += scores[ref].items
        else:
            return False
    return all(i in items and items[i].safety for i in asked)


CURTAIL_SIDES = ("negative", "both")


def _curtail(doc: Any) -> dict[str, str]:
    if not isinstance(doc, Mapping):
        raise EngineError("bad_type", "curtail maps instrument ids to negative or both", "flow.yaml: curtail")
    for iid, side in doc.items():
        if side not in CURTAIL_SIDES:
            raise EngineError("bad_value", f"curtail side must be one of {CURTAIL_SIDES}", f"flow.yaml: curtail.{iid}")
    return dict(doc)


def _pathway(doc: Mapping[str, Any], where: str) -> Rule:
    r = rule(doc, where, outcome=("id", "eligibility"))
    need(r.data, "id", where)
    elig = r.data.get("eligibility")
    if elig is not None:
        data = dict(r.data)
        data["eligibility"] = rule(elig, f"{where}.eligibility", cond_key="candidate_when")
        r = replace(r, data=data)
    return r
