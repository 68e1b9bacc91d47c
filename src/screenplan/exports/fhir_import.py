"""Import a FHIR R4 QuestionnaireResponse from elsewhere (an EHR, LHC-Forms, US Core) as our answers.

Items are recognised by our linkIds or by LOINC item codes: a linkId equal to the code, the last
segment of an LHC-Forms path ("/72110-0/68518-0"), or a LOINC coding in `item.code` (not an R4
element, but LHC-Forms and others add it, often without a system); groups and answers may nest.
Answers are a `valueCoding` (a LOINC answer code, one other systems are known to send for that
answer (`loinc_aliases` in the content), or our own code) or a `valueInteger` (the points, where
they name one answer). Totals the sender computed (score LOINC codes) and the questions listed in
`IGNORED` are skipped and reported; the engine scores the items itself.

Everything else is refused with an `EngineError` naming the linkId: a shape that is not FHIR's (an
answer that is not a list of objects, a coding that is not an object, ...), an item or answer we
do not know, and an answer whose meaning is ambiguous (a code whose display names another answer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from screenplan.engine import Content, EngineError, Item, build_plan, score_answers
from screenplan.engine.content import Option
from screenplan.engine.localize import wording

from .fhir import ANSWERS, LOINC

# LOINC codes in the panels we import that are not questions we score.
IGNORED = {
    "69722-7": "PHQ-9 difficulty question (not part of the score)",
    "55758-7": "PHQ-2 total (the engine scores the items itself)",
    "46098-0": (
        "the AUDIT panel's gender question: the AUDIT-C cut-off uses sex assigned at birth, Screenplan's own `sex` item"
    ),
    "68517-2": (
        "times in the past year with X or more drinks in a day (the single alcohol screening question "
        "US Core's AUDIT-C example asks first): not AUDIT item 1, which is 68518-0"
    ),
}
# FHIR R4 QuestionnaireResponse.status. A response is scored unless it was entered in error; one
# that is not final (in progress, or stopped before the end) is scored as far as it goes, and said so.
FINAL = {"completed": True, "amended": True, "in-progress": False, "stopped": False}
REFUSED = {"entered-in-error": "the sender marked this response as entered in error: it is not scored"}
MAX_DEPTH = 32  # groups and answers nested deeper than any real questionnaire
# LOINC's system URI as senders spell it: some exports add a slash or https (an Aidbox GAD-7
# form has "https://loinc.org/", an app's observation table "http://loinc.org/").
LOINC_SYSTEMS = {LOINC, LOINC + "/", "https://loinc.org", "https://loinc.org/"}


@dataclass
class Imported:
    """What a QuestionnaireResponse says, as our answers, with what was skipped and why."""

    answers: dict[str, Any] = field(default_factory=dict)
    ignored: list[dict[str, str]] = field(default_factory=list)


def answers_from_questionnaire_response(content: Content, resource: Mapping[str, Any]) -> dict[str, Any]:
    """Our answers dict (item id -> value) from a QuestionnaireResponse.

    >>> from screenplan.engine import load_content
    >>> qr = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [
    ...     {"linkId": "/44250-9", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6570-1"}}]}]}
    >>> answers_from_questionnaire_response(load_content(), qr)
    {'phq9_1': 2}
    """
    return read_response(content, resource).answers


def _require_response(resource: Any) -> None:
    kind = resource.get("resourceType") if isinstance(resource, Mapping) else type(resource).__name__
    if kind != "QuestionnaireResponse":
        raise EngineError("fhir_resource", f"expected a QuestionnaireResponse, got {_shown(kind)}")


def read_response(content: Content, resource: Mapping[str, Any]) -> Imported:
    _require_response(resource)
    by_code = {item.loinc: item for item in content.items.values() if item.loinc}
    totals = {s.loinc: s.label for s in content.scores.values() if s.loinc}
    out = Imported()
    found: dict[str, Any] = {}

    def visit(nodes: Any, where: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise EngineError("fhir_structure", f"items are nested more than {MAX_DEPTH} deep", where)
        for node in nodes:
            if not isinstance(node, Mapping):
                raise EngineError("fhir_structure", "every item must be an object", where)
            link = node.get("linkId")
            if not isinstance(link, str) or not link:
                raise EngineError("fhir_structure", "every item needs a linkId (a non-empty string)", where)
            for coding in _list(node, "code", link):
                if not isinstance(coding, Mapping):
                    raise EngineError("fhir_structure", "every item code must be a Coding object", link)
            answers = _list(node, "answer", link)
            for answer in answers:
                if not isinstance(answer, Mapping):
                    raise EngineError("fhir_bad_answer", "every answer must be an object", link)
            if answers:
                item, code = _identify(content, by_code, node)
                if item is None:
                    why = IGNORED.get(code)
                    if code in totals:
                        why = f"the sender's {totals[code]}: the engine scores the items itself"
                    if why is None:
                        raise EngineError("fhir_unknown_item", "no question matches this linkId or its codes", link)
                    out.ignored.append({"linkId": link, "code": code, "reason": why})
                else:
                    if item.id in found:
                        raise EngineError("fhir_duplicate_item", f"{item.id} is answered twice", link)
                    found[item.id] = _value(content, item, answers, link)
                for answer in answers:
                    visit(_list(answer, "item", link), link, depth + 1)
            visit(_list(node, "item", link), link, depth + 1)

    visit(_list(resource, "item", "QuestionnaireResponse"), "QuestionnaireResponse", 0)
    out.answers = {item_id: found[item_id] for item_id in content.items if item_id in found}
    return out


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _list(parent: Mapping[str, Any], name: str, where: str) -> list[Any]:
    """A FHIR array element: absent is empty; anything but a list (null too: FHIR JSON has none) is refused."""
    if name not in parent:
        return []
    value = parent[name]
    if not isinstance(value, list):
        raise EngineError("fhir_structure", f"'{name}' must be a list, got {type(value).__name__}", where)
    return value


def _identify(content: Content, by_code: Mapping[str, Item], node: Mapping[str, Any]) -> tuple[Item | None, str]:
    """The item a response item answers, or (None, its code) when nothing matches."""
    link = str(node["linkId"])
    candidates = [link, link.rstrip("/").rsplit("/", 1)[-1]]
    for coding in _list(node, "code", link):  # each a Mapping: checked by the caller
        code, system = coding.get("code"), coding.get("system", LOINC)
        if isinstance(code, str) and code and isinstance(system, str) and system in LOINC_SYSTEMS:
            candidates.append(code)
    for c in candidates:
        if c in content.items:
            return content.items[c], c
        if c in by_code:
            return by_code[c], c
    codes = [c for c in candidates[1:] if c in IGNORED or any(s.loinc == c for s in content.scores.values())]
    return None, (codes[0] if codes else candidates[1])


def _value(content: Content, item: Item, answers: list[Mapping[str, Any]], link: str) -> Any:
    for answer in answers:
        kinds = [k for k in answer if k.startswith("value")]
        if len(kinds) > 1:
            raise EngineError("fhir_bad_answer", f"an answer holds one value, got {', '.join(kinds)}", link)
    if item.type == "integer":
        value = answers[0].get("valueInteger") if len(answers) == 1 else None
        if not isinstance(value, int) or isinstance(value, bool):
            raise EngineError("fhir_bad_answer", f"{item.id} takes one valueInteger", link)
        return value
    values = [_option(content, item, a, link).value for a in answers]
    if item.type == "multi":
        return values
    if len(values) != 1:
        raise EngineError("fhir_bad_answer", f"{item.id} takes one answer, got {len(values)}", link)
    return values[0]


def _norm(text: str) -> str:
    """Labels as senders vary them ("2-4 times a month", "2 to 4 times a month") compare equal."""
    return re.sub(r"[^0-9a-záéíóúüñ]", "", text.lower().replace(" to ", "-"))


def _labels(content: Content, item: Item) -> dict[Any, set[str]]:
    """Every wording of each answer we know: our English and Spanish labels and the aliases' displays."""
    out = {o.value: {_norm(o.label)} | {_norm(d) for _, d in o.loinc_aliases} for o in item.options}
    for lang in content.texts:
        for opt, label in zip(item.options, wording(content, item, lang).labels, strict=True):
            out[opt.value].add(_norm(label))
    return out


def _option(content: Content, item: Item, answer: Mapping[str, Any], link: str) -> Option:
    if "valueCoding" in answer:
        coding = answer["valueCoding"]
        if not isinstance(coding, Mapping):
            raise EngineError("fhir_bad_answer", "valueCoding must be a Coding object", link)
        system, code, display = coding.get("system"), coding.get("code"), coding.get("display")
        if not isinstance(code, str) or not code:
            raise EngineError("fhir_bad_answer", "valueCoding needs a code (a non-empty string)", link)
        if system is not None and not isinstance(system, str):
            raise EngineError("fhir_bad_answer", "valueCoding.system must be a string", link)
        if display is not None and not isinstance(display, str):
            raise EngineError("fhir_bad_answer", "valueCoding.display must be a string", link)
        opt, alias = _coded(item, system, code)
        if opt is None:
            raise EngineError("fhir_unknown_answer", f"{system}|{code} is not an answer to {item.id}", link)
        if display:
            _check_display(content, item, opt, alias, code, display, link)
        return opt
    if "valueInteger" in answer:
        points = answer["valueInteger"]
        if not isinstance(points, int) or isinstance(points, bool):
            raise EngineError("fhir_bad_answer", f"valueInteger must be a whole number, got {_shown(points)}", link)
        matches = [o for o in item.options if o.points is not None and o.points == points]
        if len(matches) != 1:
            if matches:
                why = f"several answers to {item.id} are worth {points} points"
                raise EngineError("fhir_ambiguous_answer", f"{why}; send a valueCoding", link)
            raise EngineError("fhir_unknown_answer", f"no answer is worth {points} points in {item.id}", link)
        return matches[0]
    kinds = [k for k in answer if k.startswith("value")] or ["no value"]
    raise EngineError("fhir_bad_answer", f"{kinds[0]} is not supported: send valueCoding or valueInteger", link)


def _coded(item: Item, system: str | None, code: str) -> tuple[Option | None, str | None]:
    """The answer a coding names, and the alias display when it came through an alias."""
    for opt in item.options:
        if system is None or system in LOINC_SYSTEMS:
            if opt.loinc and code == opt.loinc:
                return opt, None
            for alias, alias_display in opt.loinc_aliases:
                if code == alias:
                    return opt, alias_display
        if code == str(opt.value) and system in (None, ANSWERS):
            return opt, None
    return None, None


def _check_display(
    content: Content, item: Item, opt: Option, alias: str | None, code: str, display: str, link: str
) -> None:
    """Refuse a coding whose display says another answer: which of the two was meant is not known."""
    labels = _labels(content, item)
    said = _norm(display)
    others = [o for o in item.options if o is not opt and said in labels[o.value]]
    # An alias is another list's code; it is taken only with the display that list gives it.
    if others or (alias is not None and said not in labels[opt.value]):
        meant = f"'{alias or opt.label}' ({opt.points} points)"
        raise EngineError(
            "fhir_ambiguous_answer",
            f"{code} means {meant} in {item.id} but its display says {_shown(display)}; "
            f"send the LOINC code of the answer meant",
            link,
        )


def response_status(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The response's status and whether it is final; refused when not scoreable."""
    status = resource.get("status")
    where = "QuestionnaireResponse.status"
    if isinstance(status, str) and status in REFUSED:
        raise EngineError("fhir_status", REFUSED[status], where)
    if not isinstance(status, str) or status not in FINAL:
        known = ", ".join([*FINAL, *REFUSED])
        got = "no status" if status is None else f"status {_shown(status)}"
        raise EngineError("fhir_status", f"{got}: FHIR R4 requires one of {known}", where)
    return {"value": status, "final": FINAL[status]}


def score_import(content: Content, resource: Mapping[str, Any]) -> dict[str, Any]:
    """`score_answers` of the imported answers, with `answers`, `status`, `ignored`, and `plan`.

    A response that covers only some instruments (a PHQ-9 from an EHR) gets its scores and the
    list of questions a plan still needs (`missing`); `plan` is then None. A response that is
    not final (`status.final` false) is scored as far as it goes.
    """
    _require_response(resource)
    status = response_status(resource)  # an entered-in-error response is refused before its items are read
    imported = read_response(content, resource)
    result = score_answers(content, imported.answers)
    plan = plan_error = None
    if not result["missing"]:
        try:
            plan = build_plan(content, imported.answers)
        except EngineError as exc:  # e.g. answers to questions the flow skips: scores stand, no plan
            plan_error = f"{exc.where}: {exc.message}" if exc.where else exc.message
    return {
        **result,
        "status": status,
        "answers": imported.answers,
        "ignored": imported.ignored,
        "plan": plan,
        "plan_error": plan_error,
    }
