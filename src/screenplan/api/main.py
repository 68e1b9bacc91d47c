"""The JSON API: /api/v1/ with its OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .fhir_routes import router as fhir_router
from .problems import PROBLEM, ProblemError, StrictParser, problem, validation_detail
from .respondent import router as respondent_router
from .staff import router as staff_router


class ScreenplanAPI(NinjaAPI):
    """Documents what the endpoints really send: problem details for errors, FHIR JSON for FHIR."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, methods in schema["paths"].items():
            for operation in methods.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if "application/json" not in content:
                        continue
                    if int(status) >= 400:
                        content[PROBLEM] = content.pop("application/json")
                    elif "/fhir" in path and operation.get("operationId", "").endswith(FHIR_OPERATIONS):
                        content["application/fhir+json"] = content.pop("application/json")
        return schema


FHIR_OPERATIONS = ("questionnaire", "case_fhir")

api = ScreenplanAPI(
    title="Screenplan API",
    version="1",
    description=(
        "A 2-minute screen and its recovery plan, for kiosks, apps and the program's own systems. "
        "Errors are problem details (application/problem+json). Nothing here is a diagnosis."
    ),
    docs_url=None,  # the interactive page loads scripts inline, which our CSP forbids; use the JSON document
    parser=StrictParser(),
    urls_namespace="api",
)
api.add_router("/", respondent_router)
api.add_router("/staff", staff_router)
api.add_router("/fhir", fhir_router)


@api.exception_handler(ProblemError)
def on_problem(request: HttpRequest, exc: ProblemError) -> HttpResponse:
    response = problem(exc.status, exc.title, exc.detail)
    if "retry_after" in exc.extra:
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


@api.exception_handler(ValidationError)
def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem(422, "Invalid request", validation_detail(exc.errors))


@api.exception_handler(AuthenticationError)
def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(401, "Not authenticated", "Send 'Authorization: Bearer <token>' with a valid token.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, "Bad request" if exc.status_code == 400 else "Error", str(exc))
