"""One respondent's screen: answers (encrypted), progress, and the plan computed from them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from screenplan.crypto import open_sealed, seal
from screenplan.engine import ENGINE_VERSION, EngineError, Screen, build_plan, decide, load_content, open_screen


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Assessment(models.Model):
    """A screen in progress or finished. Answers and plan are sealed; nothing else is personal."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETE = "complete"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    language = models.CharField(max_length=8, default="en")
    # The resume link's token is never stored: only its SHA-256 (it has 256 random bits).
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    answers_sealed = models.BinaryField()
    revision = models.PositiveIntegerField(default=0)
    # The highest safety level whose crisis resources were shown, and whether the person
    # confirmed "I am safe right now" after the acute crisis page.
    safety_shown = models.CharField(max_length=16, default="none")
    acute_confirmed = models.BooleanField(default=False)
    content_version = models.CharField(max_length=64, blank=True)
    engine_version = models.CharField(max_length=16, blank=True)
    # Categories only, for the program's aggregate counts (never tied to a person by staff).
    pathway = models.CharField(max_length=32, blank=True)
    safety_level = models.CharField(max_length=16, blank=True)

    def _context(self, column: str) -> str:
        return f"assessments.assessment.{column}:{self.public_id}"

    @property
    def answers(self) -> dict[str, Any]:
        """The opened answers (a fresh copy). A request reads them several times, so the
        opened form is kept beside the sealed bytes it came from and reused while they match."""
        if not self.answers_sealed:
            return {}
        sealed = bytes(self.answers_sealed)
        opened = self.__dict__.get("_opened")
        if opened is None or opened[0] != sealed:
            raw = open_sealed(sealed, self._context("answers"), settings.DATA_KEYS)
            opened = (sealed, json.loads(raw))
            self.__dict__["_opened"] = opened
        return {k: list(v) if isinstance(v, list) else v for k, v in opened[1].items()}

    @answers.setter
    def answers(self, value: dict[str, Any]) -> None:
        raw = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        self.answers_sealed = seal(raw, self._context("answers"), settings.DATA_KEYS)
        self.__dict__["_opened"] = (bytes(self.answers_sealed), json.loads(raw))

    def new_token(self) -> str:
        """Issue a new private link token; the previous link stops working."""
        token = secrets.token_urlsafe(32)
        self.token_hash = token_hash(token)
        return token

    def token_matches(self, token: str) -> bool:
        return self.token_hash is not None and hmac.compare_digest(self.token_hash, token_hash(token))

    def plan(self, lang: str) -> dict[str, Any]:
        """The plan for the stored answers, computed by the engine (never stored from a client)."""
        return build_plan(load_content(), self.answers, lang)

    def screen(self) -> Screen:
        """Where the person is in the flow (the engine's screen for the stored answers), worked
        out once per stored state."""
        sealed = bytes(self.answers_sealed or b"")
        cached = self.__dict__.get("_screen")
        if cached is None or cached[0] != sealed:
            cached = (sealed, open_screen(load_content(), self.answers))
            self.__dict__["_screen"] = cached
        screen: Screen = cached[1]
        return screen

    def record(self, item_id: str, value: Any, revision: int | None = None) -> str:
        """Store one answer (already in the engine's form) on a row locked by the caller; say
        what happened.

        "same" (already stored: a replay), "finished" (the screen is closed to this question),
        "not_current" (neither answered before nor asked now), "stale" (a form older than the
        last change), "bad_value" (the engine refused it), or "stored". The engine keeps the
        other answers consistent; the screen is finished when the plan can be made.
        """
        screen = self.screen()
        after_plan = item_id in load_content().after_plan
        if self.status == self.Status.COMPLETE and not after_plan:
            return "finished"
        if not screen.can_open(item_id):
            return "not_current"
        if screen.answers.get(item_id) == value:
            return "same"
        if revision is not None and revision != self.revision:
            return "stale"
        try:
            updated = screen.apply(item_id, value)
        except EngineError:
            return "bad_value"
        self.answers = dict(updated.answers)
        self.__dict__["_screen"] = (bytes(self.answers_sealed), updated)
        self.revision += 1
        changed = ["answers_sealed", "revision", "updated_at"]
        if updated.complete and self.status != self.Status.COMPLETE:
            self.finish()
            changed += FINISH_FIELDS
        self.save(update_fields=changed)
        return "stored"

    def finish(self) -> None:
        """Close the screen and keep its categories (FINISH_FIELDS) for the program's counts."""
        decision = decide(load_content(), self.answers)
        self.status = self.Status.COMPLETE
        self.completed_at = timezone.now()
        self.content_version = load_content().version
        self.engine_version = ENGINE_VERSION
        self.pathway = decision.pathway
        self.safety_level = decision.safety


FINISH_FIELDS = ["status", "completed_at", "content_version", "engine_version", "pathway", "safety_level"]
