"""The PDF export carries the plan's words, crisis numbers and typography, in both languages."""

from __future__ import annotations

import io
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import screenplan
from screenplan.engine import build_plan, load_content
from screenplan.exports import EXPORTERS
from screenplan.exports.pdf import new_document, render

EXAMPLE = Path(screenplan.__file__).parent / "examples" / "integrated.json"
ACCENTED = re.compile(r"\w*[áéíóúñüÁÉÍÓÚÑÜ¿¡]\w*")


def answers(**changes: Any) -> dict[str, Any]:
    return {**json.loads(EXAMPLE.read_text()), **changes}


def plan_for(lang: str, **changes: Any) -> dict[str, Any]:
    return build_plan(load_content(), answers(**changes), lang)


def section(plan: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in plan["sections"] if s["id"] == sid)


def text_of(pdf: bytes) -> str:
    """All page text with runs of whitespace made single spaces, so wrapped lines still match."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@cache
def rendered(lang: str) -> tuple[dict[str, Any], bytes]:
    plan = plan_for(lang)
    return plan, render(plan, lang)


def strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_pdf_names_the_primary_pathway_and_every_check(lang: str) -> None:
    plan, pdf = rendered(lang)
    text = text_of(pdf)
    pathway = section(plan, "pathway")
    assert pathway["primary"] == "integrated"
    assert pathway["body"][1] in text  # the pathway's name, as the plan page shows it
    checks = section(plan, "checks")["items"]
    assert checks
    for check in checks:
        assert check["title"] in text


@pytest.mark.parametrize("lang", ["en", "es"])
def test_pdf_always_carries_the_crisis_numbers(lang: str) -> None:
    text = text_of(rendered(lang)[1])
    for number in ("988", "911", "741741"):
        assert number in text


def test_every_page_repeats_the_crisis_numbers_in_its_footer() -> None:
    reader = PdfReader(io.BytesIO(rendered("en")[1]))
    assert len(reader.pages) > 1
    for page in reader.pages:
        assert all(n in page.extract_text() for n in ("988", "911", "741741"))


def test_pdf_prints_every_section_heading_in_plan_order() -> None:
    plan, pdf = rendered("en")
    text = text_of(pdf)
    position = 0
    for s in plan["sections"]:
        # the crisis heading also sits in every footer, so look for it with its opening paragraph
        heading = f"{s['title']} {s['body'][0]}" if s["id"] == "crisis" else s["title"]
        position = text.index(heading, position)  # ValueError: missing, or out of order


def test_pdf_carries_medicine_status_evidence_sources_and_disclaimer() -> None:
    plan, pdf = rendered("en")
    text = text_of(pdf)
    for medicine in section(plan, "medicines")["items"]:
        assert f"{medicine['title']} — {medicine['text']}" in text
        assert all(source in text for source in medicine["sources"])
    support = section(plan, "support")
    assert support["evidence"]
    for evidence in support["evidence"]:
        assert evidence["level_text"] in text
    assert support["disclaimer"] in text
    for step in section(plan, "timeline")["this_week"]:
        assert step in text


def test_crisis_plan_puts_the_crisis_section_first() -> None:
    plan = plan_for("en", asq_1="yes", asq_5="yes")
    assert plan["priority"] == "crisis"
    crisis, findings = section(plan, "crisis"), section(plan, "findings")
    text = text_of(render(plan, "en"))
    assert text.index(crisis["title"]) < text.index(findings["title"])
    assert text.index(crisis["body"][0]) < text.index(findings["title"])


def test_non_crisis_plan_keeps_the_crisis_section_after_the_plan() -> None:
    plan, pdf = rendered("en")
    text = text_of(pdf)
    assert text.index(section(plan, "findings")["title"]) < text.index(section(plan, "crisis")["body"][0])


def test_plan_for_a_young_person_still_prints_crisis_numbers() -> None:
    plan = build_plan(load_content(), {"age": 16}, "en")  # the flow stops at age for under-18s
    text = text_of(render(plan, "en"))
    assert section(plan, "crisis")["body"][0] in text
    assert all(n in text for n in ("988", "911", "741741"))


def test_spanish_plan_text_keeps_its_accents() -> None:
    plan, pdf = rendered("es")
    words = sorted({w for s in strings(plan["sections"]) for w in ACCENTED.findall(s)})
    assert len(words) > 20  # the Spanish plan is full of accents; none would mean it fell back to English
    text = text_of(pdf)
    assert [w for w in words if w not in text] == []


def test_spanish_pdf_labels_are_spanish_and_keep_accents() -> None:
    text = text_of(rendered("es")[1])
    assert "Por qué:" in text
    assert "Página 1/" in text


def test_typographic_characters_survive_extraction() -> None:
    sample = "PHQ-9 ≥ 10 — “quoted” ‘single’ → año, acción, está, sí, ¿qué? ¡ánimo! Ü"
    pdf = new_document("es")
    pdf.para(sample)
    pdf.para(sample, "B")
    text = text_of(bytes(pdf.output()))
    assert text.count(sample) == 2


def test_pdf_metadata_names_the_program_and_language() -> None:
    plan, _ = rendered("es")
    reader = PdfReader(io.BytesIO(render(plan, "es", program_name="Puente")))
    assert reader.metadata is not None
    assert reader.metadata.title == "Puente: Su plan"
    assert reader.trailer["/Root"]["/Lang"] == "es"
    assert text_of(render(plan, "es", program_name="Puente")).startswith("Puente: Su plan")


def test_pdf_output_is_deterministic() -> None:
    plan, pdf = rendered("en")
    assert render(plan, "en") == pdf
    assert pdf.startswith(b"%PDF-")


def test_pdf_is_registered_as_an_exporter() -> None:
    plan, pdf = rendered("en")
    assert EXPORTERS["pdf"](plan, "en") == pdf
