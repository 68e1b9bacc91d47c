"""Reading the golden tables in `screenplan/content/cases/*.md` and expanding their rows.

A row's `answers` cell lists only what differs from a low-risk base profile, e.g.
`sex=male audit=2,1,1,0,0,0,0,0,0,0`. `phq9=`, `gad7=`, `audit=`, `asq=` and `pcptsd5=`
take the instrument's items 1, 2, … in order; `health=` and `drug_kinds=` take a list joined
with `+`. The flow's gates are applied here from the clinical spec (§1, §3), not from the
engine: a row must answer every question the flow asks beyond the base profile, and must not
answer one it skips, so a table cannot silently test something other than what it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASE: dict[str, Any] = {
    "age": 35,
    "sex": "female",
    "audit_1": 0,
    "drug_use_year": "0",
    **{f"phq9_{n}": 0 for n in range(1, 10)},
    **{f"asq_{n}": "no" for n in range(1, 5)},
    **{f"gad7_{n}": 0 for n in range(1, 8)},
    "pcptsd5_0": "no",
    "health": ["none"],
    "tx_antidepressants": "0",
    "tx_substance": "never",
    "readiness": 5,
    "support": "yes",
}
LISTS = {"phq9": 9, "gad7": 7, "audit": 10, "asq": 5, "pcptsd5": 5}
INTEGER_ITEMS = re.compile(r"^(age|readiness|audit_\d+|phq9_\d|gad7_\d)$")
MULTI_ITEMS = ("health", "drug_kinds")
POSITIVE_ASQ = ("yes", "decline")


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    answers: str
    expected: dict[str, str]  # column title -> cell text, without `answers` and `note`

    @property
    def instrument(self) -> str:
        return self.file.removesuffix(".md")

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.answers}"


def read_cases(path: Path) -> list[Case]:
    """Every row of the first Markdown table in `path`."""
    rows = [
        (n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith("|")
    ]
    header = [_cell(c) for c in rows[0][1].strip("|").split("|")]
    cases = []
    for n, line in rows[2:]:
        cells = dict(zip(header, (_cell(c) for c in line.strip("|").split("|")), strict=True))
        answers = cells.pop("answers")
        cells.pop("note", None)
        cases.append(Case(path.name, n, answers, cells))
    return cases


def _cell(text: str) -> str:
    return text.strip().strip("`").strip()


def _value(item_id: str, text: str) -> Any:
    if item_id in MULTI_ITEMS:
        return text.split("+")
    return int(text) if INTEGER_ITEMS.match(item_id) else text


def overrides(spec: str) -> dict[str, Any]:
    """The answers a row states, keyed by item id.

    >>> overrides("sex=male audit=2,1")
    {'sex': 'male', 'audit_1': 2, 'audit_2': 1}
    """
    given: dict[str, Any] = {}
    for token in spec.split():
        key, _, text = token.partition("=")
        if key in LISTS:
            parts = text.split(",")
            if len(parts) > LISTS[key]:
                raise ValueError(f"{key} has {LISTS[key]} items, the row gives {len(parts)}")
            given.update({f"{key}_{n}": _value(f"{key}_{n}", p) for n, p in enumerate(parts, 1)})
        else:
            given[key] = _value(key, text)
    return given


def asked(answers: dict[str, Any]) -> list[str]:
    """The questions the flow asks, given these answers (clinical spec §1 and §3)."""
    ids = ["age"]
    if answers["age"] < 18:
        return ids
    ids += ["sex", "audit_1"]
    if answers["audit_1"] != 0:
        ids += ["audit_2", "audit_3"]
    auditc = sum(answers.get(i, 0) for i in ids if i.startswith("audit_"))
    if auditc >= 3:
        ids += [f"audit_{n}" for n in range(4, 11)]
    ids.append("drug_use_year")
    if answers["drug_use_year"] != "0":
        ids.append("drug_kinds")
    ids += [f"phq9_{n}" for n in range(1, 10)] + [f"asq_{n}" for n in range(1, 5)]
    if any(answers[f"asq_{n}"] in POSITIVE_ASQ for n in range(1, 5)):
        ids.append("asq_5")
    ids += [f"gad7_{n}" for n in range(1, 8)] + ["pcptsd5_0"]
    if answers["pcptsd5_0"] == "yes":
        ids += [f"pcptsd5_{n}" for n in range(1, 6)]
    return ids + ["health", "tx_antidepressants", "tx_substance", "readiness", "support"]


def expand(spec: str) -> dict[str, Any]:
    """A complete answer set: the base profile, the row's answers, and nothing the flow skips.

    >>> a = expand("audit=1,1,1,0,0,0,0,0,0,0")
    >>> a["audit_3"], a["audit_10"], "asq_5" in a
    (1, 0, False)
    """
    given = overrides(spec)
    merged = {**BASE, **given}
    ids = asked(merged)
    not_asked = [k for k in given if k not in ids]
    if not_asked:
        raise ValueError(f"{spec!r} answers {not_asked}, which the flow does not ask")
    missing = [k for k in ids if k not in merged]
    if missing:
        raise ValueError(f"{spec!r} must also answer {missing}")
    return {k: merged[k] for k in ids}
