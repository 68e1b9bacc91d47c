"""Errors as RFC 9457 problem details: JSON with type, title, status and a clear detail."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.errors import HttpError
from ninja.parser import Parser

from screenplan import strictjson

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
    return response


class ProblemError(Exception):
    """Raised inside an endpoint to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


class StrictParser(Parser):
    """JSON bodies without duplicate keys, NaN or Infinity, and only as application/json."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = strictjson.loads(request.body)
        except RecursionError:
            raise HttpError(400, "The JSON body is nested too deeply.") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise HttpError(400, f"The body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise HttpError(400, "The body must be a JSON object.")
        return data


def validation_detail(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "payload"))
        parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)
