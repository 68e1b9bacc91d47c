"""The triage queue: order, filters, counts, pages, constant queries, urgency, withdrawal, deletion."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from web.profiles import ACUTE, AT_RISK, INTEGRATED, LOW_RISK, OPIOIDS

from screenplan.audit.models import AuditEvent
from screenplan.clinic.models import Note, Share

from .conftest import A_LABEL, A_QUESTION, Respondent, Staff, finish_and_share
from .helpers import case_links, make_share

pytestmark = pytest.mark.django_db


def ago(**delta: float) -> timezone.datetime:
    return timezone.now() - timedelta(**delta)


def listed(html: str) -> list[str]:
    """The contact names on a queue page, top to bottom."""
    by_id = {str(s.public_id): s.contact["name"] for s in Share.objects.all()}
    return [by_id[public_id] for public_id in case_links(html)]


def row_of(html: str, name: str) -> str:
    rows = [row for row in html.split("<tr")[1:] if name in row]
    assert len(rows) == 1, name
    return rows[0]


def test_the_queue_puts_acute_first_then_non_acute_then_pathway_order_then_longest_waiting(clinician: Staff) -> None:
    make_share(LOW_RISK, "Wendy wellbeing newer", shared_at=ago(minutes=5))
    make_share(ACUTE, "Anna acute newer", shared_at=ago(minutes=10))
    make_share(INTEGRATED, "Ian integrated", shared_at=ago(hours=2))
    make_share(AT_RISK, "Rob at risk", shared_at=ago(minutes=1))
    make_share(OPIOIDS, "Olga opioids", shared_at=ago(hours=1))
    make_share(LOW_RISK, "Walt wellbeing older", shared_at=ago(hours=3))
    make_share(ACUTE, "Abel acute older", shared_at=ago(hours=5))
    html = clinician.client.get("/staff/").content.decode()
    assert listed(html) == [
        "Abel acute older",
        "Anna acute newer",
        "Rob at risk",
        "Olga opioids",  # opioid_care comes before integrated, which comes before wellbeing
        "Ian integrated",
        "Walt wellbeing older",
        "Wendy wellbeing newer",
    ]


def test_urgent_shares_are_marked_and_routine_ones_are_not(reception: Staff) -> None:
    make_share(ACUTE, "Anna acute")
    make_share(AT_RISK, "Rob at risk")
    make_share(LOW_RISK, "Walt wellbeing")
    html = reception.client.get("/staff/").content.decode()
    assert 'class="urgent"' in row_of(html, "Anna acute") and "URGENT · acute" in row_of(html, "Anna acute")
    assert 'class="urgent"' in row_of(html, "Rob at risk") and '<strong class="flag">Urgent</strong>' in row_of(
        html, "Rob at risk"
    )
    assert 'class="urgent"' not in row_of(html, "Walt wellbeing") and "Routine" in row_of(html, "Walt wellbeing")


def test_filters_narrow_the_queue_by_status_pathway_safety_and_assignee(clinician: Staff, clinician2: Staff) -> None:
    make_share(ACUTE, "Anna acute")
    make_share(OPIOIDS, "Olga opioids", assignee=clinician.user)
    make_share(INTEGRATED, "Ian integrated", assignee=clinician2.user)
    make_share(LOW_RISK, "Cleo closed", status="closed")
    make_share(LOW_RISK, "Carl contacted", status="contacted")

    def names(query: str) -> set[str]:
        response = clinician.client.get(f"/staff/?{query}")
        assert response.status_code == 200
        return set(listed(response.content.decode()))

    everyone_open = {"Anna acute", "Olga opioids", "Ian integrated", "Carl contacted"}
    assert names("") == everyone_open == names("status=open")
    assert names("status=all") == everyone_open | {"Cleo closed"}
    assert names("status=closed") == {"Cleo closed"}
    assert names("status=contacted") == {"Carl contacted"}
    assert names("pathway=opioid_care") == {"Olga opioids"}
    assert names("safety=acute") == {"Anna acute"}
    assert names("safety=none&pathway=wellbeing&status=all") == {"Cleo closed", "Carl contacted"}
    assert names("assignee=me") == {"Olga opioids"}
    assert names(f"assignee={clinician2.user.pk}") == {"Ian integrated"}
    assert names("assignee=none") == {"Anna acute", "Carl contacted"}


def test_the_counts_show_urgent_open_new_open_and_all_shared(clinician: Staff) -> None:
    make_share(ACUTE, "Anna acute")
    make_share(AT_RISK, "Rob at risk", status="closed")
    make_share(LOW_RISK, "Carl contacted", status="contacted")
    make_share(LOW_RISK, "Walt wellbeing")
    make_share(LOW_RISK, "Wes withdrawn", withdrawn_at=timezone.now())
    html = clinician.client.get("/staff/").content.decode()
    assert "<strong>1</strong> urgent · <strong>2</strong> new · 3 open · 4 shared in all" in html


def test_the_queue_shows_25_a_page_and_every_share_on_exactly_one_page(clinician: Staff) -> None:
    for n in range(30):
        make_share(LOW_RISK, f"Person {n:02d}", shared_at=ago(minutes=60 - n))
    first = clinician.client.get("/staff/").content.decode()
    second = clinician.client.get("/staff/?page=2").content.decode()
    assert listed(first) == [f"Person {n:02d}" for n in range(25)]
    assert listed(second) == [f"Person {n:02d}" for n in range(25, 30)]
    assert "Page 1 of 2" in first and re.search(r'href="\?[^"]*page=2">Next</a>', first)
    assert "Page 2 of 2" in second and re.search(r'href="\?[^"]*page=1">Previous</a>', second)
    assert "Next</a>" not in second and "Previous</a>" not in first
    assert listed(clinician.client.get("/staff/?page=99").content.decode()) == listed(second)
    filtered = clinician.client.get("/staff/?status=new").content.decode()
    assert re.search(r'href="\?status=new&amp;page=2">Next</a>', filtered)  # filters carry over to page 2


def test_the_number_of_queries_does_not_grow_with_the_queue(clinician: Staff) -> None:
    def queries_for_queue() -> int:
        clinician.client.get("/staff/")  # warm: the same session work on both measured requests
        with CaptureQueriesContext(connection) as captured:
            response = clinician.client.get("/staff/")
        assert response.status_code == 200
        return len(captured.captured_queries)

    for n in range(5):
        make_share(LOW_RISK, f"Early {n}", assignee=clinician.user)
    few = queries_for_queue()
    for n in range(35):
        make_share(ACUTE if n % 3 == 0 else OPIOIDS, f"Later {n}", assignee=clinician.user)
    assert queries_for_queue() == few


def test_each_new_urgent_share_e_mails_on_call_without_personal_data(settings, clinician: Staff) -> None:
    settings.ONCALL_EMAIL = "oncall@clinic.example"
    settings.SITE_URL = "https://screen.clinic.example"
    contact = {"name": "Zed Zebra", "phone": "+1 555 0177 123", "email": "zed@example.org", "best_time": "Noon"}
    acute = finish_and_share(ACUTE, contact)
    assert len(mail.outbox) == 1
    finish_and_share(LOW_RISK, {**contact, "name": "Lou Low"})
    assert len(mail.outbox) == 1  # routine shares send nothing
    finish_and_share(AT_RISK, {**contact, "name": "Rae Risk"})
    assert len(mail.outbox) == 2
    acute.client.post("/en/share/", {"consent": "yes", **contact})  # a second submit is not a new share
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.to == ["oncall@clinic.example"]
    assert message.subject == "[Screenplan] Urgent shared screen waiting"
    assert f"https://screen.clinic.example/staff/case/{acute.share.public_id}/" in message.body
    text = message.subject + message.body
    for personal in ("Zed", "Zebra", "555", "zed@example.org", "Noon", "kill", "Several days", "Nearly every day"):
        assert personal not in text, personal


def test_a_withdrawn_share_leaves_the_queue_and_its_case_is_gone(
    clinician: Staff, respondent_a: Respondent, respondent_b: Respondent
) -> None:
    clinician.client.post(f"{respondent_a.case_url}note/", {"body": "Called, no answer."})
    assert Note.objects.filter(share=respondent_a.share).count() == 1
    response = respondent_a.client.post("/en/share/withdraw/")
    assert response.status_code == 200 and "Sharing withdrawn" in response.content.decode()
    queue = clinician.client.get("/staff/?status=all").content.decode()
    assert "Alice Aardvark" not in queue and "Bruno Bittern" in queue
    case = clinician.client.get(respondent_a.case_url)
    assert case.status_code == 404
    assert "Alice Aardvark" not in case.content.decode() and A_QUESTION not in case.content.decode()
    share = Share.objects.get(pk=respondent_a.share.pk)
    assert share.withdrawn_at is not None and bytes(share.contact_sealed) == b"" and bytes(share.plan_sealed) == b""
    assert Note.objects.filter(share=share).count() == 0
    assert AuditEvent.objects.filter(action="share.withdraw", object=str(share.public_id)).count() == 1
    # The person may share again later; the respondent's page offers the form once more.
    assert 'name="consent"' in respondent_a.client.get("/en/share/").content.decode()


def test_a_respondent_deleting_their_data_removes_the_share_but_keeps_the_audit_rows(
    clinician: Staff, respondent_a: Respondent
) -> None:
    public_id = str(respondent_a.share.public_id)
    page = clinician.client.get(respondent_a.case_url).content.decode()
    assert A_QUESTION in page and A_LABEL in page
    before = list(AuditEvent.objects.filter(object=public_id).values_list("id", "action", "outcome"))
    assert before and before[-1][1:] == ("case.view", "allowed")
    assert respondent_a.client.post("/en/delete/").status_code == 200
    assert not Share.objects.filter(public_id=public_id).exists()
    assert "Alice Aardvark" not in clinician.client.get("/staff/?status=all").content.decode()
    assert clinician.client.get(respondent_a.case_url).status_code == 404
    after = list(AuditEvent.objects.filter(object=public_id).values_list("id", "action", "outcome"))
    assert after[: len(before)] == before
    assert re.search(r"Alice|Aardvark|555 0100", str(list(AuditEvent.objects.values()))) is None
