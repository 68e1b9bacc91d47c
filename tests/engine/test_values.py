"""Answer values the engine accepts and refuses, one by one."""

from __future__ import annotations

import pytest

from screenplan.engine import EngineError, check_value, load_content

CONTENT = load_content()


def test_it_refuses_an_empty_health_list_so_none_must_be_chosen() -> None:
    with pytest.raises(EngineError) as info:
        check_value(CONTENT, CONTENT.items["health"], [], {})
    assert (info.value.code, info.value.where) == ("bad_value", "health")


@pytest.mark.parametrize("value", ["none", ["none"]])
def test_it_accepts_none_of_these_as_a_word_or_a_list(value: object) -> None:
    assert check_value(CONTENT, CONTENT.items["health"], value, {}) == ["none"]


def test_it_keeps_the_content_order_of_a_multi_select() -> None:
    assert check_value(CONTENT, CONTENT.items["health"], ["liver", "psychosis"], {"sex": "female"}) == [
        "psychosis",
        "liver",
    ]


@pytest.mark.parametrize("value", [True, 2.0, "2", None, [2]])
def test_it_refuses_anything_but_a_whole_number_for_phq9(value: object) -> None:
    with pytest.raises(EngineError) as info:
        check_value(CONTENT, CONTENT.items["phq9_1"], value, {})
    assert info.value.where == "phq9_1"


def test_it_refuses_a_drug_kind_list_that_is_empty() -> None:
    with pytest.raises(EngineError):
        check_value(CONTENT, CONTENT.items["drug_kinds"], [], {})
