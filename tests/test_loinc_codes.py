"""Every LOINC code the AUDIT carries, checked against a table written from its sources.

A code in the content that is not in this table, or differs from it, fails; so does a code in
the table that the content lost. Each row names where the code and its meaning were read:

- LOINC 72110-0: LOINC's own panel page for the AUDIT (loinc.org/72110-0, version 2.80), which
  lists 68518-0, 68519-8, 68520-6, 97734-8 ... 97740-5 and 75624-7 in that order with their names.
- HL7 PT: HL7 Portugal's Terminologias guide 1.0.0, value sets "CPE - AUDIT Observation" (the same
  item codes with English designations) and "CPE - AUDIT-C Result" (the answers of items 1-3).
- LL2179-1: the answer list of item 1 as two public FHIR implementations quote it from LOINC
  2.82/2.83 (ktc-questionnaire-starters' generate.py; a health app's social-history table).
- US Core: HL7 US Core's AUDIT-C Questionnaire example (items 2-3 and their answers).
- quickq: one public implementation's AUDIT fixtures (scripts/generate_fixtures.py); the only
  source read for the answers of items 4-10, so audit.yaml lists them under verification_needed.
"""

from __future__ import annotations

import pytest

from screenplan.engine import load_content
from screenplan.exports.fhir import LOINC, questionnaire

CONTENT = load_content()

PANEL = ("72110-0", "Alcohol Use Disorder Identification Test [AUDIT]", "LOINC 72110-0; HL7 PT")
ITEMS = {
    "audit_1": ("68518-0", "How often do you have a drink containing alcohol?", "LOINC 72110-0; HL7 PT"),
    "audit_2": ("68519-8", "How many standard drinks ... on a typical day when drinking?", "LOINC 72110-0; US Core"),
    "audit_3": ("68520-6", "How often do you have six or more drinks on one occasion?", "LOINC 72110-0; US Core"),
    "audit_4": ("97734-8", "... not able to stop drinking once you had started?", "LOINC 72110-0; HL7 PT"),
    "audit_5": ("97735-5", "... failed to do what was normally expected of you ...?", "LOINC 72110-0; HL7 PT"),
    "audit_6": ("97736-3", "... needed a drink in the morning to get yourself going ...?", "LOINC 72110-0; HL7 PT"),
    "audit_7": ("97737-1", "... had a feeling of guilt or remorse after drinking?", "LOINC 72110-0; HL7 PT"),
    "audit_8": ("97738-9", "... unable to remember what happened the night before ...?", "LOINC 72110-0; HL7 PT"),
    "audit_9": ("97739-7", "Have you or someone else been injured as a result of your drinking?", "LOINC 72110-0"),
    "audit_10": ("97740-5", "Has a relative or friend, doctor ... suggested you cut down?", "LOINC 72110-0; HL7 PT"),
}
SCORES = {
    "audit": ("75624-7", "Total score [AUDIT]", "LOINC 72110-0; HL7 PT"),
    "auditc": ("75626-2", "Total score [AUDIT-C]", "US Core; loinc.org/75626-2"),
}
FREQUENCY = [  # items 3-8: points, LOINC answer, its display
    (0, "LA6270-8", "Never"),
    (1, "LA18933-4", "Less than monthly"),
    (2, "LA18876-5", "Monthly"),
    (3, "LA18891-4", "Weekly"),
    (4, "LA18934-2", "Daily or almost daily"),
]
ANSWERS = {
    "audit_1": [  # LL2179-1; HL7 PT
        (0, "LA6270-8", "Never"),
        (1, "LA18926-8", "Monthly or less"),
        (2, "LA18927-6", "2-4 times a month"),
        (3, "LA18928-4", "2-3 times a week"),
        (4, "LA18929-2", "4 or more times a week"),
    ],
    "audit_2": [  # US Core; HL7 PT; LL2180-9
        (0, "LA15694-5", "1 or 2"),
        (1, "LA15695-2", "3 or 4"),
        (2, "LA18930-0", "5 or 6"),
        (3, "LA18931-8", "7 to 9"),
        (4, "LA18932-6", "10 or more"),
    ],
    "audit_3": FREQUENCY,  # US Core; HL7 PT; LL2181-7
    **{f"audit_{n}": FREQUENCY for n in range(4, 9)},  # quickq only
    **{
        f"audit_{n}": [  # quickq only
            (0, "LA32-8", "No"),
            (2, "LA32279-4", "Yes, but not in the last year"),
            (4, "LA32280-2", "Yes, during the last year"),
        ]
        for n in (9, 10)
    },
}
SINGLE_SOURCE = {f"audit_{n}" for n in range(4, 11)}  # answers read in one implementation only


def test_the_audit_panel_is_72110_0_not_the_auditc_panel() -> None:
    assert CONTENT.instrument("audit").loinc == PANEL[0]
    assert questionnaire(CONTENT, "audit")["code"] == [{"system": LOINC, "code": PANEL[0]}]
    group = next(g for g in questionnaire(CONTENT)["item"] if g["linkId"] == "group.audit")
    assert group["code"] == [{"system": LOINC, "code": PANEL[0]}]


@pytest.mark.parametrize("item_id", list(ITEMS))
def test_every_audit_item_carries_its_loinc_code(item_id: str) -> None:
    assert CONTENT.items[item_id].loinc == ITEMS[item_id][0]


def test_the_item_codes_follow_the_panel_order() -> None:
    audit = [i for i in CONTENT.items.values() if i.instrument == "audit"]
    assert [i.loinc for i in audit] == [code for code, _, _ in ITEMS.values()]


@pytest.mark.parametrize("score_id", list(SCORES))
def test_the_audit_totals_carry_their_loinc_codes(score_id: str) -> None:
    assert CONTENT.scores[score_id].loinc == SCORES[score_id][0]


@pytest.mark.parametrize("item_id", list(ANSWERS))
def test_every_audit_answer_carries_its_loinc_answer_code(item_id: str) -> None:
    item = CONTENT.items[item_id]
    assert [(o.points, o.loinc) for o in item.options] == [(p, code) for p, code, _ in ANSWERS[item_id]]


def test_the_single_source_answer_codes_are_declared_unverified() -> None:
    notes = " ".join(CONTENT.instrument("audit").verification_needed)
    assert "items 4-8" in notes and "items 9-10" in notes and "LL2181-7" in notes
    single = {code for item in SINGLE_SOURCE for _, code, _ in ANSWERS[item]} - {c for _, c, _ in FREQUENCY}
    assert all(code in notes for code in single), single  # LA32-8, LA32279-4, LA32280-2


def loinc_check_digit(code: str) -> int:
    """LOINC's mod-10 check digit of a term code ("72110-0" -> 0), from LOINC's Users' Guide."""
    total = 0
    for n, char in enumerate(reversed(code.split("-")[0])):
        digit = int(char) * (2 if n % 2 == 0 else 1)
        total += digit // 10 + digit % 10
    return (10 - total % 10) % 10


def test_every_loinc_term_code_in_the_content_has_a_valid_check_digit() -> None:
    codes = {i.loinc for i in CONTENT.instruments if i.loinc}
    codes |= {i.loinc for i in CONTENT.items.values() if i.loinc}
    codes |= {s.loinc for s in CONTENT.scores.values() if s.loinc}
    assert len(codes) > 40
    bad = sorted(c for c in codes if loinc_check_digit(c) != int(c.split("-")[1]))
    assert bad == []
    assert (loinc_check_digit("72110-0"), loinc_check_digit("72109-2")) == (0, 2)
    assert loinc_check_digit("97743-8") != 8  # two digits swapped in 97734-8 are caught
