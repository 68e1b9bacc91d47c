"""Importing QuestionnaireResponses from other systems: their shapes, their codes, their mistakes.

The fixtures in tests/data/fhir follow the shapes other systems send (LHC-Forms, HL7 US Core, a
system with its own linkIds and LOINC in `item.code`; see tests/data/fhir/README.md). Malformed
input of every kind must be an `EngineError` (a 422 over HTTP), never another exception.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_fhir import check

from screenplan.engine import EngineError, load_content
from screenplan.exports.fhir import ANSWERS, LOINC, questionnaire_response
from screenplan.exports.fhir_import import read_response, score_import

CONTENT = load_content()
FIXTURES = Path(__file__).parent / "data" / "fhir"
STAMP = "2025-03-04T05:06:07Z"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def qr(*items: Any, status: Any = "completed") -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": status, "item": list(items)}


def coding(code: str, display: str | None = None, system: str | None = LOINC) -> dict[str, Any]:
    c: dict[str, Any] = {"code": code}
    if system is not None:
        c["system"] = system
    if display is not None:
        c["display"] = display
    return {"valueCoding": c}


# --- other systems' responses ---------------------------------------------------------------


def test_an_lhc_forms_audit_72110_0_is_scored_from_its_loinc_codes() -> None:
    result = score_import(CONTENT, fixture("lhc-forms-audit-72110-0.json"))
    assert result["answers"] == {
        **{"audit_1": 3, "audit_2": 2, "audit_3": 3, "audit_4": 2, "audit_5": 1, "audit_6": 0},
        **{"audit_7": 1, "audit_8": 0, "audit_9": 2, "audit_10": 4},
    }
    assert result["scores"]["audit"] == {
        "total": 18,
        "bound": None,
        "band": "III",
        "complete": True,
        "items_answered": 10,
    }
    assert result["auditc"]["total"] == 8  # positive by either cut-off, so no sex is needed
    assert result["auditc"]["positive"] is True
    assert [i["code"] for i in result["ignored"]] == ["46098-0", "75624-7"]  # gender; the sender's total (19)
    assert "sex assigned at birth" in result["ignored"][0]["reason"]
    assert result["status"] == {"value": "completed", "final": True}


def test_an_lhc_forms_auditc_72109_2_with_nested_paths_gives_the_auditc_total() -> None:
    result = score_import(CONTENT, fixture("lhc-forms-auditc-72109-2.json"))
    assert result["answers"] == {"audit_1": 1, "audit_2": 1, "audit_3": 1}
    assert result["auditc"] == {
        "total": 3,
        "complete": True,
        "positive": None,  # no sex in the response: 3 is positive for women, not for men
        "positive_if": {"sex": {"female": True, "male": False, "other": True}},
    }
    assert result["ignored"] == [
        {"linkId": "/72109-2/75626-2", "code": "75626-2", "reason": result["ignored"][0]["reason"]}
    ]
    assert "AUDIT-C" in result["ignored"][0]["reason"]


def test_a_us_core_auditc_names_what_it_cannot_use() -> None:
    result = score_import(CONTENT, fixture("us-core-auditc.json"))
    assert result["answers"] == {"audit_2": 0, "audit_3": 0}
    assert result["ignored"][0]["code"] == "68517-2" and "not AUDIT item 1" in result["ignored"][0]["reason"]
    assert result["auditc"]["total"] is None  # item 1 is unknown, so the total is too
    assert "audit_1" in result["missing"]


def test_an_lhc_forms_gad7_with_its_item_2_answer_code_and_no_systems() -> None:
    result = score_import(CONTENT, fixture("lhc-forms-gad7-69737-5.json"))
    assert result["answers"] == {f"gad7_{n}": v for n, v in enumerate([2, 2, 3, 1, 0, 1, 0], 1)}
    assert result["scores"]["gad7"]["total"] == 9
    assert result["findings"] == [] and result["ignored"][0]["code"] == "70274-6"  # the sender said 10


def test_a_phq9_with_item_9_nearly_every_day_and_a_total_of_3_is_minimal_and_non_acute() -> None:
    result = score_import(CONTENT, fixture("coded-items-phq9.json"))
    assert result["scores"]["phq9"]["total"] == 3 and result["scores"]["phq9"]["band"] == "minimal"
    assert result["safety"]["level"] == "non_acute" and result["safety"]["complete"] is False
    assert result["plan"] is None


@pytest.mark.parametrize("system", ["http://loinc.org/", "https://loinc.org", "https://loinc.org/"])
def test_loinc_spelled_with_a_slash_or_https_is_still_loinc(system: str) -> None:
    item = {
        "linkId": "q1",
        "code": [{"system": system, "code": "44260-8"}],
        "answer": [coding("LA6571-9", None, system)],
    }
    assert read_response(CONTENT, qr(item)).answers == {"phq9_9": 3}


def test_our_own_export_round_trips_with_every_answer_coded_in_loinc_where_it_can_be() -> None:
    from web.profiles import INTEGRATED

    exported = questionnaire_response(CONTENT, INTEGRATED, id="x", authored=STAMP)
    check(exported)
    audit = [i for g in exported["item"] if g["linkId"] == "group.audit" for i in g["item"]]
    assert {a["valueCoding"]["system"] for i in audit for a in i["answer"]} == {LOINC}
    assert score_import(CONTENT, exported)["answers"] == INTEGRATED


# --- GAD-7 answer codes of other implementations, and ambiguous codings ---------------------


@pytest.mark.parametrize("display", [None, "More days than not", "more days than not", "More than half the days"])
def test_lhc_forms_more_days_than_not_is_2_points_on_a_gad7_item(display: str | None) -> None:
    for link in ("/68509-9", "/69725-0"):
        assert read_response(CONTENT, qr({"linkId": link, "answer": [coding("LA18938-3", display, None)]})).answers
    got = read_response(CONTENT, qr({"linkId": "/68509-9", "answer": [coding("LA18938-3", display)]}))
    assert got.answers == {"gad7_2": 2}


def test_the_same_code_with_another_lists_meaning_is_refused_as_ambiguous() -> None:
    # The ASRS list of some implementations puts LA18938-3 on "Sometimes": which GAD-7 answer is that?
    with pytest.raises(EngineError) as err:
        read_response(CONTENT, qr({"linkId": "/68509-9", "answer": [coding("LA18938-3", "Sometimes")]}))
    assert (err.value.code, err.value.where) == ("fhir_ambiguous_answer", "/68509-9")
    assert "'More days than not' (2 points)" in err.value.message and "'Sometimes'" in err.value.message


def test_a_code_whose_display_names_another_answer_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        read_response(CONTENT, qr({"linkId": "/44260-8", "answer": [coding("LA6568-5", "Nearly every day")]}))
    assert err.value.code == "fhir_ambiguous_answer" and "'Not at all' (0 points)" in err.value.message
    # a display worded as LOINC words it, or in Spanish, is the same answer
    ok = qr(
        {"linkId": "/68518-0", "answer": [coding("LA18927-6", "2-4 times a month")]},
        {"linkId": "/44260-8", "answer": [coding("LA6571-9", "Casi todos los días")]},
    )
    assert read_response(CONTENT, ok).answers == {"audit_1": 2, "phq9_9": 3}


def test_an_answer_code_is_only_accepted_on_the_question_it_answers() -> None:
    with pytest.raises(EngineError, match="fhir_unknown_answer"):
        read_response(CONTENT, qr({"linkId": "/44250-9", "answer": [coding("LA18938-3")]}))  # PHQ-9 item 1
    with pytest.raises(EngineError, match="fhir_unknown_answer"):
        read_response(CONTENT, qr({"linkId": "/68518-0", "answer": [coding("LA18933-4")]}))  # item 3's list


# --- statuses ---------------------------------------------------------------------------------


def test_a_response_entered_in_error_is_refused_saying_why() -> None:
    resource = {**fixture("coded-items-phq9.json"), "status": "entered-in-error"}
    with pytest.raises(EngineError) as err:
        score_import(CONTENT, resource)
    assert (err.value.code, err.value.where) == ("fhir_status", "QuestionnaireResponse.status")
    assert "entered in error" in err.value.message


@pytest.mark.parametrize(("status", "final"), [("completed", True), ("amended", True), ("in-progress", False)])
def test_a_response_not_yet_final_is_scored_as_far_as_it_goes(status: str, final: bool) -> None:
    result = score_import(CONTENT, {**fixture("lhc-forms-gad7-69737-5.json"), "status": status})
    assert result["status"] == {"value": status, "final": final}
    assert result["scores"]["gad7"]["total"] == 9


def test_a_stopped_response_keeps_what_was_answered() -> None:
    stopped = fixture("coded-items-phq9.json")
    stopped["status"], stopped["item"] = "stopped", stopped["item"][:4]
    result = score_import(CONTENT, stopped)
    assert result["status"] == {"value": "stopped", "final": False}
    assert result["scores"]["phq9"]["items_answered"] == 4 and result["scores"]["phq9"]["total"] is None
    assert result["safety"]["level"] is None and "phq9_9" in result["safety"]["missing"]


@pytest.mark.parametrize("status", [None, "final", "COMPLETED", "", 3, ["completed"], {"code": "completed"}])
def test_a_missing_or_unknown_status_is_refused(status: Any) -> None:
    resource = fixture("lhc-forms-gad7-69737-5.json")
    if status is None:
        del resource["status"]
    else:
        resource["status"] = status
    with pytest.raises(EngineError) as err:
        score_import(CONTENT, resource)
    assert err.value.code == "fhir_status" and "completed, amended, in-progress, stopped" in err.value.message


# --- malformed shapes: every one a clear EngineError naming where ---------------------------


PHQ9_1 = "/44250-9"
MALFORMED: list[tuple[str, Any, str]] = [
    # (what, item list, expected code)
    ("answer is a number", [{"linkId": PHQ9_1, "answer": 5}], "fhir_structure"),
    ("answer is a string", [{"linkId": PHQ9_1, "answer": "2"}], "fhir_structure"),
    ("answer is true", [{"linkId": PHQ9_1, "answer": True}], "fhir_structure"),
    ("answer is an object", [{"linkId": PHQ9_1, "answer": {"valueInteger": 2}}], "fhir_structure"),
    ("answer is null", [{"linkId": PHQ9_1, "answer": None}], "fhir_structure"),
    ("item.code junk on a group", [{"linkId": "g", "code": [[None]], "item": []}], "fhir_structure"),
    ("item.code is an empty object", [{"linkId": "q", "code": {}, "answer": [{"valueInteger": 1}]}], "fhir_structure"),
    ("children are null", [{"linkId": "g", "item": None}], "fhir_structure"),
    ("answer holds a number", [{"linkId": PHQ9_1, "answer": [5]}], "fhir_bad_answer"),
    ("answer holds null", [{"linkId": PHQ9_1, "answer": [None]}], "fhir_bad_answer"),
    ("answer holds true", [{"linkId": PHQ9_1, "answer": [True]}], "fhir_bad_answer"),
    ("answer holds a list", [{"linkId": PHQ9_1, "answer": [[]]}], "fhir_bad_answer"),
    ("valueCoding is a string", [{"linkId": PHQ9_1, "answer": [{"valueCoding": "LA6570-1"}]}], "fhir_bad_answer"),
    ("valueCoding is null", [{"linkId": PHQ9_1, "answer": [{"valueCoding": None}]}], "fhir_bad_answer"),
    ("valueCoding is a list", [{"linkId": PHQ9_1, "answer": [{"valueCoding": []}]}], "fhir_bad_answer"),
    ("code is a number", [{"linkId": PHQ9_1, "answer": [{"valueCoding": {"code": 5}}]}], "fhir_bad_answer"),
    ("code is empty", [{"linkId": PHQ9_1, "answer": [{"valueCoding": {"code": ""}}]}], "fhir_bad_answer"),
    ("no code", [{"linkId": PHQ9_1, "answer": [{"valueCoding": {"display": "Several days"}}]}], "fhir_bad_answer"),
    (
        "system a list",
        [{"linkId": PHQ9_1, "answer": [{"valueCoding": {"system": [], "code": "x"}}]}],
        "fhir_bad_answer",
    ),
    (
        "display a number",
        [{"linkId": PHQ9_1, "answer": [{"valueCoding": {"code": "LA6570-1", "display": 2}}]}],
        "fhir_bad_answer",
    ),
    ("valueInteger true", [{"linkId": PHQ9_1, "answer": [{"valueInteger": True}]}], "fhir_bad_answer"),
    ("valueInteger text", [{"linkId": PHQ9_1, "answer": [{"valueInteger": "2"}]}], "fhir_bad_answer"),
    ("valueInteger decimal", [{"linkId": PHQ9_1, "answer": [{"valueInteger": 2.0}]}], "fhir_bad_answer"),
    ("valueInteger null", [{"linkId": PHQ9_1, "answer": [{"valueInteger": None}]}], "fhir_bad_answer"),
    ("age as a decimal", [{"linkId": "age", "answer": [{"valueDecimal": 41.0}]}], "fhir_bad_answer"),
    (
        "two values in one answer",
        [{"linkId": PHQ9_1, "answer": [{"valueInteger": 1, **coding("LA6570-1")}]}],
        "fhir_bad_answer",
    ),
    ("item is a number", [5], "fhir_structure"),
    ("item is null", [None], "fhir_structure"),
    ("item is a list", [[{"linkId": PHQ9_1}]], "fhir_structure"),
    ("linkId is a number", [{"linkId": 44250, "answer": [{"valueInteger": 1}]}], "fhir_structure"),
    ("linkId is null", [{"linkId": None}], "fhir_structure"),
    ("linkId is empty", [{"linkId": ""}], "fhir_structure"),
    ("linkId is a list", [{"linkId": [PHQ9_1]}], "fhir_structure"),
    ("no linkId", [{"answer": [{"valueInteger": 1}]}], "fhir_structure"),
    ("item.code is a string", [{"linkId": "q", "code": "44250-9", "answer": [{"valueInteger": 1}]}], "fhir_structure"),
    ("item.code holds null", [{"linkId": "q", "code": [None], "answer": [{"valueInteger": 1}]}], "fhir_structure"),
    ("children are a string", [{"linkId": "g", "item": "phq9_1"}], "fhir_structure"),
    ("children are an object", [{"linkId": "g", "item": {"linkId": "phq9_1"}}], "fhir_structure"),
    ("answer children junk", [{"linkId": "/102011-4", "answer": [coding("LA33-6") | {"item": 7}]}], "fhir_structure"),
    (
        "junk deep inside",
        [{"linkId": "g", "item": [{"linkId": "h", "item": [{"linkId": PHQ9_1, "answer": [[1]]}]}]}],
        "fhir_bad_answer",
    ),
]


@pytest.mark.parametrize(("what", "items", "code"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_every_malformed_shape_is_a_clear_engine_error(what: str, items: Any, code: str) -> None:
    with pytest.raises(EngineError) as err:
        score_import(CONTENT, qr(*items))
    assert err.value.code == code, (what, err.value)
    assert err.value.where and err.value.message


@pytest.mark.parametrize("items", [5, "phq9_1", {"linkId": "phq9_1"}, True, None])
def test_a_top_level_item_that_is_not_a_list_is_refused(items: Any) -> None:
    with pytest.raises(EngineError, match="'item' must be a list"):
        score_import(CONTENT, {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items})


def test_items_nested_deeper_than_any_questionnaire_are_refused() -> None:
    node: dict[str, Any] = {"linkId": PHQ9_1, "answer": [{"valueInteger": 1}]}
    for n in range(200):
        node = {"linkId": f"g{n}", "item": [node]}
    with pytest.raises(EngineError, match="nested more than 32 deep"):
        score_import(CONTENT, qr(node))


# --- structure-aware fuzzing: QuestionnaireResponse-shaped trees with junk at every level ---

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**30) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


ITEM_CODES = sorted({i.loinc for i in CONTENT.items.values() if i.loinc} | {"46098-0", "68517-2", "75626-2"})
ANSWER_CODES = sorted({o.loinc for i in CONTENT.items.values() for o in i.options if o.loinc} | {"LA18938-3"})
PHQ_GAD = [i for i in CONTENT.items if i.startswith(("phq9_", "gad7_"))]  # 0-3 points: valueInteger fits
LINK_IDS = (
    st.sampled_from(PHQ_GAD)
    | st.sampled_from(list(CONTENT.items))
    | st.sampled_from(ITEM_CODES).flatmap(lambda c: st.sampled_from([c, f"/{c}", f"/72110-0/{c}", f"{c}/"]))
)
SYSTEMS = st.sampled_from([LOINC, ANSWERS, "http://snomed.info/sct", "https://loinc.org/"])
CODES = st.sampled_from(ANSWER_CODES) | st.sampled_from(["0", "1", "2", "yes", "no", "none"])
DISPLAYS = st.sampled_from(["Never", "Several days", "More days than not", "Sometimes", "Casi todos los días"])
STATUSES = st.sampled_from(["completed", "amended", "in-progress", "stopped", "entered-in-error"])


def _sound_answer(item: Any) -> Any:
    """A right answer to `item`, coded as one of the ways senders code it."""
    ways = []
    for o in item.options:
        ways.append({"valueCoding": {"system": ANSWERS, "code": str(o.value)}})
        if o.loinc:
            ways.append({"valueCoding": {"system": LOINC, "code": o.loinc, "display": o.label}})
            ways.append({"valueCoding": {"code": o.loinc}})
        ways += [{"valueCoding": {"code": code, "display": display}} for code, display in o.loinc_aliases]
        if o.points is not None and sum(p.points == o.points for p in item.options) == 1:
            ways.append({"valueInteger": o.points})
    if item.type == "integer":
        return st.integers(item.min, item.max).map(lambda v: [{"valueInteger": v}])
    return st.sampled_from(ways).map(lambda a: [a])


SOUND_ITEMS = st.sampled_from([i for i in CONTENT.items.values() if i.type != "multi"]).flatmap(
    lambda item: st.fixed_dictionaries(
        {
            "linkId": st.sampled_from([item.id, *([f"/{item.loinc}", f"/g/{item.loinc}"] if item.loinc else [])]),
            "answer": _sound_answer(item),
        }
    )
)


def responses(junk_one_in: int) -> Any:
    """QuestionnaireResponse-shaped trees where any element is junk once in `junk_one_in` draws."""

    def m(strategy: Any) -> Any:
        return st.integers(1, junk_one_in).flatmap(lambda n: JUNK if n == 1 else strategy)

    coding = st.fixed_dictionaries({"code": m(CODES)}, optional={"system": m(SYSTEMS), "display": m(DISPLAYS)})
    item_code = st.fixed_dictionaries({"system": SYSTEMS, "code": m(st.sampled_from(ITEM_CODES))})

    def answers(children: Any | None) -> Any:
        value = st.one_of(
            st.fixed_dictionaries({"valueCoding": m(coding)}),
            st.fixed_dictionaries({"valueInteger": m(st.integers(-1, 5))}),
            st.fixed_dictionaries({}, optional={"valueString": st.text(max_size=4), "valueBoolean": st.booleans()}),
        )
        if children is not None:
            nested = st.fixed_dictionaries({}, optional={"item": m(st.lists(children, max_size=2))})
            value = st.tuples(value, nested).map(lambda pair: {**pair[0], **pair[1]})
        return m(st.lists(m(value), max_size=3))

    items = st.recursive(
        SOUND_ITEMS | SOUND_ITEMS | st.fixed_dictionaries({"linkId": m(LINK_IDS)}, optional={"answer": answers(None)}),
        lambda children: m(
            st.fixed_dictionaries(
                {"linkId": m(LINK_IDS)},
                optional={
                    "answer": answers(children),
                    "item": m(st.lists(children, max_size=3)),
                    "code": m(st.lists(m(item_code), max_size=2)),
                },
            )
        ),
        max_leaves=12,
    )
    return st.fixed_dictionaries(
        {
            "resourceType": m(st.just("QuestionnaireResponse")),
            "status": m(STATUSES),
            "item": m(st.lists(items, min_size=1, max_size=5)),
        }
    )


def scored_or_refused(resource: Any) -> str:
    """Score it; only an EngineError may refuse it; return the outcome for the statistics."""
    before = copy.deepcopy(resource)
    try:
        result = score_import(CONTENT, resource)
    except EngineError as exc:
        assert exc.message
        return exc.code
    finally:
        assert resource == before  # the import never changes what it was given
    json.dumps(result)  # the answer serialises as the API sends it
    assert set(result["answers"]) <= set(CONTENT.items)
    return "scored" if result["answers"] else "nothing answered"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses(junk_one_in=4))
def test_junk_at_every_level_is_refused_with_an_engine_error(resource: Any) -> None:
    event(scored_or_refused(resource))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses(junk_one_in=40))
def test_mostly_well_formed_responses_are_scored_or_refused_with_an_engine_error(resource: Any) -> None:
    event(scored_or_refused(resource))
