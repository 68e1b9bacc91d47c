"""What a respondent's own actions leave in the clinic's records."""

from __future__ import annotations

import pytest

from screenplan.assessments.models import Assessment
from screenplan.audit.models import AuditEvent
from screenplan.clinic.models import Share

from .conftest import Respondent

pytestmark = pytest.mark.django_db


def test_deleting_a_shared_screen_leaves_a_deleted_row_without_data(respondent_a: Respondent) -> None:
    case_id = str(respondent_a.share.public_id)
    assert respondent_a.client.post("/en/delete/").status_code == 200
    assert Share.objects.count() == 0 and Assessment.objects.count() == 0
    event = AuditEvent.objects.latest("id")
    assert (event.actor, event.action, event.object, event.outcome) == (
        "respondent",
        "share.deleted",
        case_id,
        "allowed",
    )


def test_a_staff_sign_out_posted_from_a_respondents_browser_keeps_their_screen(respondent_a: Respondent) -> None:
    response = respondent_a.client.post("/staff/logout/")
    assert response.status_code == 302
    assert respondent_a.client.get("/en/results/").status_code == 200
