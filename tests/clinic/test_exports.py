"""Staff downloads: the CSV of shared cases and a case's FHIR Bundle."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from test_fhir import check
from web.helpers import answer_all, start
from web.profiles import INTEGRATED, LOW_RISK

from screenplan.api.models import ApiClient
from screenplan.clinic.models import Share
from screenplan.engine import build_plan, load_content
from screenplan.exports.csv import COLUMNS
from screenplan.exports.fhir import observations

from .conftest import Respondent, Staff

pytestmark = pytest.mark.django_db


def test_a_clinician_downloads_every_shared_case_as_csv(
    clinician: Staff, respondent_a: Respondent, respondent_b: Respondent
) -> None:
    response = clinician.client.get("/staff/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert tuple(rows[0]) == COLUMNS
    by_id = {r["share_id"]: r for r in rows}
    assert by_id[str(respondent_a.share.public_id)]["contact_name"] == "Alice Aardvark"
    assert by_id[str(respondent_b.share.public_id)]["pathway"] == respondent_b.share.pathway
    assert len(rows) == 2


def test_reception_cannot_export(reception: Staff, respondent_a: Respondent) -> None:
    assert reception.client.get("/staff/export.csv").status_code == 403


def test_a_clinician_downloads_a_case_as_a_valid_fhir_bundle(clinician: Staff, respondent_a: Respondent) -> None:
    response = clinician.client.get(f"{respondent_a.case_url}fhir.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    data = json.loads(response.content)
    bundle = Bundle.model_validate(data)
    kinds = [entry.resource.__resource_type__ for entry in bundle.entry]
    assert kinds[0] == "QuestionnaireResponse" and "CarePlan" in kinds and "Observation" in kinds


def spanish_share(profile: dict[str, Any]) -> Share:
    """A screen answered in Spanish on the Spanish pages and shared there."""
    client = Client()
    start(client, "es")
    answer_all(client, profile, "es")
    response = client.post("/es/share/", {"consent": "yes", "phone": "+1 555 0100 333"})
    assert response.status_code == 200, response.status_code
    share: Share = Share.objects.get(assessment__public_id=client.session["assessment"])
    assert share.assessment.language == "es"
    return share


def entries(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def assert_spanish(bundle: dict[str, Any]) -> None:
    check(bundle)  # R4B models and the required codes (tests/test_fhir.py)
    (qr,) = entries(bundle, "QuestionnaireResponse")
    assert qr["language"] == "es"
    items = {i["linkId"]: i for g in qr["item"] for i in g["item"]}
    assert items["phq9_1"]["text"] == "Poco interés o placer en hacer cosas"  # the sourced translation
    assert items["phq9_1"]["answer"][0]["valueCoding"]["display"] == "Más de la mitad de los días"
    assert items["audit_1"]["text"] == "¿Con qué frecuencia consume alguna bebida alcohólica?"
    groups = {g["linkId"]: g["text"] for g in qr["item"]}
    assert groups["group.phq9"] == "Cuestionario sobre la salud del paciente - 9 (PHQ-9)"
    observations = {o["code"]["coding"][-1]["code"]: o for o in entries(bundle, "Observation")}
    assert {o["language"] for o in observations.values()} == {"es"}
    assert observations["phq9"]["code"]["text"] == "Depresión (PHQ-9)"
    audit = observations["audit"]["interpretation"][0]
    assert audit["text"] == "Zona III (consumo perjudicial)"  # text/es.yaml bands
    assert audit["coding"][0]["display"] == "Zone III (harmful)"  # the code system's own display
    (care,) = entries(bundle, "CarePlan")
    assert care["language"] == "es" and "diagnóstico" in care["note"][0]["text"]


def test_a_screen_answered_in_spanish_is_exported_in_spanish(clinician: Staff) -> None:
    share = spanish_share(INTEGRATED)
    response = clinician.client.get(f"/staff/case/{share.public_id}/fhir.json")
    assert response.status_code == 200
    assert_spanish(json.loads(response.content))


def test_the_staff_api_exports_it_in_spanish_too(client: Client) -> None:
    share = spanish_share(INTEGRATED)
    token = ApiClient.issue("ehr-reader", ["cases:read"])[1]
    response = client.get(f"/api/v1/staff/cases/{share.public_id}/fhir", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert_spanish(json.loads(response.content))


def test_an_english_screen_stays_in_english(clinician: Staff, respondent_a: Respondent) -> None:
    bundle = json.loads(clinician.client.get(f"{respondent_a.case_url}fhir.json").content)
    check(bundle)
    assert {r["resource"].get("language") for r in bundle["entry"]} == {"en"}
    (qr,) = entries(bundle, "QuestionnaireResponse")
    assert qr["item"][1]["text"] == load_content().instrument("audit").title


def test_a_shortened_score_is_noted_in_the_export_language() -> None:
    # A negative screen is cut short (a positive one gets its exact total): items 1-6 and 9 at 0.
    answers = {k: v for k, v in LOW_RISK.items() if not k.startswith("phq9")}
    answers |= {"phq9_1": 0, "phq9_2": 0, "phq9_3": 0, "phq9_4": 0, "phq9_5": 0, "phq9_6": 0, "phq9_9": 0}
    plan = build_plan(load_content(), answers, "es")
    obs = observations(load_content(), plan, subject_ref=None, issued="2025-01-01T00:00:00Z", lang="es")
    phq9 = next(o for o in obs if o["code"]["coding"][-1]["code"] == "phq9")
    assert phq9["note"][0]["text"].startswith("Prueba abreviada: se respondieron 7 de 9 preguntas")
    assert phq9["code"]["text"] == "Depresión (PHQ-9)" and phq9["valueQuantity"]["value"] == 6
