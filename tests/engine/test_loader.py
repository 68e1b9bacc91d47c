"""The loader refuses broken content with a code and the place to fix (file and path).

Each test makes one small, realistic mistake in one shipped file, the kind a clinical lead
could make while editing, and checks the error's code and `where`.
"""

from __future__ import annotations

import pytest

from screenplan.engine import EngineError, load_content
from screenplan.engine.content import parse_files, read_folder

SHIPPED = read_folder()


def load_with(file: str, old: str, new: str) -> EngineError:
    """Load the shipped content with `old` replaced by `new` in `file`; return the error."""
    assert SHIPPED[file].count(old) == 1, f"the break must hit exactly one place in {file}"
    with pytest.raises(EngineError) as info:
        parse_files({**SHIPPED, file: SHIPPED[file].replace(old, new)})
    return info.value


def test_the_shipped_content_loads():
    content = load_content()
    assert list(content.items)[:3] == ["age", "audit_1", "audit_2"]
    assert list(content.items)[-1] == "support"
    assert len(content.items) == 46
    assert parse_files(SHIPPED).version == content.version


# unknown_reference


def test_it_rejects_a_rule_naming_a_missing_finding():
    err = load_with("rules.yaml", "when: {finding: depression}\n", "when: {finding: depresion}\n")
    assert (err.code, err.where) == ("unknown_reference", "rules.yaml: pathways[4].when")
    assert "depresion" in err.message


def test_it_rejects_a_flow_order_naming_a_missing_instrument():
    err = load_with("flow.yaml", "drugs, phq9, gad7", "drugs, phq-9, gad7")
    assert (err.code, err.where) == ("unknown_reference", "flow.yaml: order[3]")


def test_it_rejects_a_gate_naming_a_missing_question():
    err = load_with("flow.yaml", "items: [asq_5]", "items: [asq5]")
    assert (err.code, err.where) == ("unknown_reference", "flow.yaml: gates[4].items")


def test_it_rejects_an_instrument_finding_naming_a_missing_score():
    err = load_with("instruments/gad7.yaml", "{score: gad7, op", "{score: gad07, op")
    assert (err.code, err.where) == ("unknown_reference", "instruments/gad7.yaml: findings[0].when")


def test_it_rejects_a_translation_of_a_missing_question():
    err = load_with("instruments/phq9.yaml", "      phq9_9: Pensamientos", "      phq9_99: Pensamientos")
    assert (err.code, err.where) == ("unknown_reference", "instruments/phq9.yaml: translations.es")


# reference_order


def test_it_rejects_a_gate_that_depends_on_a_finding():
    err = load_with("flow.yaml", "when: {score: auditc, op: '>=', value: 3}", "when: {finding: auditc_positive}")
    assert (err.code, err.where) == ("reference_order", "flow.yaml: gates[1].when")


def test_it_rejects_a_medicine_rule_that_depends_on_another_medicine():
    err = load_with(
        "rules.yaml",
        "  rule: R-MED-ACAMPROSATE\n  indicated_when:\n    any:\n",
        "  rule: R-MED-ACAMPROSATE\n  indicated_when:\n    any:\n"
        "    - {medicine: naltrexone, op: '=', value: excluded}\n",
    )
    assert (err.code, err.where) == ("reference_order", "rules.yaml: medicines[1].indicated_when")


def test_it_rejects_a_finding_that_depends_on_a_later_finding():
    err = load_with(
        "instruments/drugs.yaml",
        "when: {item: drug_use_year, op: '!=', value: '0'}",
        "when: {any: [{item: drug_use_year, op: '!=', value: '0'}, {finding: prior_treatment}]}",
    )
    assert (err.code, err.where) == ("reference_order", "instruments/drugs.yaml: findings[0].when")


# unreachable_item


def test_it_rejects_an_instrument_missing_from_the_flow_order():
    err = load_with("flow.yaml", "asq, pcptsd5, history", "asq, history")
    assert (err.code, err.where) == ("unreachable_item", "instruments/pcptsd5.yaml")


def test_it_rejects_a_gate_that_depends_on_a_later_question():
    later = "{item: tx_substance, op: '!=', value: never}"
    err = load_with("flow.yaml", "{item: drug_use_year, op: '!=', value: '0'}", later)
    assert (err.code, err.where) == ("unreachable_item", "flow.yaml: gates[2].when")


def test_it_rejects_a_gate_that_skips_a_safety_question_on_other_answers():
    # A two-stage gate that could skip PHQ-9 item 9 or the ASQ would miss people at risk.
    err = load_with("flow.yaml", "{score: asq, op: '>=', value: 1}", "{score: gad7, op: '>=', value: 10}")
    assert (err.code, err.where) == ("bad_value", "flow.yaml: gates[4].items")
    assert "safety question" in err.message


def test_it_rejects_an_option_shown_on_an_answer_given_later():
    err = load_with(
        "instruments/drugs.yaml",
        "{value: other, label: Something else}",
        "{value: other, label: Something else, show_when: {item: sex, op: '!=', value: male}}",
    )
    assert (err.code, err.where) == ("unreachable_item", "instruments/drugs.yaml: drug_kinds.other.show_when")


def test_it_rejects_a_decision_on_a_question_asked_after_the_plan():
    # readiness and support only choose wording; a rule on them could not be decided when the plan is shown.
    err = load_with("rules.yaml", "when: {finding: opioid_misuse}\n", "when: {item: support, op: '=', value: 'no'}\n")
    assert err.code == "reference_order" and "after the plan" in err.message


def test_it_rejects_a_question_moved_out_of_a_validated_instrument():
    err = load_with("flow.yaml", "order: [about, audit,", "order: [about, phq9_9, audit,")
    assert (err.code, err.where) == ("reference_order", "instruments/phq9.yaml")


def test_it_rejects_a_curtailment_side_it_does_not_know():
    err = load_with("flow.yaml", "  gad7: negative", "  gad7: positive")
    assert (err.code, err.where) == ("bad_value", "flow.yaml: curtail.gad7")


# bands and score ranges


def test_it_rejects_a_gap_between_two_bands():
    err = load_with("instruments/phq9.yaml", "{id: moderate, min: 10,", "{id: moderate, min: 11,")
    assert (err.code, err.where) == ("band_gap", "instruments/phq9.yaml: scores[0].bands[2]")


def test_it_rejects_bands_that_stop_before_the_top_of_the_range():
    err = load_with("instruments/audit.yaml", "{id: IV, min: 20, max: 40,", "{id: IV, min: 20, max: 39,")
    assert (err.code, err.where) == ("band_gap", "instruments/audit.yaml: scores[1].bands")


def test_it_rejects_overlapping_bands():
    err = load_with("instruments/gad7.yaml", "{id: mild, min: 5,", "{id: mild, min: 4,")
    assert (err.code, err.where) == ("band_overlap", "instruments/gad7.yaml: scores[0].bands[1]")


def test_it_rejects_a_total_that_leaves_out_an_item():
    err = load_with("instruments/phq9.yaml", "phq9_8, phq9_9]", "phq9_8]")
    assert (err.code, err.where) == ("score_range_mismatch", "instruments/phq9.yaml: scores[0]")
    assert "[0, 24]" in err.message


# duplicate_id


def test_it_rejects_two_questions_with_one_id():
    err = load_with("instruments/gad7.yaml", "- id: gad7_7", "- id: gad7_6")
    assert (err.code, err.where) == ("duplicate_id", "instruments/gad7.yaml: items[6].id")


def test_it_rejects_two_rules_with_one_id():
    err = load_with("rules.yaml", "{rule: R-CI-ALLERGY-NALTREXONE,", "{rule: R-CI-ALLERGY-KETAMINE,")
    assert (err.code, err.where) == ("duplicate_id", "rules.yaml: contraindications[15].rule")


def test_it_rejects_two_options_with_one_value():
    err = load_with(
        "instruments/phq9.yaml",
        "  - value: 3\n    label: Nearly every day",
        "  - value: 2\n    label: Nearly every day",
    )
    assert (err.code, err.where) == ("duplicate_id", "instruments/phq9.yaml: items[0].options")


def test_it_rejects_one_loinc_answer_code_on_two_options():
    err = load_with(
        "instruments/gad7.yaml",
        "loinc_aliases: [{code: LA18938-3,",
        "loinc_aliases: [{code: LA6571-9,",
    )
    assert (err.code, err.where) == ("duplicate_id", "instruments/gad7.yaml: items[0].options")
    err = load_with("instruments/gad7.yaml", "display: More days than not}]", "label: More days than not}]")
    assert (err.code, err.where) == ("bad_key", "instruments/gad7.yaml: items[0].options[2].loinc_aliases[0]")


# sources and texts


def test_it_rejects_a_rule_citing_a_missing_source():
    err = load_with("rules.yaml", "  sources: [Kroenke 2001]\n", "  sources: [Kroenke 2002]\n")
    assert (err.code, err.where) == ("missing_source", "rules.yaml: pathways[4].sources")
    assert "Kroenke 2002" in err.message


def test_it_rejects_a_finding_without_plan_text():
    err = load_with("text/en.yaml", "  ptsd: Signs of post-traumatic stress (PC-PTSD-5 3 or more)\n", "")
    assert (err.code, err.where) == ("missing_text", "text/en.yaml: findings")
    assert "ptsd" in err.message


# values, operators and condition shapes


def test_it_rejects_a_zone_written_as_a_number():
    err = load_with(
        "rules.yaml",
        "{band: intervention_zone, op: '>=', value: III}\n  rationale: Harmful",
        "{band: intervention_zone, op: '>=', value: 3}\n  rationale: Harmful",
    )
    assert (err.code, err.where) == ("bad_value", "rules.yaml: pathways[3].when")


def test_it_rejects_a_rule_comparing_with_an_answer_the_question_does_not_have():
    err = load_with("rules.yaml", "value: hallucinogens_ketamine}", "value: ketamine}")
    assert (err.code, err.where) == ("bad_value", "rules.yaml: contraindications[17].when")


def test_it_rejects_a_finding_comparing_a_text_answer_with_a_number():
    # YAML reads 2 as a number; the answer is the text '2+'
    err = load_with("instruments/history.yaml", "value: '2+'}", "value: 2}")
    assert (err.code, err.where) == ("bad_value", "instruments/history.yaml: findings[0].when")


def test_it_rejects_a_translated_option_list_of_the_wrong_length():
    err = load_with("instruments/phq9.yaml", "      - Casi todos los días\n", "")
    assert (err.code, err.where) == ("bad_value", "instruments/phq9.yaml: translations.es")
    assert "frequency" in err.message


def test_it_rejects_an_unknown_evidence_level():
    err = load_with("instruments/phq9.yaml", "  evidence: A", "  evidence: D")
    assert (err.code, err.where) == ("bad_value", "instruments/phq9.yaml: findings[0].evidence")


def test_it_rejects_a_mistyped_operator():
    err = load_with("instruments/phq9.yaml", "op: '>=', value: 10}", "op: '=>', value: 10}")
    assert (err.code, err.where) == ("bad_operator", "instruments/phq9.yaml: findings[0].when")


def test_it_rejects_a_condition_with_a_misspelled_kind():
    err = load_with("rules.yaml", "when: {finding: depression}\n", "when: {findings: depression}\n")
    assert (err.code, err.where) == ("bad_condition", "rules.yaml: pathways[4].when")


# file syntax and required keys


def test_it_rejects_a_file_that_is_not_valid_yaml():
    line = next(n for n, ln in enumerate(SHIPPED["rules.yaml"].splitlines(), 1) if "rule: R-CI-HEART," in ln)
    err = load_with("rules.yaml", "value: heart}, rationale:", "value: heart, rationale:")
    assert (err.code, err.where) == ("yaml_error", "rules.yaml")
    assert f"line {line}," in err.message


def test_it_rejects_a_rule_without_a_rationale():
    err = load_with(
        "rules.yaml", "  rationale: Depression responds to evidence-based psychotherapy and medical treatment.\n", ""
    )
    assert (err.code, err.where) == ("missing_key", "rules.yaml: pathways[4]")


def test_it_rejects_a_band_without_a_meaning():
    err = load_with(
        "instruments/phq9.yaml",
        "label: Moderate, meaning: Signs of depression that usually deserve a conversation with a clinician.}",
        "label: Moderate}",
    )
    assert (err.code, err.where) == ("missing_key", "instruments/phq9.yaml: scores[0].bands[2]")


def test_it_rejects_a_medicine_rule_without_its_indication():
    # `when` instead of `indicated_when` must not leave the medicine indicated for everyone
    err = load_with("rules.yaml", "  rule: R-MED-KETAMINE\n  indicated_when:", "  rule: R-MED-KETAMINE\n  when:")
    assert (err.code, err.where) == ("missing_key", "rules.yaml: medicines[2]")


def test_it_rejects_a_score_range_that_is_not_a_list():
    err = load_with("instruments/phq9.yaml", "  range: [0, 27]", "  range: 0-27")
    assert (err.code, err.where) == ("bad_type", "instruments/phq9.yaml: scores[0].range")


def test_it_rejects_a_band_edge_written_as_text():
    err = load_with("instruments/phq9.yaml", "{id: moderate, min: 10,", "{id: moderate, min: '10',")
    assert (err.code, err.where) == ("bad_type", "instruments/phq9.yaml: scores[0].bands[2].min")


# Misspellings must never load silently


def test_it_rejects_a_medicine_whose_condition_key_is_misspelled():
    # A rule without its condition must not default to "always": ketamine would be offered to all.
    err = load_with("rules.yaml", "  rule: R-MED-KETAMINE\n  indicated_when:\n", "  rule: R-MED-KETAMINE\n  when:\n")
    assert (err.code, err.where) == ("missing_key", "rules.yaml: medicines[2]")


def test_it_rejects_a_misspelled_safety_flag():
    err = load_with("instruments/phq9.yaml", "  safety: true\n", "  saftey: true\n")
    assert (err.code, err.where) == ("bad_key", "instruments/phq9.yaml: items[8]")


def test_it_rejects_a_key_written_twice():
    err = load_with("text/en.yaml", "  crisis: Help right now\n", "  crisis: Help right now\n  crisis: Help\n")
    assert (err.code, err.where) == ("yaml_error", "text/en.yaml")
    assert "appears twice" in err.message


def test_it_rejects_a_contraindication_for_an_unknown_medicine():
    err = load_with(
        "rules.yaml",
        "id: psychosis, medicine: ketamine,",
        "id: psychosis, medicine: ketamin,",
    )
    assert (err.code, err.where) == ("unknown_reference", "rules.yaml: contraindications[3].medicine")


def test_it_rejects_a_band_without_its_meaning():
    err = load_with(
        "instruments/gad7.yaml",
        "label: Severe, meaning: Strong signs of an anxiety disorder; treatment is usually recommended.}",
        "label: Severe}",
    )
    assert (err.code, err.where) == ("missing_key", "instruments/gad7.yaml: scores[0].bands[3]")
