"""Driving the respondent flow through Django's test client, as a person would."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from screenplan.engine import load_content, simulate


def start(client: Client, lang: str = "en") -> None:
    response = client.post(f"/{lang}/start/", {"consent": "yes"})
    assert response.status_code == 302, response.status_code


def form_value(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def current_rev(html: str) -> str:
    match = re.search(r'name="rev" value="(\d+)"', html)
    assert match, "the question page has a revision field"
    return match.group(1)


def answer_all(client: Client, answers: dict[str, Any], lang: str = "en") -> list[str]:
    """Answer every question the site asks from `answers`; confirm crisis pages. Returns items asked."""
    asked: list[str] = []
    for _ in range(80):
        page = client.get(f"/{lang}/screen/")
        if page.status_code == 302:
            target = page["Location"]
            if target.endswith("/screen/crisis/"):
                crisis = client.get(target)
                assert crisis.status_code == 200
                client.post(target, {"safe": "yes"})
                continue
            assert target.endswith("/results/"), target
            return asked
        assert page.status_code == 200
        html = page.content.decode()
        item = re.search(r'name="item" value="([a-z0-9_]+)"', html)
        assert item, html[:500]
        item_id = item.group(1)
        asked.append(item_id)
        response = client.post(
            f"/{lang}/screen/", {"item": item_id, "rev": current_rev(html), "value": form_value(answers[item_id])}
        )
        assert response.status_code == 302, (item_id, response.status_code, response.content[:300])
    raise AssertionError("the flow did not finish")


def engine_asked(answers: dict[str, Any]) -> list[str]:
    """The questions the engine's own flow asks before the plan for these answers, in order."""
    content = load_content()
    return [i for i in simulate(content, answers)["asked"] if i not in content.after_plan]
