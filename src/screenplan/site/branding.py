"""Branding and crisis numbers for every template, from settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def branding(request: HttpRequest) -> dict[str, Any]:
    return {
        "program_name": settings.PROGRAM_NAME,
        "program_logo_url": settings.PROGRAM_LOGO_URL,
        "program_contact": settings.PROGRAM_CONTACT,
        "program_contact_url": settings.PROGRAM_CONTACT_URL,
        "crisis_call": settings.CRISIS_CALL,
        "crisis_text": settings.CRISIS_TEXT,
        "crisis_text_body": settings.CRISIS_TEXT_BODY,
        "emergency": settings.EMERGENCY,
        "languages": [
            {"code": code, "name": name, "url": translate_url(request.path, code), "current": code == get_language()}
            for code, name in settings.LANGUAGES
        ],
    }
