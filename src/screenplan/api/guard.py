"""Refusals before any view runs: bodies too large (413) and API bodies that are not JSON (415)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from .problems import problem

BODY_METHODS = ("POST", "PUT", "PATCH")
JSON_TYPES = ("application/json", "application/fhir+json")


class BodyGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        api = request.path.startswith("/api/")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            if api:
                return problem(413, "Body too large", f"Send at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
            return HttpResponse("Request too large.", status=413, content_type="text/plain")
        if api and request.method in BODY_METHODS and length and request.content_type not in JSON_TYPES:
            return problem(415, "Unsupported media type", "Send the body as application/json.")
        return self.get_response(request)
