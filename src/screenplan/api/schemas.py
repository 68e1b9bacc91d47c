"""Request and response shapes of the JSON API (they generate the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictInt, StrictStr

Language = Literal["en", "es"]


class Problem(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str


class Option(Schema):
    value: int | str
    label: str


class Question(Schema):
    id: str = Field(description="The item id (a public contract, see docs/instruments.md).")
    instrument: str
    type: Literal["choice", "integer", "multi"]
    stem: str
    text: str
    help: str
    translated: bool = Field(description="False when a validated instrument has no sourced translation yet.")
    options: list[Option]
    min: int | None = None
    max: int | None = None
    answer: Any = Field(None, description="The stored answer, when the question was answered before.")


class Resource(Schema):
    id: str
    name: str
    detail: str
    href: str


class Safety(Schema):
    level: Literal["none", "non_acute", "acute"]
    changed: bool = Field(description="True when this answer raised the level: show the resources now.")
    resources: list[Resource]


class Progress(Schema):
    section: str
    number: int = Field(description="The part of the screen the question is in, counting parts in the order asked.")
    count: int
    answered: int
    fraction: float = Field(description="How far through the questions before the plan, from 0 to 1.")


class Step(Schema):
    done: bool
    question: Question | None
    progress: Progress | None
    plan_questions: list[Question] = Field(
        default_factory=list,
        description="Once done: the plan page's questions (readiness, support). They only tailor the wording of the "
        "first steps; answer them with the same PUT.",
    )
    safety: Safety


class Started(Schema):
    token: str = Field(description="The private token: send it as 'Authorization: Bearer <token>'. Shown once.")
    step: Step


class StartIn(Schema):
    language: Language = "en"


class AnswerIn(Schema):
    value: StrictInt | StrictStr | list[StrictStr] = Field(
        description="Instrument points, age and readiness are integers; drug_kinds and health are lists of "
        'strings; every other answer is a string such as "2+", "yes" or "decline".'
    )


class ContactIn(Schema):
    consent: Literal[True] = Field(description="Must be true: the person agrees to share with the clinic.")
    name: str = Field("", max_length=100)
    phone: str = Field("", max_length=24)
    email: str = Field("", max_length=254)
    best_time: str = Field("", max_length=100)
    leave_message: bool = False


class Shared(Schema):
    shared: bool


class StatusIn(Schema):
    status: Literal["new", "contacted", "scheduled", "enrolled", "referred", "closed"]


class CaseSummary(Schema):
    id: str
    shared_at: str
    status: str
    safety_level: str
    pathway: str
    urgent: bool
    assignee: str | None


class CaseList(Schema):
    count: int
    page: int
    pages: int
    cases: list[CaseSummary]


class CaseDetail(CaseSummary):
    contact: dict[str, Any]
    plan: dict[str, Any]
    answers: dict[str, Any]
