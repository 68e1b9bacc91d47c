"""The FHIR export and import, validated against the real standard (fhir.resources' R4B models).

fhir.resources checks structure and types but not required code values, so `check()` adds those:
statuses, item types, enableWhen operators and behaviour, and that every coded answer and every
enableWhen points at an option the Questionnaire offers.
"""

from __future__ import annotations

import csv
import itertools
import json
import operator
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from web.profiles import ACUTE, INTEGRATED, LOW_RISK, MINOR

import screenplan
from screenplan.engine import EngineError, build_plan, load_content, score_answers
from screenplan.engine.conditions import evaluate
from screenplan.engine.scoring import Facts, State
from screenplan.exports import EXPORTERS
from screenplan.exports.fhir import (
    ANSWERS,
    GATE,
    LOINC,
    ORDINAL,
    answer_coding,
    bundle,
    care_plan,
    observations,
    questionnaire,
    questionnaire_response,
    render,
)
from screenplan.exports.fhir_import import answers_from_questionnaire_response, score_import

CONTENT = load_content()
EXAMPLE = json.loads((Path(screenplan.__file__).parent / "examples" / "integrated.json").read_text())
CSV = Path(__file__).parent / "data" / "ukm-students-phq9-gad7" / "Psychological_aspects.csv"
STAMP = "2025-03-04T05:06:07Z"
MODELS: dict[str, Any] = {
    "Questionnaire": Questionnaire,
    "QuestionnaireResponse": QuestionnaireResponse,
    "Observation": Observation,
    "CarePlan": CarePlan,
    "Bundle": Bundle,
}
ITEM_TYPES = {"group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time", "string", "text"}
ITEM_TYPES |= {"url", "choice", "open-choice", "attachment", "reference", "quantity"}
OPERATORS = {"exists", "=", "!=", ">", "<", ">=", "<="}
ACTIVITY_STATUS = {"not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled", "stopped", "unknown"}
ACTIVITY_KINDS = {"Appointment", "CommunicationRequest", "DeviceRequest", "MedicationRequest", "NutritionOrder"}
ACTIVITY_KINDS |= {"Task", "ServiceRequest", "VisionPrescription"}


def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from walk(item.get("item", []))
        for answer in item.get("answer", []):
            yield from walk(answer.get("item", []))


BATTERY = questionnaire(CONTENT)
QUESTIONS = {i["linkId"]: i for i in walk(BATTERY["item"])}


def coded(coding: Mapping[str, Any]) -> tuple[str, str]:
    return coding["system"], coding["code"]


def check(resource: dict[str, Any]) -> None:
    """Validate against the R4B model, then the required code values fhir.resources lets through."""
    kind = resource["resourceType"]
    MODELS[kind].model_validate(resource)
    if kind == "Questionnaire":
        assert resource["status"] in {"draft", "active", "retired", "unknown"}
        items = list(walk(resource["item"]))
        links = [i["linkId"] for i in items]
        assert len(links) == len(set(links)), "linkIds must be unique"
        by_link = {i["linkId"]: i for i in items}
        for item in items:
            assert item["type"] in ITEM_TYPES
            when = item.get("enableWhen", [])
            assert ("enableBehavior" in item) == (len(when) > 1)  # que-12
            assert item.get("enableBehavior", "all") in {"all", "any"}
            for w in when:
                assert w["operator"] in OPERATORS
                target = by_link[w["question"]]
                if "answerCoding" in w:
                    assert target["type"] == "choice"
                    offered = {coded(o["valueCoding"]) for o in target["answerOption"]}
                    assert coded(w["answerCoding"]) in offered
                elif "answerInteger" in w:
                    assert target["type"] == "integer"
                else:
                    assert w["operator"] == "exists" and isinstance(w["answerBoolean"], bool)
    elif kind == "QuestionnaireResponse":
        assert resource["status"] == "completed"
        for item in walk(resource["item"]):
            question = QUESTIONS[item["linkId"]]  # every linkId is one of the battery's
            offered = {coded(o["valueCoding"]) for o in question.get("answerOption", [])}
            for answer in item.get("answer", []):
                if "valueCoding" in answer:
                    assert coded(answer["valueCoding"]) in offered
                else:
                    assert question["type"] == "integer" and isinstance(answer["valueInteger"], int)
            assert len(item.get("answer", [])) <= 1 or question.get("repeats")
    elif kind == "Observation":
        assert resource["status"] == "final"
        assert resource["category"][0]["coding"][0]["code"] == "survey"
        assert ("valueInteger" in resource) != ("valueQuantity" in resource)
        if "valueQuantity" in resource:
            assert resource["valueQuantity"]["comparator"] in {"<", "<=", ">=", ">"}
    elif kind == "CarePlan":
        assert resource["status"] in {"draft", "active", "on-hold", "revoked", "completed", "unknown"}
        assert resource["intent"] in {"proposal", "plan", "order", "option"}
        for activity in resource.get("activity", []):
            assert activity["detail"]["status"] in ACTIVITY_STATUS
            assert activity["detail"].get("kind", "Task") in ACTIVITY_KINDS
    elif kind == "Bundle":
        assert resource["type"] == "collection"
        urls = [e["fullUrl"] for e in resource["entry"]]
        assert len(urls) == len(set(urls)) and all(u.startswith("urn:uuid:") for u in urls)
        for entry in resource["entry"]:
            assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
            check(entry["resource"])
    else:
        raise AssertionError(kind)


# --- Questionnaire -------------------------------------------------------------------------


@pytest.mark.parametrize("instrument", [None, *(i.id for i in CONTENT.instruments)])
def test_questionnaire_validates(instrument: str | None) -> None:
    q = questionnaire(CONTENT, instrument)
    check(q)
    assert q["version"] == CONTENT.version and q["status"] == "active"
    if instrument is not None:
        assert q["copyright"] == CONTENT.instrument(instrument).licence


def test_battery_groups_carry_panel_codes_and_titles() -> None:
    groups = {g["linkId"]: g for g in BATTERY["item"]}
    assert groups["group.phq9"]["type"] == "group"
    assert groups["group.phq9"]["code"] == [{"system": LOINC, "code": "44249-1"}]
    assert groups["group.gad7"]["code"][0]["code"] == "69737-5"
    assert groups["group.audit"]["text"] == CONTENT.instrument("audit").title
    assert "Pfizer" in BATTERY["copyright"] and "World Health Organization" in BATTERY["copyright"]


def test_spanish_questionnaire_uses_sourced_wording() -> None:
    q = questionnaire(CONTENT, "phq9", lang="es")
    check(q)
    items = {i["linkId"]: i for i in q["item"]}
    assert items["phq9_1"]["text"] == "Poco interés o placer en hacer cosas"
    assert items["phq9_1"]["answerOption"][0]["valueCoding"]["display"] == "Ningún día"


def test_phq9_items_and_answers_carry_loinc_codes() -> None:
    q = questionnaire(CONTENT, "phq9")
    assert q["code"] == [{"system": LOINC, "code": "44249-1"}]
    items = {i["linkId"]: i for i in q["item"] if i["type"] != "display"}
    assert [i["code"][0]["code"] for i in items.values()] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8",
    ]  # fmt: skip
    options = items["phq9_9"]["answerOption"]
    assert [coded(o["valueCoding"]) for o in options] == [
        (LOINC, "LA6568-5"), (LOINC, "LA6569-3"), (LOINC, "LA6570-1"), (LOINC, "LA6571-9"),
    ]  # fmt: skip
    assert [o["extension"] for o in options][2] == [{"url": ORDINAL, "valueDecimal": 2}]


def test_coding_without_loinc_uses_our_system() -> None:
    tx_substance = QUESTIONS["tx_substance"]["answerOption"]
    assert coded(tx_substance[2]["valueCoding"]) == (ANSWERS, "more")
    health = QUESTIONS["health"]
    assert health["repeats"] is True and health["type"] == "choice"
    assert QUESTIONS["age"]["type"] == "integer"


def gate_ext(item: dict[str, Any]) -> dict[str, Any]:
    ext = next(e for e in item["extension"] if e["url"] == GATE)
    return {e["url"]: next(v for k, v in e.items() if k.startswith("value")) for e in ext["extension"]}


def test_enable_when_for_the_gates() -> None:
    yes = {"system": LOINC, "code": "LA33-6"}
    assert QUESTIONS["pcptsd5_1"]["enableWhen"] == [{"question": "pcptsd5_0", "operator": "=", "answerCoding": yes}]
    assert gate_ext(QUESTIONS["pcptsd5_1"])["otherwise"]["code"] == "LA32-8"  # a "no" that counts
    drugs = QUESTIONS["drug_kinds"]
    assert drugs["enableBehavior"] == "all"
    assert drugs["enableWhen"] == [
        {"question": "drug_use_year", "operator": "exists", "answerBoolean": True},
        {"question": "drug_use_year", "operator": "!=", "answerCoding": {"system": ANSWERS, "code": "0"}},
    ]
    for item in ("audit_2", "audit_3"):
        assert QUESTIONS[item]["enableWhen"][1] == {
            "question": "audit_1",
            "operator": "!=",
            "answerCoding": {"system": LOINC, "code": "LA6270-8"},  # audit_1 "Never"
        }
        assert gate_ext(QUESTIONS[item])["rule"] == "R-FLOW-AUDIT-SKIP"
    asq_5 = QUESTIONS["asq_5"]
    assert asq_5["enableBehavior"] == "any"
    assert {(w["question"], w["answerCoding"]["code"]) for w in asq_5["enableWhen"]} == {
        (f"asq_{n}", code) for n in range(1, 5) for code in ("LA33-6", "decline")
    }


def test_auditc_gate_is_documented_not_approximated() -> None:
    for n in range(4, 11):
        item = QUESTIONS[f"audit_{n}"]
        assert "enableWhen" not in item
        ext = gate_ext(item)
        assert ext == {
            "rule": "R-FLOW-AUDITC-GATE",
            "condition": "score auditc (AUDIT-C (items 1-3)) >= 3",
            "effect": "enable",
            "expressedAsEnableWhen": False,
        }


def test_under_18_stop_is_an_enable_when_on_later_questions() -> None:
    adult = [{"question": "age", "operator": ">=", "answerInteger": 18}]
    assert QUESTIONS["sex"]["enableWhen"] == adult
    assert "enableWhen" not in QUESTIONS["age"]
    assert all(g["enableWhen"] == adult for g in BATTERY["item"] if g["linkId"] != "group.about")


COMPARE = {"=": operator.eq, ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}


def fhir_enabled(item: dict[str, Any], given: Mapping[str, list[tuple[Any, ...]]]) -> bool:
    """FHIR R4's enableWhen semantics for the operators we emit."""
    results = []
    for w in item["enableWhen"]:
        answers = given.get(w["question"], [])
        if w["operator"] == "exists":
            results.append(bool(answers) == w["answerBoolean"])
            continue
        want = coded(w["answerCoding"]) if "answerCoding" in w else w["answerInteger"]
        if w["operator"] == "!=":  # R4: true if no answer equals the given one
            results.append(all(a != want for a in answers))
        else:
            results.append(any(COMPARE[w["operator"]](a, want) for a in answers))
    return any(results) if item.get("enableBehavior") == "any" else all(results)


def fhir_answers(answers: Mapping[str, Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for item_id, value in answers.items():
        item = CONTENT.items[item_id]
        if item.type == "integer":
            out[item_id] = [value]
        else:
            values = value if isinstance(value, list) else [value]
            options = [item.option(v) for v in values]
            out[item_id] = [coded(answer_coding(o)) for o in options if o is not None]
    return out


@pytest.mark.parametrize("item_id", [k for k, v in QUESTIONS.items() if "enableWhen" in v and k in CONTENT.items])
def test_every_enable_when_agrees_with_the_engine(item_id: str) -> None:
    """Exhaustively over the answers it mentions: enableWhen opens exactly when the gate does."""
    item = QUESTIONS[item_id]
    asked = sorted({w["question"] for w in item["enableWhen"]})
    choices = [
        [0, 17, 18, 90] if CONTENT.items[q].type == "integer" else [o.value for o in CONTENT.items[q].options]
        for q in asked
    ]
    gate = CONTENT.gates.get(item_id)
    for combo in itertools.product(*choices):
        answers = dict(zip(asked, combo, strict=True))
        facts = Facts(CONTENT, answers, {k: State.ANSWERED for k in answers})
        if gate is not None:
            expected = evaluate(gate.rule.when, facts)
        else:  # the stop rule: later questions are open unless it holds
            expected = not any(evaluate(r.when, facts) for r in CONTENT.stop)
        assert fhir_enabled(item, fhir_answers(answers)) is expected, answers


# --- QuestionnaireResponse, Observations, CarePlan, Bundle ---------------------------------


def test_example_bundle_validates_and_is_deterministic() -> None:
    plan = build_plan(CONTENT, EXAMPLE)
    b = bundle(CONTENT, EXAMPLE, plan, id="result-42", timestamp=STAMP)
    check(b)
    assert b == bundle(CONTENT, EXAMPLE, plan, id="result-42", timestamp=STAMP)
    other = bundle(CONTENT, EXAMPLE, plan, id="result-43", timestamp=STAMP)
    assert not {e["fullUrl"] for e in b["entry"]} & {e["fullUrl"] for e in other["entry"]}
    kinds = [e["resource"]["resourceType"] for e in b["entry"]]
    assert kinds == ["QuestionnaireResponse"] + ["Observation"] * 6 + ["CarePlan"]
    qr_url = b["entry"][0]["fullUrl"]
    assert all(e["resource"]["derivedFrom"] == [{"reference": qr_url}] for e in b["entry"][1:-1])
    assert b["entry"][-1]["resource"]["supportingInfo"][0] == {"reference": qr_url}
    assert EXPORTERS["fhir"]({"answers": EXAMPLE, "plan": plan, "id": "result-42", "timestamp": STAMP}) == b


def test_questionnaire_response_for_the_example() -> None:
    qr = questionnaire_response(CONTENT, {**EXAMPLE, "health": "none"}, id="qr-1", authored=STAMP)
    check(qr)
    assert qr["questionnaire"] == f"{BATTERY['url']}|{CONTENT.version}"
    items = {i["linkId"]: i for i in walk(qr["item"])}
    assert items["phq9_2"]["answer"] == [
        {"valueCoding": {"system": LOINC, "code": "LA6571-9", "display": "Nearly every day"}}
    ]
    assert items["age"]["answer"] == [{"valueInteger": 41}]
    assert items["health"]["answer"][0]["valueCoding"]["code"] == "none"
    multi = questionnaire_response(
        CONTENT, {"drug_use_year": "2+", "drug_kinds": ["opioids", "cannabis"]}, id="q", authored=STAMP
    )
    check(multi)
    kinds = next(i for i in walk(multi["item"]) if i["linkId"] == "drug_kinds")
    assert [a["valueCoding"]["code"] for a in kinds["answer"]] == ["opioids", "cannabis"]
    with pytest.raises(EngineError, match="phq9_10"):
        questionnaire_response(CONTENT, {"phq9_10": 1}, id="q", authored=STAMP)


def test_observations_for_the_example() -> None:
    plan = build_plan(CONTENT, EXAMPLE)
    obs = observations(CONTENT, plan, subject_ref="Patient/p1", issued=STAMP)
    for o in obs:
        check(o)
        assert o["subject"] == {"reference": "Patient/p1"}
    by_code = {o["code"]["coding"][0]["code"]: o for o in obs}
    assert by_code["44261-6"]["valueInteger"] == 13  # PHQ-9
    assert by_code["70274-6"]["valueInteger"] == 4  # GAD-7
    assert by_code["75624-7"]["valueInteger"] == 19  # AUDIT
    assert by_code["75626-2"]["valueInteger"] == 9  # AUDIT-C
    assert by_code["75626-2"]["interpretation"][0]["coding"][0]["code"] == "POS"
    assert by_code["102017-1"]["valueInteger"] == 0  # PC-PTSD-5
    assert by_code["asq"]["code"]["coding"][0]["system"].endswith("/CodeSystem/scores")


def test_a_shortened_score_is_a_bound_quantity() -> None:
    # Only a negative screen is cut short (a positive one gets its exact total): PHQ-9 1-5 and
    # 9 all 0 leave at most 6 for items 6-8; GAD-7 1-4 all 0 leave at most 9 for items 5-7.
    answers = {k: v for k, v in LOW_RISK.items() if not k.startswith(("phq9", "gad7"))}
    answers |= {"phq9_1": 0, "phq9_2": 0, "phq9_3": 0, "phq9_4": 0, "phq9_5": 0, "phq9_6": 0, "phq9_9": 0}
    answers |= {"gad7_1": 0, "gad7_2": 0, "gad7_3": 0, "gad7_4": 0}
    plan = build_plan(CONTENT, answers)
    obs = {o["code"]["coding"][0]["code"]: o for o in observations(CONTENT, plan, subject_ref=None, issued=STAMP)}
    for o in obs.values():
        check(o)
    phq9, gad7 = obs["44261-6"], obs["70274-6"]
    assert phq9["valueQuantity"]["comparator"] == "<=" and phq9["valueQuantity"]["value"] == 6
    assert gad7["valueQuantity"]["comparator"] == "<=" and gad7["valueQuantity"]["value"] == 9
    assert "Shortened: 7 of 9 questions" in phq9["note"][0]["text"]
    assert "subject" not in phq9
    check(bundle(CONTENT, answers, plan, id="short", timestamp=STAMP))


def test_care_plan_for_the_example() -> None:
    plan = build_plan(CONTENT, EXAMPLE)
    cp = care_plan(CONTENT, plan, id="cp-1", created=STAMP)
    check(cp)
    assert cp["category"][0]["coding"][0]["code"] == "integrated"
    assert cp["category"][0]["coding"][0]["display"] == CONTENT.texts["en"]["pathways"]["integrated"]["name"]
    codes = [a["detail"]["code"]["coding"][0]["code"] for a in cp["activity"]]
    assert codes == plan["checks"] + ["stabilization", "active", "maintenance"]
    assert all(a["detail"]["status"] == "not-started" for a in cp["activity"])
    assert "not a diagnosis" in cp["note"][0]["text"]
    assert cp["subject"] == {"display": "Anonymous respondent"}


@pytest.mark.parametrize("profile", [ACUTE, MINOR, LOW_RISK])
def test_bundles_for_other_profiles_validate(profile: dict[str, Any]) -> None:
    for lang in ("en", "es"):
        plan = build_plan(CONTENT, profile, lang)
        b = render({"answers": profile, "plan": plan, "id": 7, "timestamp": STAMP, "lang": lang})
        check(b)
    care = b["entry"][-1]["resource"]
    if profile is ACUTE:
        assert care["note"][0]["text"].startswith("Priority: crisis")


# --- Import --------------------------------------------------------------------------------


def csv_rows() -> list[dict[str, int]]:
    with CSV.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 223
    out = []
    for row in rows:
        answers = {f"phq9_{n}": int(row[f"D{n}"]) for n in range(1, 10)}
        answers |= {f"gad7_{n}": int(row[f"A{n}"]) for n in range(1, 8)}
        out.append(answers)
    return out


def totals(answers: Mapping[str, Any]) -> tuple[int | None, int | None]:
    scores = score_answers(CONTENT, answers)["scores"]
    return scores["phq9"]["total"], scores["gad7"]["total"]


def lhc_style(qr: dict[str, Any]) -> dict[str, Any]:
    """The same answers the way LHC-Forms sends them: LOINC paths as linkIds, LOINC codings only."""
    items = []
    for group in qr["item"]:
        panel = CONTENT.instrument(group["linkId"].removeprefix("group.")).loinc
        children = []
        for i in group["item"]:
            codings = [{"valueCoding": {"system": LOINC, "code": a["valueCoding"]["code"]}} for a in i["answer"]]
            assert all(a["valueCoding"]["system"] == LOINC for a in i["answer"])
            children.append({"linkId": f"/{panel}/{CONTENT.items[i['linkId']].loinc}", "answer": codings})
        items.append({"linkId": f"/{panel}", "item": children})
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}


def test_round_trip_of_every_csv_row() -> None:
    for n, answers in enumerate(csv_rows()):
        qr = questionnaire_response(CONTENT, answers, id=f"ukm-{n}", authored=STAMP)
        check(qr)
        back = answers_from_questionnaire_response(CONTENT, qr)
        assert back == answers
        expected = (sum(answers[f"phq9_{i}"] for i in range(1, 10)), sum(answers[f"gad7_{i}"] for i in range(1, 8)))
        assert totals(back) == totals(answers) == expected
        by_loinc = lhc_style(qr)
        links = [c["linkId"] for g in by_loinc["item"] for c in g["item"]]
        assert all(link.startswith(("/44249-1/", "/69737-5/")) for link in links)
        assert totals(answers_from_questionnaire_response(CONTENT, by_loinc)) == expected


def test_import_by_item_code_flat_linkids_and_points() -> None:
    qr = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [
            {"linkId": "q1", "code": [{"system": LOINC, "code": "44250-9"}], "answer": [{"valueInteger": 3}]},
            {"linkId": "44255-8", "answer": [{"valueCoding": {"system": LOINC, "code": "LA6569-3"}}]},
            {"linkId": "/44261-6", "answer": [{"valueInteger": 4}]},  # the sender's total: recomputed, not read
            {"linkId": "/69722-7", "answer": [{"valueCoding": {"system": LOINC, "code": "LA6574-3"}}]},
            {"linkId": "intro", "text": "Over the last 2 weeks"},
            {
                "linkId": "/102011-4",
                "answer": [
                    {
                        "valueCoding": {"system": LOINC, "code": "LA33-6"},
                        "item": [{"linkId": "/102012-2", "answer": [{"valueCoding": {"code": "LA32-8"}}]}],
                    }
                ],
            },
        ],
    }
    expected = {"phq9_1": 3, "phq9_2": 1, "pcptsd5_0": "yes", "pcptsd5_1": "no"}
    assert answers_from_questionnaire_response(CONTENT, qr) == expected


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"linkId": "/12345-6", "answer": [{"valueInteger": 1}]}, "fhir_unknown_item at /12345-6"),
        ({"linkId": "/44250-9", "answer": [{"valueCoding": {"system": LOINC, "code": "LA0000-0"}}]}, "at /44250-9"),
        ({"linkId": "phq9_1", "answer": [{"valueCoding": {"system": "urn:x", "code": "0"}}]}, "urn:x|0 is not"),
        ({"linkId": "phq9_1", "answer": [{"valueInteger": 7}]}, "no answer is worth 7 points"),
        ({"linkId": "asq_1", "answer": [{"valueInteger": 1}]}, "several answers to asq_1 are worth 1 points"),
        ({"linkId": "phq9_1", "answer": [{"valueString": "often"}]}, "valueString is not supported"),
        ({"linkId": "age", "answer": [{"valueString": "41"}]}, "age takes one valueInteger"),
        (
            {"linkId": "sex", "answer": [{"valueCoding": {"code": "male"}}, {"valueCoding": {"code": "other"}}]},
            "one answer",
        ),
    ],
)
def test_import_errors_name_the_link_id(item: dict[str, Any], message: str) -> None:
    qr = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [{"linkId": "g", "item": [item]}]}
    with pytest.raises(EngineError, match="fhir_") as err:
        answers_from_questionnaire_response(CONTENT, qr)
    assert message in str(err.value)
    assert err.value.where == item["linkId"]


def test_import_refuses_other_resources_and_duplicates() -> None:
    with pytest.raises(EngineError, match="expected a QuestionnaireResponse, got 'Observation'"):
        answers_from_questionnaire_response(CONTENT, {"resourceType": "Observation"})
    twice = {"linkId": "phq9_1", "answer": [{"valueInteger": 1}]}
    qr = {"resourceType": "QuestionnaireResponse", "item": [twice, {**twice, "linkId": "/44250-9"}]}
    with pytest.raises(EngineError, match="answered twice"):
        answers_from_questionnaire_response(CONTENT, qr)


def test_score_import_of_a_full_screen_returns_the_plan() -> None:
    qr = questionnaire_response(CONTENT, INTEGRATED, id="full", authored=STAMP)
    result = score_import(CONTENT, qr)
    assert result["missing"] == []
    assert result["answers"] == INTEGRATED
    assert result["plan"] == build_plan(CONTENT, INTEGRATED)


def test_score_import_of_a_phq9_alone_lists_what_is_missing() -> None:
    phq9 = {f"phq9_{n}": 2 for n in range(1, 10)}
    result = score_import(CONTENT, lhc_style(questionnaire_response(CONTENT, phq9, id="p", authored=STAMP)))
    assert result["scores"]["phq9"]["total"] == 18
    assert result["findings"] == ["depression"]
    assert result["plan"] is None
    assert result["missing"][0] == "age"
