"""Branding and crisis numbers for every template, from settings."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def _language_links(request: HttpRequest) -> list[dict[str, Any]]:
    """This page in each language. Pages addressed by name alone (every respondent step) are
    worked out once per process; pages with ids or tokens in the address never are kept."""
    match = request.resolver_match
    current = get_language()
    key = (match.view_name, current) if match and not match.args and not match.kwargs else None
    links = _LINKS.get(key) if key else None
    if links is None:
        links = [
            {"code": code, "name": name, "url": translate_url(request.path, code), "current": code == current}
            for code, name in settings.LANGUAGES
        ]
        if key and len(_LINKS) < 512:
            _LINKS[key] = links
    return links


_LINKS: dict[tuple[str, str | None], list[dict[str, Any]]] = {}


LINK_SCHEMES = ("http", "https", "mailto", "tel", "sms")


def _url(url: str, *, own_site_only: bool) -> str:
    """A configured URL, or "" when a page must not carry it.

    Escaping cannot make `javascript:` harmless inside href, so the scheme is read the way a
    browser reads it (leading spaces and control characters skipped, tabs and newlines
    dropped). A path on this site is always fine; `own_site_only` (the logo) allows nothing else.
    """
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("".join(chr(c) for c in range(33)))
    if cleaned.startswith("/") and not cleaned.startswith(("//", "/\\")):
        return cleaned
    if own_site_only:
        return ""
    return cleaned if urlsplit(cleaned).scheme.lower() in LINK_SCHEMES else ""


def branding(request: HttpRequest) -> dict[str, Any]:
    return {
        "program_name": settings.PROGRAM_NAME,
        "program_logo_url": _url(settings.PROGRAM_LOGO_URL, own_site_only=True),
        "program_contact": settings.PROGRAM_CONTACT,
        "program_contact_url": _url(settings.PROGRAM_CONTACT_URL, own_site_only=False),
        "crisis_call": settings.CRISIS_CALL,
        "crisis_text": settings.CRISIS_TEXT,
        "crisis_text_body": settings.CRISIS_TEXT_BODY,
        "emergency": settings.EMERGENCY,
        "languages": _language_links(request),
    }
