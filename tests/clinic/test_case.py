"""The case page: answers with their exact questions, scores, findings, the plan; notes, status, assignment."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape
from web.profiles import INTEGRATED, LOW_RISK

from screenplan.clinic.models import TRANSITIONS, Note, Share, StatusChange
from screenplan.engine import ENGINE_VERSION, load_content

from .conftest import CONTACT_B, Respondent, Staff, finish_and_share
from .helpers import CANARY, ESCAPED_CANARY, make_share, make_staff

pytestmark = pytest.mark.django_db

PHQ9_STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"


def plan_sections(html: str) -> list[str]:
    return re.findall(r'<section class="plan-section .*?</section>', html, flags=re.DOTALL)


def test_a_clinician_sees_every_answer_under_its_exact_question(clinician: Staff, respondent_a: Respondent) -> None:
    response = clinician.client.get(respondent_a.case_url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert (
        f'<td><code>phq9_1</code></td><td><span class="small">{PHQ9_STEM}</span> '
        "Little interest or pleasure in doing things</td><td>More than half the days "
        '<span class="small">(<code>2</code>)</span></td>'
    ) in html
    answers = respondent_a.share.assessment.answers
    items = load_content().items
    assert re.findall(r"<tr><td><code>([a-z0-9_]+)</code></td>", html) == [i for i in items if i in answers]
    for item_id in answers:
        assert escape(items[item_id].text) in html, item_id
    assert "<td><code>health</code></td>" in html and "(<code>[&#x27;none&#x27;]</code>)" in html


def test_a_clinician_sees_scores_findings_rules_and_versions(clinician: Staff, respondent_a: Respondent) -> None:
    html = clinician.client.get(respondent_a.case_url).content.decode()
    plan = respondent_a.share.plan
    assert "<tr><td>audit</td><td>19</td><td></td><td>III</td>" in html
    assert "<dt>Findings</dt><dd>auditc_positive, alcohol_use_disorder_likely, depression, treatment_resistant" in html
    assert "<dd>integrated (candidate); also alcohol_medication, depression_care, brief_alcohol</dd>" in html
    assert f"<dd>engine {ENGINE_VERSION}, content {load_content().version}</dd>" in html
    rules = {r.id: r.rationale for r in load_content().rules()}
    assert plan["rules_fired"]
    for rule_id in plan["rules_fired"]:
        assert f"<li><code>{rule_id}</code>: {escape(rules[rule_id])}</li>" in html


def test_contraindications_are_listed_with_their_reasons(clinician: Staff) -> None:
    # Harmful drinking makes naltrexone a medicine to discuss; recent and non-medical opioid use weigh against it.
    profile = {**INTEGRATED, "drug_use_year": "2+", "drug_kinds": ["opioids"], "health": ["opioids_14d"]}
    html = clinician.client.get(finish_and_share(profile, CONTACT_B).case_url).content.decode()
    reasons = {(c.data["id"], c.data["medicine"]): c.rationale for c in load_content().contraindications}
    for ci_id, kind in (("opioids_14d", "absolute"), ("opioid_misuse", "relative")):
        reason = escape(reasons[(ci_id, "naltrexone")])
        assert reason and f"<strong>naltrexone: {ci_id} ({kind})</strong>. {reason}</li>" in html


def test_the_plan_is_shown_as_the_person_saw_it_from_the_copy_taken_when_shared(
    clinician: Staff, respondent_a: Respondent
) -> None:
    seen = plan_sections(respondent_a.client.get("/en/plan/").content.decode())
    assert len(seen) >= 6
    assert plan_sections(clinician.client.get(respondent_a.case_url).content.decode()) == seen
    share = Share.objects.get(pk=respondent_a.share.pk)
    plan = share.plan
    plan["sections"][0]["title"] = "The title they saw back then"
    share.plan = plan
    share.save()
    assert "The title they saw back then" in clinician.client.get(respondent_a.case_url).content.decode()


def test_a_note_is_added_sealed_and_shown_with_its_author(clinician: Staff, respondent_a: Respondent) -> None:
    response = clinician.client.post(f"{respondent_a.case_url}note/", {"body": "Left a voicemail at 10:00."})
    assert response.status_code == 302 and response["Location"] == respondent_a.case_url
    note = Note.objects.get()
    assert note.author == clinician.user and note.body == "Left a voicemail at 10:00."
    assert b"voicemail" not in bytes(note.body_sealed)
    html = clinician.client.get(respondent_a.case_url).content.decode()
    assert "carla</span><br>Left a voicemail at 10:00.</li>" in html


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 5001])
def test_an_empty_or_overlong_note_is_refused_with_400(clinician: Staff, respondent_a: Respondent, body: str) -> None:
    response = clinician.client.post(f"{respondent_a.case_url}note/", {"body": body})
    assert response.status_code == 400
    assert "Write a note of 1 to 5,000 characters." in response.content.decode()
    assert Note.objects.count() == 0


def test_a_note_of_exactly_5000_characters_is_kept(clinician: Staff, respondent_a: Respondent) -> None:
    assert clinician.client.post(f"{respondent_a.case_url}note/", {"body": "y" * 5000}).status_code == 302
    assert len(Note.objects.get().body) == 5000


def test_the_workflow_allows_exactly_the_listed_transitions(clinician: Staff) -> None:
    share = make_share(LOW_RISK, "Walt wellbeing")
    url = f"/staff/case/{share.public_id}/status/"
    assert TRANSITIONS["new"] == ("contacted", "referred", "closed") and TRANSITIONS["closed"] == ("new",)
    for old in TRANSITIONS:
        for new in [*TRANSITIONS, "bogus"]:
            Share.objects.filter(pk=share.pk).update(status=old)
            changes = StatusChange.objects.count()
            response = clinician.client.post(url, {"status": new})
            allowed = new in TRANSITIONS[old]
            assert response.status_code == (302 if allowed else 400), (old, new)
            assert Share.objects.get(pk=share.pk).status == (new if allowed else old), (old, new)
            assert StatusChange.objects.count() == changes + allowed, (old, new)


def test_a_status_change_records_who_changed_what_and_when(clinician: Staff, respondent_a: Respondent) -> None:
    url = f"{respondent_a.case_url}status/"
    assert clinician.client.post(url, {"status": "contacted"}).status_code == 302
    refused = clinician.client.post(url, {"status": "enrolled"})
    assert refused.status_code == 400
    assert "A case that is contacted cannot become enrolled." in refused.content.decode()
    change = StatusChange.objects.get()
    assert (change.actor, change.field, change.old, change.new) == (clinician.user, "status", "new", "contacted")
    share = Share.objects.get(pk=respondent_a.share.pk)
    assert share.status == "contacted" and share.status_changed_at >= change.at
    html = clinician.client.get(respondent_a.case_url).content.decode()
    assert f"{change.at:%Y-%m-%d %H:%M} · carla changed status from “new” to “contacted”" in html


def test_a_case_is_assigned_to_an_active_clinician_only(
    clinician: Staff, clinician2: Staff, reception: Staff, respondent_a: Respondent
) -> None:
    url = f"{respondent_a.case_url}assign/"
    inactive = make_staff("ivy", "clinician", active=False)
    for refused in (reception.user.pk, inactive.pk, "abc", 999999):
        response = clinician.client.post(url, {"assignee": refused})
        assert response.status_code == 400 and "Choose an active clinician." in response.content.decode()
    assert Share.objects.get(pk=respondent_a.share.pk).assignee is None
    assert clinician.client.post(url, {"assignee": clinician2.user.pk}).status_code == 302
    assert Share.objects.get(pk=respondent_a.share.pk).assignee == clinician2.user
    assert clinician.client.post(url, {"assignee": ""}).status_code == 302
    assert Share.objects.get(pk=respondent_a.share.pk).assignee is None
    history = list(StatusChange.objects.order_by("id").values_list("actor__username", "field", "old", "new"))
    assert history == [("carla", "assignee", "", "colin"), ("carla", "assignee", "colin", "")]
    assert reception.client.post(url, {"assignee": clinician2.user.pk}).status_code == 403


def test_script_in_contact_details_and_notes_is_shown_as_text(clinician: Staff, reception: Staff) -> None:
    person = finish_and_share(LOW_RISK, {"name": CANARY, "phone": "+1 555 0100 333", "best_time": CANARY})
    clinician.client.post(f"{person.case_url}note/", {"body": CANARY})
    bad_status = clinician.client.post(f"{person.case_url}status/", {"status": CANARY})
    pages = {
        "queue (clinician)": clinician.client.get("/staff/").content.decode(),
        "queue (reception)": reception.client.get("/staff/").content.decode(),
        "case (clinician)": clinician.client.get(person.case_url).content.decode(),
        "case (reception)": reception.client.get(person.case_url).content.decode(),
        "refused status": bad_status.content.decode(),
    }
    for name, html in pages.items():
        assert CANARY not in html and "<script" not in html, name
        assert ESCAPED_CANARY in html, name
    case = pages["case (clinician)"]
    assert case.count(ESCAPED_CANARY) == 3  # name, best time, note
