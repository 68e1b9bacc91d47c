"""FHIR R4 export as plain dicts: Questionnaire, QuestionnaireResponse, Observation, CarePlan, Bundle.

Pure functions: no Django, no I/O, no clock (timestamps come in as arguments), and no
`fhir.resources` either (the tests validate every resource against its R4B models). Codes are
LOINC where the content has one (items, answers, panels, totals) and otherwise Screenplan's own
code systems under `BASE`; an answer of ours is coded `str(value)` in the `ANSWERS` system, which
is scoped by the question it answers.

Gates become `enableWhen` only where the translation is exact; every gated item also carries a
`GATE` extension naming the rule, its condition and whether `enableWhen` expresses it, so a gate
that plain `enableWhen` cannot express (AUDIT-C >= 3) is documented, never approximated.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from screenplan.engine import Content, EngineError, Item, check_value, load_content
from screenplan.engine.conditions import references
from screenplan.engine.content import NOT_GIVEN, Option
from screenplan.engine.localize import Wording, wording

BASE = "https://screenplan.example/fhir"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ANSWERS = f"{BASE}/CodeSystem/answers"
SCORES = f"{BASE}/CodeSystem/scores"
BANDS = f"{BASE}/CodeSystem/bands"
PATHWAYS = f"{BASE}/CodeSystem/pathways"
CHECKS = f"{BASE}/CodeSystem/checks"
PHASES = f"{BASE}/CodeSystem/plan-phases"
RESULTS = f"{BASE}/results"
GATE = f"{BASE}/StructureDefinition/gate"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
BATTERY = "screen"  # the Questionnaire id of the whole screen
NEGATE = {"<": ">=", ">=": "<", ">": "<=", "<=": ">"}

When = tuple[list[dict[str, Any]], str | None]  # enableWhen entries, enableBehavior (None: one entry)


def questionnaire_url(instrument_id: str | None = None) -> str:
    return f"{BASE}/Questionnaire/{instrument_id or BATTERY}"


def group_link(instrument_id: str) -> str:
    """The linkId of an instrument's group in the battery (item ids such as "health" repeat instrument ids)."""
    return f"group.{instrument_id}"


def answer_coding(opt: Option, label: str | None = None) -> dict[str, Any]:
    """The Coding of an answer option: LOINC's answer code where it has one, else ours."""
    code = {"system": LOINC, "code": opt.loinc} if opt.loinc else {"system": ANSWERS, "code": str(opt.value)}
    return {**code, "display": opt.label if label is None else label}


def _match(coding: Mapping[str, Any]) -> dict[str, Any]:
    return {"system": coding["system"], "code": coding["code"]}


# --- gates -> enableWhen -------------------------------------------------------------------


def _leaf(item: Item, op: str, value: Any) -> When | None:
    """One answer condition; an order on coded answers (no such gate yet) is left to the extension."""
    if op == "exists":
        return [{"question": item.id, "operator": "exists", "answerBoolean": bool(value)}], None
    if item.type == "integer":
        entry = {"question": item.id, "operator": op, "answerInteger": int(value)}
    elif op in ("=", "!=") and (opt := item.option(value)) is not None:
        entry = {"question": item.id, "operator": op, "answerCoding": _match(answer_coding(opt))}
    else:
        return None
    if op == "!=":  # FHIR's != holds for a missing answer, the engine's does not: require one
        return [{"question": item.id, "operator": "exists", "answerBoolean": True}, entry], "all"
    return [entry], None


def enable_when(content: Content, cond: Mapping[str, Any], linkids: Iterable[str]) -> When | None:
    """`cond` as FHIR enableWhen entries over the questions in `linkids`, or None if not exact.

    A score condition is exact only as "some answer alone reaches it": `score >= N` where every
    option worth points is worth N or more (ASQ >= 1: any of questions 1-4 answered yes or
    declined); AUDIT-C >= 3 is a sum over three questions, which plain enableWhen cannot add up.
    """
    known = set(linkids)
    for group, behavior in (("all", "all"), ("any", "any")):
        if group in cond:
            entries: list[dict[str, Any]] = []
            for part in cond[group]:
                got = enable_when(content, part, known)
                if got is None or got[1] not in (None, behavior):
                    return None
                entries += got[0]
            return entries, behavior if len(entries) > 1 else None
    op, value = cond.get("op", "exists"), cond.get("value", True)
    # An answer a closed gate implies is invisible to enableWhen: conditions on it are not exact.
    if "item" in cond:
        ok = cond["item"] in known and cond["item"] not in content.gates
        return _leaf(content.items[cond["item"]], op, value) if ok else None
    if "score" in cond and op in (">=", ">"):
        need = int(value) + (op == ">")
        items = [content.items[i] for i in content.scores[cond["score"]].items]
        if need < 1 or any(i.id not in known or i.id in content.gates or i.type != "choice" for i in items):
            return None
        if any(o.points is None or 0 < o.points < need or o.points < 0 for i in items for o in i.options):
            return None
        entries = [
            {"question": i.id, "operator": "=", "answerCoding": _match(answer_coding(o))}
            for i in items
            for o in i.options
            if o.points is not None and o.points >= need
        ]
        return entries, "any" if len(entries) > 1 else None
    return None


def condition_text(content: Content, cond: Mapping[str, Any]) -> str:
    """A condition in words, for the GATE extension: "score auditc (AUDIT-C (items 1-3)) >= 3"."""
    for group in ("all", "any"):
        if group in cond:
            parts = [condition_text(content, c) for c in cond[group]]
            joiner = " and " if group == "all" else " or "
            return joiner.join(f"({p})" if " and " in p or " or " in p else p for p in parts)
    op, value = cond.get("op", "exists"), cond.get("value", True)
    kind = next(k for k in ("item", "score", "band", "finding", "medicine") if k in cond)
    name = f"{kind} {cond[kind]}" if kind != "item" else str(cond[kind])
    if kind == "score":
        name += f" ({content.scores[cond['score']].label})"
    if op == "exists":
        return f"{name} {'is answered' if value else 'is not answered'}" if kind == "item" else f"{name} exists"
    return f"{name} {op} {value!r}" if isinstance(value, str) else f"{name} {op} {value}"


def _gate_extension(
    rule_id: str | None, text: str, expressed: bool, effect: str, otherwise: Any = None
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"url": "rule", "valueString": rule_id}] if rule_id else []
    parts += [
        {"url": "condition", "valueString": text},
        {"url": "effect", "valueCode": effect},  # "enable": asked when it holds; "stop": the screen ends
        {"url": "expressedAsEnableWhen", "valueBoolean": expressed},
    ]
    if otherwise is not None:
        parts.append({"url": "otherwise", **otherwise})
    return {"url": GATE, "extension": parts}


def _apply(out: dict[str, Any], when: When | None) -> None:
    if when is None:
        return
    entries, behavior = when
    out["enableWhen"] = out.get("enableWhen", []) + entries
    if len(out["enableWhen"]) > 1:
        out["enableBehavior"] = behavior or "all"


def _both(a: When | None, b: When | None) -> When | None:
    """Two conditions that must both hold, if enableWhen can say so (never mixing all and any)."""
    if a is None or b is None:
        return a or b
    if "any" in (a[1], b[1]):  # a single entry has behavior None
        return None
    return a[0] + b[0], "all"


# --- Questionnaire -------------------------------------------------------------------------


def _question(
    content: Content, item: Item, lang: str, linkids: set[str], stop: When | None = None, stop_ext: Sequence[Any] = ()
) -> dict[str, Any]:
    words = wording(content, item, lang)
    out: dict[str, Any] = {"linkId": item.id, "text": _text(content, item, words)}
    if item.loinc:
        out["code"] = [{"system": LOINC, "code": item.loinc}]
    ext: list[dict[str, Any]] = list(stop_ext) if stop else []
    when = stop
    gate = content.gates.get(item.id)
    if gate is not None:
        translated = enable_when(content, gate.rule.when, linkids)
        when = _both(stop, translated) or translated or stop  # never mix all and any: the gate wins
        otherwise = None
        if gate.otherwise is not NOT_GIVEN:
            opt = item.option(gate.otherwise)
            otherwise = {"valueCoding": answer_coding(opt)} if opt else {"valueInteger": gate.otherwise}
        text = condition_text(content, gate.rule.when)
        ext.append(_gate_extension(gate.rule.id, text, translated is not None, "enable", otherwise))
    if item.type == "integer":
        out["type"] = "integer"
        bounds = ((MIN_VALUE, item.min), (MAX_VALUE, item.max))
        ext += [{"url": url, "valueInteger": v} for url, v in bounds if v is not None]
    else:
        out["type"] = "choice"
        if item.type == "multi":
            out["repeats"] = True
        labelled = zip(item.options, words.labels, strict=True)
        out["answerOption"] = [_option(content, item, o, label) for o, label in labelled]
    if ext:
        out["extension"] = ext
    _apply(out, when)
    return out


def _option(content: Content, item: Item, opt: Option, label: str) -> dict[str, Any]:
    out: dict[str, Any] = {"valueCoding": answer_coding(opt, label)}
    ext: list[dict[str, Any]] = []
    if opt.points is not None:
        ext.append({"url": ORDINAL, "valueDecimal": opt.points})
    if item.type == "multi" and opt.value == item.exclusive:
        ext.append({"url": EXCLUSIVE, "valueBoolean": True})
    if opt.show_when is not None:  # R4 cannot hide one option: say when it is offered
        ext.append(_gate_extension(None, condition_text(content, opt.show_when), False, "enable"))
    if ext:
        out["extension"] = ext
    return out


def _stop_when(content: Content, linkids: set[str]) -> tuple[When | None, list[dict[str, Any]]]:
    """The flow's stop rules as the enableWhen that keeps later questions open, plus their extensions."""
    when: When | None = None
    ext = []
    for rule in content.stop:
        cond = rule.when
        negated = None
        if "item" in cond and cond.get("op") in NEGATE and cond["item"] in linkids:
            negated = _leaf(content.items[cond["item"]], NEGATE[cond["op"]], cond["value"])
        when = _both(when, negated) if negated else when
        ext.append(_gate_extension(rule.id, condition_text(content, cond), negated is not None, "stop"))
    return when, ext


def questionnaire(content: Content, instrument_id: str | None = None, *, lang: str = "en") -> dict[str, Any]:
    """A Questionnaire for one instrument, or (None) for the whole screen in groups per instrument."""
    ids = [i.id for i in content.instruments]
    if instrument_id is not None and instrument_id not in ids:
        raise EngineError("unknown_instrument", f"no instrument has this id (known: {', '.join(ids)})", instrument_id)
    instruments = [i for i in content.instruments if instrument_id in (None, i.id)]
    linkids = {item.id for inst in instruments for item in inst.items}
    stop, stop_ext = _stop_when(content, linkids) if instrument_id is None else (None, [])
    stop_items = {c for r in content.stop for kind, c in references(r.when) if kind == "item"}
    body: list[dict[str, Any]] = []
    for inst in instruments:
        tr: Mapping[str, Any] = inst.translations.get(lang) or {}
        items: list[dict[str, Any]] = []
        if inst.stem:
            items.append({"linkId": f"stem.{inst.id}", "type": "display", "text": tr.get("stem") or inst.stem})
        own_stop = any(i.id in stop_items for i in inst.items)
        seen_stop = False
        for item in inst.items:
            after_stop = own_stop and seen_stop
            items.append(_question(content, item, lang, linkids, stop if after_stop else None, stop_ext))
            seen_stop = seen_stop or item.id in stop_items
        if instrument_id is not None:
            body = items
            continue
        group: dict[str, Any] = {"linkId": group_link(inst.id), "text": tr.get("title") or inst.title, "type": "group"}
        if inst.loinc:
            group["code"] = [{"system": LOINC, "code": inst.loinc}]
        if not own_stop:
            if stop_ext:
                group["extension"] = stop_ext
            _apply(group, stop)
        body.append({**group, "item": items})
    only = instruments[0] if instrument_id is not None else None
    title = "Screenplan screen"
    if only is not None:
        title = (only.translations.get(lang) or {}).get("title") or only.title
    out: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument_id or BATTERY,
        "url": questionnaire_url(instrument_id),
        "identifier": [{"system": f"{BASE}/Questionnaire", "value": instrument_id or BATTERY}],
        "version": content.version,
        "name": "Screenplan" + "".join(p.capitalize() for p in (instrument_id or BATTERY).split("_")),
        "title": title,
        "status": "active",
        "subjectType": ["Patient"],
        "language": lang,
        "copyright": "\n\n".join(f"{i.short_title}: {i.licence}" for i in instruments) if not only else only.licence,
    }
    if only is not None and only.loinc:
        out["code"] = [{"system": LOINC, "code": only.loinc}]
    return {**out, "item": body}


# --- QuestionnaireResponse -----------------------------------------------------------------


def questionnaire_response(
    content: Content, answers: Mapping[str, Any], *, id: str, authored: str, lang: str = "en"
) -> dict[str, Any]:
    """The answers as a completed QuestionnaireResponse to the battery (groups per instrument)."""
    clean: dict[str, Any] = {}
    for key in answers:
        if key not in content.items:
            raise EngineError("unknown_item", "no question has this id", str(key))
    for item_id, item in content.items.items():
        if item_id in answers:
            clean[item_id] = check_value(content, item, answers[item_id], clean)
    groups = []
    for inst in content.instruments:
        items = [_answered(content, item, clean[item.id], lang) for item in inst.items if item.id in clean]
        if items:
            title = (inst.translations.get(lang) or {}).get("title") or inst.title
            groups.append({"linkId": group_link(inst.id), "text": title, "item": items})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": id,
        "questionnaire": f"{questionnaire_url()}|{content.version}",
        "status": "completed",
        "authored": authored,
        "language": lang,
        "item": groups,
    }


def _answered(content: Content, item: Item, value: Any, lang: str) -> dict[str, Any]:
    words = wording(content, item, lang)
    if item.type == "integer":
        answer = [{"valueInteger": value}]
    else:
        labels = dict(zip((o.value for o in item.options), words.labels, strict=True))
        chosen = value if item.type == "multi" else [value]
        answer = [{"valueCoding": answer_coding(o, labels[o.value])} for v in chosen if (o := item.option(v))]
    return {"linkId": item.id, "text": _text(content, item, words), "answer": answer}


def _text(content: Content, item: Item, words: Wording) -> str:
    """The question's words, led by its own stem where it differs from the instrument's (shown once)."""
    own = item.stem and item.stem != content.instrument(item.instrument).stem
    return f"{words.stem} {words.text}" if own else words.text


# --- Observations, CarePlan, Bundle --------------------------------------------------------


def observations(
    content: Content,
    plan: Mapping[str, Any],
    *,
    subject_ref: str | None,
    issued: str,
    derived_from: str | None = None,
    lang: str = "en",
) -> list[dict[str, Any]]:
    """One survey Observation per score with a total or a bound, and one for the AUDIT-C.

    Codings keep their English displays (those of the code systems); the texts a person reads
    (the score's name, its band, the note on a shortened score) are in `lang` where
    text/<lang>.yaml has them, else in English.
    """
    texts = content.texts.get(lang) or content.texts["en"]
    names = (texts.get("iceberg") or {}).get("scores") or {}
    out = []
    for key, summary in plan["scores"].items():
        if summary.get("total") is None and not summary.get("bound"):
            continue
        score = content.scores[key]
        obs = _observation(key, score.label, score.loinc, subject_ref, issued, derived_from, names.get(key), lang)
        if summary.get("total") is not None:
            obs["valueInteger"] = summary["total"]
        else:
            comparator, number = str(summary["bound"]).split()
            quantity = {"value": int(number), "comparator": comparator, "unit": "{score}", "system": UCUM}
            obs["valueQuantity"] = {**quantity, "code": "{score}"}
            note = _text_in(content, lang, "export", "shortened")
            fields = {"answered": summary.get("items_answered", 0), "count": len(score.items)}
            obs["note"] = [{"text": " ".join(note.format(**fields, bound=summary["bound"]).split())}]
        band = next((b for b in score.bands if b.id == summary.get("band")), None)
        if band is not None:
            coding = {"system": BANDS, "code": f"{key}.{band.id}", "display": band.label}
            label = ((texts.get("bands") or {}).get(key) or {}).get(band.id, {}).get("label") or band.label
            obs["interpretation"] = [{"coding": [coding], "text": label}]
        out.append(obs)
    auditc = plan.get("auditc") or {}
    if auditc.get("total") is not None:
        score = content.scores["auditc"]
        obs = _observation(
            "auditc", score.label, score.loinc, subject_ref, issued, derived_from, names.get("auditc"), lang
        )
        obs["valueInteger"] = auditc["total"]
        positive = bool(auditc.get("positive"))
        code, text = ("POS", "Positive") if positive else ("NEG", "Negative")
        obs["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": code, "display": text}]}]
        out.append(obs)
    return out


def _text_in(content: Content, lang: str, *path: str) -> str:
    """A plan text in `lang`, else in English."""
    for table in (content.texts.get(lang) or {}, content.texts["en"]):
        node: Any = table
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, str):
            return node
    raise EngineError("missing_text", "no such text", ".".join(path))


def _observation(
    key: str,
    label: str,
    loinc: str | None,
    subject_ref: str | None,
    issued: str,
    derived_from: str | None,
    name: str | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    codings = [{"system": LOINC, "code": loinc}] if loinc else []
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "language": lang,
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": {"coding": codings + [{"system": SCORES, "code": key, "display": label}], "text": name or label},
        "effectiveDateTime": issued,
        "issued": issued,
    }
    if subject_ref:
        obs["subject"] = {"reference": subject_ref}
    if derived_from:
        obs["derivedFrom"] = [{"reference": derived_from}]
    return obs


def care_plan(
    content: Content,
    plan: Mapping[str, Any],
    *,
    id: str,
    created: str,
    subject_ref: str | None = None,
    lang: str = "en",
    supporting: Sequence[str] = (),
) -> dict[str, Any]:
    """The plan as a CarePlan: the pathway, one activity per check and per timeline phase."""
    en, texts = content.texts["en"], content.texts.get(lang) or content.texts["en"]
    primary = plan["pathway"]["primary"]
    name = texts["pathways"][primary]["name"]
    activities = []
    for check in plan.get("checks", []):
        words = texts["checks"][check]
        detail = _detail(CHECKS, check, en["checks"][check]["name"], words["name"], words["why"])
        activities.append({"detail": {"kind": "ServiceRequest", **detail}})
    phases = en["timeline"]["phases"]
    timeline = next((s for s in plan.get("sections", []) if s["id"] == "timeline"), None)
    for phase in timeline["items"] if timeline else []:
        detail = _detail(PHASES, phase["id"], phases[phase["id"]]["title"], phase["title"], " ".join(phase["details"]))
        if phase["id"] in texts["timeline"]["phases"]:
            detail["scheduledString"] = texts["timeline"]["phases"][phase["id"]]["weeks"]
        activities.append({"detail": detail})
    notes = [texts["disclaimer"]]
    also = [texts["pathways"][p]["name"] for p in plan["pathway"].get("also", [])]
    if also:
        notes.append(f"{texts['also_intro']} {'; '.join(also)}.")
    if plan.get("priority") == "crisis":
        notes.insert(0, f"Priority: crisis (safety level {plan.get('safety', {}).get('level')}).")
    out: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": id,
        "language": lang,
        "status": "active",
        "intent": "plan",
        "category": [{"coding": [_coding(PATHWAYS, primary, en["pathways"][primary]["name"])], "text": name}],
        "title": name,
        "description": " ".join(str(texts["pathways"][primary]["summary"]).split()),
        "subject": {"reference": subject_ref} if subject_ref else {"display": "Anonymous respondent"},
        "created": created,
    }
    if supporting:
        out["supportingInfo"] = [{"reference": r} for r in supporting]
    if activities:
        out["activity"] = activities
    return {**out, "note": [{"text": " ".join(str(n).split())} for n in notes]}


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def _detail(system: str, code: str, display: str, text: str, description: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": {"coding": [_coding(system, code, display)], "text": text},
        "status": "not-started",
    }
    if description:
        out["description"] = description
    return out


def _uuid(result_id: str, part: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{RESULTS}/{result_id}/{part}"))


def bundle(
    content: Content,
    answers: Mapping[str, Any],
    plan: Mapping[str, Any],
    *,
    id: str,
    timestamp: str,
    lang: str = "en",
    subject_ref: str | None = None,
) -> dict[str, Any]:
    """A collection Bundle of the QuestionnaireResponse, the Observations and the CarePlan.

    Every fullUrl is a urn:uuid derived from `id` (uuid5), so the same result exports the same.
    """
    qr_id = _uuid(id, "QuestionnaireResponse")
    entries = [questionnaire_response(content, answers, id=qr_id, authored=timestamp, lang=lang)]
    obs = observations(
        content, plan, subject_ref=subject_ref, issued=timestamp, derived_from=f"urn:uuid:{qr_id}", lang=lang
    )
    for o in obs:
        o["id"] = _uuid(id, f"Observation/{o['code']['coding'][-1]['code']}")
    entries += obs
    refs = [f"urn:uuid:{e['id']}" for e in entries]
    cp_id = _uuid(id, "CarePlan")
    entries.append(
        care_plan(content, plan, id=cp_id, created=timestamp, subject_ref=subject_ref, lang=lang, supporting=refs)
    )
    return {
        "resourceType": "Bundle",
        "id": _uuid(id, "Bundle"),
        "identifier": {"system": RESULTS, "value": id},
        "type": "collection",
        "timestamp": timestamp,
        "entry": [{"fullUrl": f"urn:uuid:{e['id']}", "resource": e} for e in entries],
    }


def render(saved: Mapping[str, Any], content: Content | None = None) -> dict[str, Any]:
    """The exporter: `saved` holds answers, plan, id, timestamp (an ISO string or a datetime) and `lang`,
    the language the screen was answered in (English when it has no texts here)."""
    stamp = saved["timestamp"]
    timestamp = stamp if isinstance(stamp, str) else stamp.isoformat()
    content = content or load_content()
    lang = str(saved.get("lang", "en"))
    return bundle(
        content,
        saved["answers"],
        saved["plan"],
        id=str(saved["id"]),
        timestamp=timestamp,
        lang=lang if lang in content.texts else "en",
        subject_ref=saved.get("subject_ref"),
    )
