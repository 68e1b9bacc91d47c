"""Properties of the engine over generated answer sets (clinical-spec §3-§6, reliability-security
"Bad input"): the shortened flow decides like the full answers, safety items are always asked,
contraindications hold, scores stay in range, and bad input is refused with an EngineError."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spec_oracle import ASQ_1_4, POSITIVE, decision, expected, full_pass, safety_level, totals

from screenplan.engine import EngineError, build_plan, decide, load_content, simulate
from screenplan.engine import flow as engine_flow

CONTENT = load_content()
ITEMS = CONTENT.items
SAFETY_ITEMS = ["phq9_9", *ASQ_1_4]
DRUG_KINDS = [o.value for o in ITEMS["drug_kinds"].options]
HEALTH_IDS = [o.value for o in ITEMS["health"].options if o.value != "none"]
RANGES = {"phq9": (0, 27), "gad7": (0, 21), "audit": (0, 40), "pcptsd5": (0, 5), "asq": (0, 4)}
MAIN = settings(max_examples=300, deadline=None)


@st.composite
def points(draw: st.DrawFn, n: int, top: int) -> list[int]:
    """n item scores, each up to a drawn ceiling, so low, middle and high totals all occur."""
    ceiling = draw(st.integers(0, top))
    return [draw(st.integers(0, ceiling)) for _ in range(n)]


@st.composite
def full_answers(draw: st.DrawFn) -> dict[str, Any]:
    """A valid answer to every question of the battery, as a respondent could give them."""
    sex = draw(st.sampled_from(["female", "male", "other"]))
    a: dict[str, Any] = {
        "age": draw(st.one_of(*[st.integers(18, 120)] * 9, st.integers(0, 17))),
        "sex": sex,
    }
    audit = draw(points(8, 4))
    a.update({f"audit_{n + 1}": p for n, p in enumerate(audit)})
    a["audit_9"] = draw(st.sampled_from([0, 2, 4]))
    a["audit_10"] = draw(st.sampled_from([0, 2, 4]))
    a["drug_use_year"] = draw(st.sampled_from(["0", "1", "2+"]))
    a["drug_kinds"] = draw(st.lists(st.sampled_from(DRUG_KINDS), min_size=1, unique=True))
    a.update({f"phq9_{n + 1}": p for n, p in enumerate(draw(points(9, 3)))})
    risky = draw(st.booleans())  # otherwise almost everyone would screen positive on the ASQ
    asq = st.sampled_from(["no", "yes", "decline"] if risky else ["no"])
    a.update({f"asq_{n}": draw(asq) for n in range(1, 6)})
    a.update({f"gad7_{n + 1}": p for n, p in enumerate(draw(points(7, 3)))})
    a.update({f"pcptsd5_{n}": draw(st.sampled_from(["no", "yes"])) for n in range(6)})
    offered = [h for h in HEALTH_IDS if not (h == "pregnant" and sex == "male")]
    a["health"] = draw(st.one_of(st.just(["none"]), st.lists(st.sampled_from(offered), min_size=1, unique=True)))
    a["tx_antidepressants"] = draw(st.sampled_from(["0", "1", "2+"]))
    a["tx_substance"] = draw(st.sampled_from(["never", "once", "more"]))
    a["readiness"] = draw(st.integers(0, 10))
    a["support"] = draw(st.sampled_from(["yes", "no", "unsure"]))
    assert set(a) == set(ITEMS)
    return a


# (a) clinical-spec §3 rule 4: the plan from the shortened flow equals the plan from the full answers.
@MAIN
@given(full_answers())
def test_the_shortened_flow_decides_like_the_full_answers(a: dict[str, Any]) -> None:
    short = simulate(CONTENT, a)["plan"]
    full = build_plan(CONTENT, full_pass(a))
    assert decision(short) == decision(full)
    assert (short["audit_zone"], short["intervention_zone"], short["auditc"]) == (
        full["audit_zone"],
        full["intervention_zone"],
        full["auditc"],
    )
    assert short["rules_fired"] == full["rules_fired"]


@MAIN
@given(full_answers())
def test_the_plan_decides_what_the_clinical_spec_says(a: dict[str, Any]) -> None:
    assert decision(build_plan(CONTENT, full_pass(a))) == expected(a)


# (b) clinical-spec §3 rule 1: safety items are never skipped or curtailed.
@MAIN
@given(full_answers())
def test_safety_questions_are_always_asked_of_adults(a: dict[str, Any]) -> None:
    asked = simulate(CONTENT, a)["asked"]
    if a["age"] < 18:
        assert asked == ["age"]
        return
    assert [i for i in SAFETY_ITEMS if i not in asked] == []
    assert ("asq_5" in asked) == any(a[i] in POSITIVE for i in ASQ_1_4)
    assert len(asked) == len(set(asked))
    assert asked == [i for i in ITEMS if i in asked], "questions come in the flow's order"


# (c) clinical-spec §4: "absolute" excludes the medicine.
@MAIN
@given(full_answers())
def test_no_medicine_with_an_absolute_contraindication_is_offered(a: dict[str, Any]) -> None:
    for plan in (simulate(CONTENT, a)["plan"], build_plan(CONTENT, full_pass(a))):
        absolute = {c["medicine"] for c in plan["contraindications"] if c["kind"] == "absolute"}
        for med in absolute:
            assert plan["medicines"][med] in ("excluded", "not_indicated"), med
        if "pregnant" in a["health"] and a["age"] >= 18:
            assert set(plan["medicines"].values()) <= {"excluded", "not_indicated"}


def bound_holds(bound: str, total: int) -> bool:
    op, n = bound.split()
    return total >= int(n) if op == ">=" else op == "<=" and total <= int(n)


# (d) clinical-spec §3 rule 3: a curtailed score is a bound, never an invented total.
@MAIN
@given(full_answers())
def test_scores_stay_in_range_and_a_curtailed_score_is_a_bound(a: dict[str, Any]) -> None:
    run = simulate(CONTENT, a)
    full = build_plan(CONTENT, full_pass(a))
    for key, (lo, hi) in RANGES.items():
        s, f = run["plan"]["scores"][key], full["scores"][key]
        for score in (s, f):
            assert score["total"] is None or lo <= score["total"] <= hi
            assert score["complete"] is (score["total"] is not None)
            assert score["bound"] is None or score["total"] is None
        items = CONTENT.scores[key].items
        curtailed = [i for i in items if i in full_pass(a) and i not in run["asked"]]
        if a["age"] < 18:
            assert s["total"] is None and s["bound"] is None
        elif curtailed:
            assert s["total"] is None and s["bound"] is not None, (key, curtailed, s)
            assert f["total"] is not None and bound_holds(s["bound"], f["total"]), (s["bound"], f["total"])
            assert lo <= int(s["bound"].split()[1]) <= hi
        else:
            assert (s["total"], s["bound"]) == (f["total"], f["bound"])
        if a["age"] >= 18:
            assert f["total"] == totals(a)[key]


# (e) clinical-spec §3 rule 5: the level is known as soon as the answer that raises it is given.
@MAIN
@given(full_answers())
def test_the_safety_level_is_known_as_soon_as_an_answer_raises_it(a: dict[str, Any]) -> None:
    asked = simulate(CONTENT, a)["asked"]
    safety_so_far = getattr(engine_flow, "safety_so_far", None)
    for n, item_id in enumerate(asked):
        if item_id not in (*SAFETY_ITEMS, "asq_5"):
            continue
        prefix = {i: a[i] for i in asked[: n + 1]}
        level = safety_level(prefix)
        # Completed with the least worrying answers to the safety questions still to come, the
        # pass must already have this level: nothing later can lower it or is needed to raise it.
        calm = {**a, **{i: 0 if i == "phq9_9" else "no" for i in (*SAFETY_ITEMS, "asq_5") if i not in prefix}}
        assert decide(CONTENT, full_pass(calm)).safety == level, (item_id, prefix)
        if safety_so_far is not None:
            assert safety_so_far(CONTENT, prefix) == level, (item_id, prefix)


# clinical-spec §5-§6: crisis help is on every plan, first when the risk is acute.
@MAIN
@given(full_answers())
def test_crisis_help_is_always_there_and_first_only_when_acute(a: dict[str, Any]) -> None:
    plan = simulate(CONTENT, a)["plan"]
    ids = [section["id"] for section in plan["sections"]]
    assert ids.count("crisis") == 1
    assert (ids[0] == "crisis") == (plan["priority"] == "crisis") or plan["pathway"]["primary"] == "out_of_scope"
    assert (plan["priority"] == "crisis") == (plan["safety"]["level"] == "acute")


# (f) reliability-security "Bad input": every invalid answer set is refused with an EngineError.
NOT_A_NUMBER = [math.nan, math.inf, -math.inf]


def wrong_values(item_id: str) -> st.SearchStrategy[Any]:
    """Values of the wrong type or out of range for this question, and nothing valid."""
    item = ITEMS[item_id]
    junk = st.one_of(st.none(), st.booleans(), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
    numbers = [o.value for o in item.options if isinstance(o.value, int)]
    if item.type == "integer" or numbers:
        valid = set(range(item.min, item.max + 1)) if item.type == "integer" else set(numbers)
        return st.one_of(
            junk,
            st.integers().filter(lambda v: v not in valid),
            st.sampled_from(sorted(valid)).map(float),
            st.sampled_from(sorted(valid)).map(str),
            st.sampled_from(sorted(valid)).map(lambda v: [v]),
            st.sampled_from(NOT_A_NUMBER),
        )
    labels = [str(o.value) for o in item.options]
    if item.type == "choice":
        return st.one_of(
            junk,
            st.integers(),
            st.floats(allow_nan=True),
            st.text(max_size=5).filter(lambda v: v not in labels),
            st.sampled_from(labels).map(lambda v: [v]),
            st.sampled_from(labels).map(lambda v: v.upper() if v.upper() != v else v + " "),
        )
    return st.one_of(  # a multi-select question
        junk,
        st.integers(),
        st.sampled_from(NOT_A_NUMBER),
        st.sampled_from([v for v in labels if v != item.exclusive]),  # a bare string, not a list
        st.sampled_from(labels).map(lambda v: [[v]]),
        st.lists(st.text(max_size=5).filter(lambda v: v not in labels), min_size=1, max_size=2),
        *([] if item.exclusive else [st.just([])]),
    )


CODES = {  # the mutation -> the EngineError code check_pass gives
    "unknown_id": "unknown_item",
    "wrong_value": "bad_value",
    "duplicate": "bad_value",
    "pregnant_male": "bad_value",
    "combined_none": "bad_value",
    "closed_gate": "not_asked",
    "missing": "missing_answer",
}


@MAIN
@given(full_answers(), st.sampled_from(sorted(CODES)), st.data())
def test_every_invalid_answer_set_is_refused_with_an_engine_error(a: dict[str, Any], how: str, data: Any) -> None:
    passed = full_pass(a)
    asked = simulate(CONTENT, a)["asked"]
    if how in ("duplicate", "pregnant_male", "combined_none") and a["age"] < 18:
        how = "missing"  # a minor answers only the age
    if how == "duplicate" and not any(ITEMS[i].type == "multi" for i in asked):
        how = "missing"  # no list question was asked (relevance skipped the health list)
    bad = dict(passed)
    item_id = "health"
    if how == "unknown_id":
        item_id = data.draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in ITEMS) | st.just("phq9_10"))
        bad[item_id] = data.draw(st.integers(0, 3))
    elif how == "wrong_value":
        item_id = data.draw(st.sampled_from(asked))
        bad[item_id] = data.draw(wrong_values(item_id))
    elif how == "duplicate":
        item_id = data.draw(st.sampled_from([i for i in asked if ITEMS[i].type == "multi"]))
        bad[item_id] = [*a[item_id], a[item_id][0]]
    elif how == "closed_gate":
        closed = [i for i in ITEMS if i not in passed]
        if not closed:  # every gate open: close one by answering no to the trauma question
            bad = full_pass({**a, "pcptsd5_0": "no"})
            closed = [i for i in ITEMS if i not in bad]
        item_id = data.draw(st.sampled_from(closed))
        bad[item_id] = a[item_id]
    elif how == "missing":  # the plan page's own questions may be left out
        item_id = data.draw(st.sampled_from([i for i in asked if i not in CONTENT.after_plan]))
        del bad[item_id]
    elif how == "pregnant_male":
        bad.update(sex="male", health=["pregnant"])
    else:  # "none" with something else
        bad["health"] = data.draw(st.permutations(["none", data.draw(st.sampled_from(HEALTH_IDS))]))
    with pytest.raises(EngineError) as refused:
        build_plan(CONTENT, bad)
    assert (refused.value.code, refused.value.where) == (CODES[how], item_id)
    if how != "closed_gate" and (item_id in asked or how in ("unknown_id", "missing")):
        # simulate ignores answers to questions the flow does not ask (a closed gate, or one
        # relevance skipped), and still refuses an unknown id
        with pytest.raises(EngineError) as refused:
            simulate(CONTENT, bad if how == "missing" else {**a, **bad})
        assert (refused.value.code, refused.value.where) == (CODES[how], item_id)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(list(ITEMS)) | st.text(max_size=8), json_values, max_size=12),
    )
)
def test_arbitrary_json_gives_a_plan_or_an_engine_error(answers: Any) -> None:
    for run in (build_plan, simulate):
        with contextlib.suppress(EngineError):
            run(CONTENT, answers)


@MAIN
@given(full_answers(), st.data())
def test_a_valid_pass_with_one_answer_changed_gives_a_plan_or_an_engine_error(a: dict[str, Any], data: Any) -> None:
    bad = full_pass(a)
    item_id = data.draw(st.sampled_from(list(ITEMS)))
    bad[item_id] = data.draw(json_values)
    with contextlib.suppress(EngineError):
        build_plan(CONTENT, bad)
