"""Reads `content/cases/rules.md`: base profiles, and one row per rule written as overrides.

>>> from screenplan.engine import load_content
>>> expand("low + sex=male, audit=4,2, health=liver+kidney", load_content(), {"low": {"age": 35}})
{'age': 35, 'sex': 'male', 'audit_1': 4, 'audit_2': 2, 'health': ['liver', 'kidney']}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from screenplan.engine import Content, Item

CASES_FILE = resources.files("screenplan").joinpath("content", "cases", "rules.md")
PAIRS = re.compile(r",\s*(?=[a-z][a-z0-9_]*=)")  # a comma that starts the next `key=`


@dataclass(frozen=True)
class Case:
    rule: str
    fires: dict[str, Any]
    does_not_fire: dict[str, Any]


def table(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first Markdown table under `## heading`, cells stripped of backticks."""
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    return [[cell.strip().strip("`") for cell in line.strip("|").split("|")] for line in lines[2:]]


def value(item: Item, raw: str) -> Any:
    if item.type == "integer":
        return int(raw)
    if item.type == "multi":
        return [value(Item(item.id, item.instrument, "", "choice", item.options), v) for v in raw.split("+")]
    matches = [o.value for o in item.options if str(o.value) == raw]
    if not matches:
        raise ValueError(f"{raw!r} is not an answer to {item.id}")
    return matches[0]


def expand(expr: str, content: Content, profiles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`profile + key=value, …` (or only `key=value, …`) as a full answer set."""
    base, plus, overrides = expr.partition(" + ")
    answers: dict[str, Any] = {}
    if plus or "=" not in base:
        answers = dict(profiles[base.strip()])
    else:
        overrides = expr
    for pair in PAIRS.split(overrides) if overrides.strip() else []:
        key, _, raw = (part.strip() for part in pair.partition("="))
        if key in content.items:
            answers[key] = value(content.items[key], raw)
            continue
        items = next(i.items for i in content.instruments if i.id == key)  # StopIteration: unknown key
        raws = raw.split(",")
        if len(raws) > len(items):
            raise ValueError(f"{key} has {len(items)} questions, {len(raws)} answers given")
        answers.update((item.id, value(item, v)) for item, v in zip(items, raws, strict=False))
    return answers


def load_profiles(content: Content) -> dict[str, dict[str, Any]]:
    profiles: dict[str, dict[str, Any]] = {}
    for name, expr in table(CASES_FILE.read_text(encoding="utf-8"), "Profiles"):
        profiles[name] = expand(expr, content, profiles)
    return profiles


def load_cases(content: Content) -> dict[str, Case]:
    text = CASES_FILE.read_text(encoding="utf-8")
    profiles = load_profiles(content)
    cases: dict[str, Case] = {}
    for rule, fires, does_not_fire, *_ in table(text, "Rules"):
        if rule in cases:
            raise ValueError(f"two rows for {rule}")
        cases[rule] = Case(rule, expand(fires, content, profiles), expand(does_not_fire, content, profiles))
    return cases
