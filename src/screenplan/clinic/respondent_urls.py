"""The hand-off's pages, under the respondent's language prefix (/en/share/, /es/share/)."""

from django.urls import path

from . import handoff

urlpatterns = [
    path("share/", handoff.share, name="share"),
    path("share/withdraw/", handoff.withdraw, name="withdraw"),
]
