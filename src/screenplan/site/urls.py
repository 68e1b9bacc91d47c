from django.conf.urls.i18n import i18n_patterns
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from screenplan.api.main import api
from screenplan.assessments import views


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz),
    # The private link carries no language prefix: it is pasted from anywhere.
    path("r/<str:token>/", views.resume, name="resume"),
    path("staff/", include("screenplan.clinic.urls")),
    path("api/v1/", api.urls),
    *i18n_patterns(
        path("", include("screenplan.assessments.urls")),
        path("", include("screenplan.clinic.respondent_urls")),
    ),
]

handler400 = "screenplan.site.security.bad_request"  # a database error: the 503 page
handler404 = "screenplan.assessments.views.not_found"
handler500 = "screenplan.site.security.server_error"  # a database error: the 503 page
