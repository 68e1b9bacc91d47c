"""Staff downloads: the CSV of shared cases and a case's FHIR Bundle."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from screenplan.exports.csv import COLUMNS

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
