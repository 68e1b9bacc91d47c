"""Import a FHIR R4 QuestionnaireResponse from elsewhere (an EHR, LHC-Forms, US Core) as our answers.

Items are recognised by our linkIds or by LOINC item codes: a linkId equal to the code, the last
segment of an LHC-Forms path ("/44249-1/44250-9"), or a LOINC coding in `item.code` (not an R4
element, but some senders add it); groups and answers may nest. Answers are a `valueCoding`
(LOINC answer code or our own code) or a `valueInteger` (the points, where they name one answer).
Totals the sender computed (score LOINC codes) are skipped: the engine scores the items itself.
Anything else that cannot be mapped is an `EngineError` naming the linkId.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from screenplan.engine import Content, EngineError, Item, build_plan, score_answers
from screenplan.engine.content import Option

from .fhir import ANSWERS, LOINC

# LOINC codes in the panels we import that are not questions we score.
IGNORED = {
    "69722-7": "PHQ-9 difficulty question (not part of the score)",
    "55758-7": "PHQ-2 total (the engine scores the items itself)",
}


def answers_from_questionnaire_response(content: Content, resource: Mapping[str, Any]) -> dict[str, Any]:
    """Our answers dict (item id -> value) from a QuestionnaireResponse.

    >>> from screenplan.engine import load_content
    >>> qr = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [
    ...     {"linkId": "/44250-9", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6570-1"}}]}]}
    >>> answers_from_questionnaire_response(load_content(), qr)
    {'phq9_1': 2}
    """
    kind = resource.get("resourceType") if isinstance(resource, Mapping) else type(resource).__name__
    if kind != "QuestionnaireResponse":
        raise EngineError("fhir_resource", f"expected a QuestionnaireResponse, got {kind!r}")
    by_code = {item.loinc: item for item in content.items.values() if item.loinc}
    skip = {s.loinc for s in content.scores.values() if s.loinc} | set(IGNORED)
    found: dict[str, Any] = {}

    def visit(nodes: Any, where: str) -> None:
        if not isinstance(nodes, Sequence) or isinstance(nodes, str):
            raise EngineError("fhir_structure", "'item' must be a list", where)
        for node in nodes:
            link = node.get("linkId") if isinstance(node, Mapping) else None
            if not isinstance(link, str) or not link:
                raise EngineError("fhir_structure", "every item needs a linkId", where)
            answers = node.get("answer") or []
            if answers:
                item, code = _identify(content, by_code, node)
                if item is None:
                    if code in skip:
                        continue
                    raise EngineError("fhir_unknown_item", "no question matches this linkId or its codes", link)
                if item.id in found:
                    raise EngineError("fhir_duplicate_item", f"{item.id} is answered twice", link)
                found[item.id] = _value(item, answers, link)
                for answer in answers:
                    visit(answer.get("item") or [], link)
            visit(node.get("item") or [], link)

    visit(resource.get("item") or [], "QuestionnaireResponse")
    return {item_id: found[item_id] for item_id in content.items if item_id in found}


def _identify(content: Content, by_code: Mapping[str, Item], node: Mapping[str, Any]) -> tuple[Item | None, str]:
    """The item a response item answers, or (None, its code) when nothing matches."""
    link = str(node["linkId"])
    candidates = [link, link.rstrip("/").rsplit("/", 1)[-1]]
    for coding in node.get("code") or []:
        if isinstance(coding, Mapping) and coding.get("system", LOINC) == LOINC and coding.get("code"):
            candidates.append(str(coding["code"]))
    for c in candidates:
        if c in content.items:
            return content.items[c], c
        if c in by_code:
            return by_code[c], c
    return None, candidates[1]


def _value(item: Item, answers: Sequence[Any], link: str) -> Any:
    if item.type == "integer":
        value = answers[0].get("valueInteger") if len(answers) == 1 else None
        if not isinstance(value, int) or isinstance(value, bool):
            raise EngineError("fhir_bad_answer", f"{item.id} takes one valueInteger", link)
        return value
    values = [_option(item, a, link).value for a in answers]
    if item.type == "multi":
        return values
    if len(values) != 1:
        raise EngineError("fhir_bad_answer", f"{item.id} takes one answer, got {len(values)}", link)
    return values[0]


def _option(item: Item, answer: Mapping[str, Any], link: str) -> Option:
    if "valueCoding" in answer:
        coding = answer["valueCoding"]
        system, code = coding.get("system"), coding.get("code")
        for opt in item.options:
            if opt.loinc and code == opt.loinc and system in (None, LOINC):
                return opt
            if code == str(opt.value) and system in (None, ANSWERS):
                return opt
        raise EngineError("fhir_unknown_answer", f"{system}|{code} is not an answer to {item.id}", link)
    if "valueInteger" in answer:
        points = answer["valueInteger"]
        matches = [o for o in item.options if o.points is not None and o.points == points]
        if len(matches) != 1:
            why = "no answer is worth" if not matches else "several answers are worth"
            raise EngineError("fhir_unknown_answer", f"{why} {points!r} points in {item.id}; send a valueCoding", link)
        return matches[0]
    kinds = [k for k in answer if k.startswith("value")] or ["no value"]
    raise EngineError("fhir_bad_answer", f"{kinds[0]} is not supported: send valueCoding or valueInteger", link)


def score_import(content: Content, resource: Mapping[str, Any]) -> dict[str, Any]:
    """`score_answers` of the imported answers, with `answers`, and `plan` when nothing is missing.

    A response that covers only some instruments (a PHQ-9 from an EHR) gets its scores and the
    list of questions a plan still needs (`missing`); `plan` is then None.
    """
    answers = answers_from_questionnaire_response(content, resource)
    result = score_answers(content, answers)
    plan = None if result["missing"] else build_plan(content, answers)
    return {**result, "answers": answers, "plan": plan}
