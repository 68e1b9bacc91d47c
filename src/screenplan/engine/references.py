"""Cross-file checks: every reference resolves, is decided before it is used, and makes sense."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .conditions import ORDER_OPS, Condition, references
from .content import MEDICINE_STATUSES, Content, Instrument, Rule
from .errors import EngineError

REQUIRED_TEXT = ("pathways", "medicines", "checks", "statuses", "sections", "findings")


def _walk(cond: Condition) -> Iterable[Mapping[str, Any]]:
    if "all" in cond or "any" in cond:
        for c in cond.get("all", cond.get("any", ())):
            yield from _walk(c)
    else:
        yield cond


class Checker:
    def __init__(self, content: Content) -> None:
        self.c = content
        self.order = {item_id: n for n, item_id in enumerate(content.items)}
        self.bands: dict[str, tuple[str, ...]] = {"safety": content.safety_levels}
        for s in content.scores.values():
            if s.bands:
                self.bands[s.id] = tuple(b.id for b in s.bands)
                if s.escalate:
                    self.bands[str(s.escalate.data["band"])] = self.bands[s.id]
        self.finding_ids = [str(f.data["id"]) for f in content.findings]
        self.after_plan = set(content.after_plan)
        self.medicine_ids = [str(m.data["id"]) for m in content.medicines]

    def condition(
        self,
        cond: Condition,
        where: str,
        allowed: str,
        findings_before: int | None = None,
        items_before: int | None = None,
    ) -> None:
        """Check one condition; `allowed` lists the kinds of fact available at that stage."""
        for ref in _walk(cond):
            ((kind, ref_id),) = references(ref)
            if kind not in allowed:
                raise EngineError("reference_order", f"a {kind} is not known yet at this point", where)
            op, value = ref.get("op", "exists"), ref.get("value", True)
            if kind in ("item", "score") and self._after_plan(kind, ref_id):
                raise EngineError(
                    "reference_order", f"{kind} '{ref_id}' is asked after the plan: no decision may use it", where
                )
            if kind == "item":
                self._item(ref_id, op, value, where, items_before)
            elif kind == "score":
                if ref_id not in self.c.scores:
                    raise EngineError("unknown_reference", f"no score '{ref_id}'", where)
                score_items = self.c.scores[ref_id].items
                if items_before is not None and max(self.order[i] for i in score_items) >= items_before:
                    raise EngineError("unreachable_item", f"score '{ref_id}' is not known before this question", where)
                if op != "exists" and (isinstance(value, bool) or not isinstance(value, int)):
                    raise EngineError("bad_value", f"score '{ref_id}' is compared with a whole number", where)
            elif kind == "band":
                if ref_id not in self.bands:
                    raise EngineError("unknown_reference", f"no band '{ref_id}'", where)
                if op != "exists" and value not in self.bands[ref_id]:
                    raise EngineError("bad_value", f"'{value}' is not one of {list(self.bands[ref_id])}", where)
            elif kind == "finding":
                known = self.finding_ids if findings_before is None else self.finding_ids[:findings_before]
                if ref_id not in self.finding_ids:
                    raise EngineError("unknown_reference", f"no finding '{ref_id}'", where)
                if ref_id not in known:
                    raise EngineError("reference_order", f"finding '{ref_id}' is decided after this rule", where)
            elif kind == "medicine":
                if ref_id not in self.medicine_ids:
                    raise EngineError("unknown_reference", f"no medicine '{ref_id}'", where)
                if op != "exists" and value not in MEDICINE_STATUSES:
                    raise EngineError("bad_value", f"a status is one of {list(MEDICINE_STATUSES)}", where)

    def _after_plan(self, kind: str, ref_id: str) -> bool:
        if kind == "item":
            return ref_id in self.after_plan
        score = self.c.scores.get(ref_id)
        return score is not None and bool(self.after_plan.intersection(score.items))

    def _item(self, item_id: str, op: str, value: Any, where: str, before: int | None) -> None:
        item = self.c.items.get(item_id)
        if item is None:
            raise EngineError("unknown_reference", f"no question '{item_id}'", where)
        if before is not None and self.order[item_id] >= before:
            raise EngineError("unreachable_item", f"'{item_id}' is asked later, so this cannot be decided", where)
        if op == "exists":
            return
        if item.type == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise EngineError("bad_value", f"'{item_id}' is compared with a whole number", where)
        elif item.option(value) is None:
            raise EngineError("bad_value", f"'{value!r}' is not an answer of '{item_id}'", where)
        elif op in ORDER_OPS and not isinstance(value, int):
            raise EngineError("bad_operator", f"'{op}' needs a numeric answer", where)

    def sources(self, refs: Iterable[str], where: str) -> None:
        for src in refs:
            if src not in self.c.sources:
                raise EngineError("missing_source", f"source '{src}' is not in sources.yaml", where)

    def rule(self, r: Rule, where: str, allowed: str, findings_before: int | None = None) -> None:
        self.condition(r.when, f"{where}.{r.cond_key}", allowed, findings_before)
        self.sources(r.sources, f"{where}.sources")


def check_references(content: Content, files: Mapping[str, tuple[str, Instrument]]) -> None:
    ck = Checker(content)
    seen: dict[str, str] = {}
    for r in content.rules() + [g.rule for g in content.gate_rules] + list(content.stop):
        if r.id in seen:
            raise EngineError("duplicate_id", f"rule id '{r.id}' is also used at {seen[r.id]}", f"{r.where}.rule")
        seen[r.id] = r.where
    for name, inst in files.values():
        ck.sources(inst.sources, name)
        for k, s in enumerate(inst.scores):
            _score_range(content, s.id, f"{name}: scores[{k}]")
            if s.escalate:
                ck.rule(s.escalate, s.escalate.where, "item score band")
        for it in inst.items:
            for opt in it.options:
                if opt.show_when:
                    ck.condition(
                        opt.show_when, f"{name}: {it.id}.{opt.value}.show_when", "item", items_before=ck.order[it.id]
                    )
        _translations(content, inst, name)
    for n, f in enumerate(content.findings):
        ck.rule(f, f.where, "item score band finding", findings_before=n)
    if len(set(ck.finding_ids)) != len(ck.finding_ids):
        raise EngineError("duplicate_id", "two findings share an id", "findings")
    for r in content.stop:
        ck.condition(r.when, f"{r.where}.when", "item", items_before=1)
    for g in content.gate_rules:
        first = min(ck.order[i] for i in g.items)
        ck.condition(g.rule.when, f"{g.rule.where}.when", "item score", items_before=first)
        ck.sources(g.rule.sources, f"{g.rule.where}.sources")
    for iid in content.curtail:
        if iid not in files:
            raise EngineError("unknown_reference", f"no instrument '{iid}' to curtail", "flow.yaml: curtail")
    for r in content.safety:
        ck.rule(r, r.where, "item score finding")
        if r.data.get("level") not in content.safety_levels:
            raise EngineError("bad_value", "level must be one of safety.levels", r.where)
    meds = set(ck.medicine_ids)
    for r in content.contraindications:
        ck.rule(r, r.where, "item score band finding")
        if r.data.get("medicine") not in meds:
            raise EngineError("unknown_reference", f"no medicine '{r.data.get('medicine')}'", f"{r.where}.medicine")
        if r.data.get("kind") not in ("absolute", "relative"):
            raise EngineError("bad_value", "kind must be absolute or relative", f"{r.where}.kind")
    for r in content.medicines:
        ck.rule(r, r.where, "item score band finding")
    for r in content.pathways:
        ck.rule(r, r.where, "item score band finding medicine")
        if r.data.get("eligibility"):
            ck.rule(r.data["eligibility"], r.data["eligibility"].where, "item score band finding medicine")
    for r in [*content.checks, *content.priority]:
        ck.rule(r, r.where, "item score band finding medicine")
    _texts(content)


def _score_range(content: Content, score_id: str, where: str) -> None:
    s = content.scores[score_id]
    lo = hi = 0
    for item_id in s.items:
        if item_id not in content.items:
            raise EngineError("unknown_reference", f"score '{score_id}' sums unknown question '{item_id}'", where)
        a, b = content.items[item_id].point_range()
        lo, hi = lo + a, hi + b
    if (lo, hi) != s.range:
        raise EngineError(
            "score_range_mismatch",
            f"score '{score_id}' declares range {list(s.range)} but its items sum to [{lo}, {hi}]",
            where,
        )


def _translations(content: Content, inst: Instrument, where: str) -> None:
    for lang, tr in inst.translations.items():
        for item_id in tr.get("items") or {}:
            if item_id not in content.items or content.items[item_id].instrument != inst.id:
                raise EngineError(
                    "unknown_reference", f"translation of unknown question '{item_id}'", f"{where}: translations.{lang}"
                )
        # A translation may cover only some questions (the others show in English with a
        # note); each translated option list must match its set's length.
        for set_name, labels in (tr.get("options") or {}).items():
            sizes = {len(i.options) for i in inst.items if i.option_set == set_name}
            if sizes != {len(labels)}:
                raise EngineError(
                    "bad_value",
                    f"option set '{set_name}' has no {len(labels)}-answer match",
                    f"{where}: translations.{lang}",
                )


def _texts(content: Content) -> None:
    if "en" not in content.texts:
        raise EngineError("missing_text", "text/en.yaml is required", "text/")
    need = {
        "pathways": [str(p.data["id"]) for p in content.pathways],
        "medicines": [str(m.data["id"]) for m in content.medicines],
        "checks": [str(c.data["id"]) for c in content.checks],
        "findings": [str(f.data["id"]) for f in content.findings],
        "statuses": list(MEDICINE_STATUSES),
    }
    for lang, texts in content.texts.items():
        for group, ids in need.items():
            table = texts.get(group) or {}
            for key in ids:
                if key not in table:
                    raise EngineError("missing_text", f"no text for {group[:-1]} '{key}'", f"text/{lang}.yaml: {group}")
