"""The screening engine: content in, next question / findings / plan out. No Django, no I/O
beyond reading the shipped content files once."""

from .content import Content, Item, load_content
from .errors import EngineError
from .flow import check_pass, check_value, next_item, safety_so_far
from .partial import missing_for_plan, score_answers
from .plan import ENGINE_VERSION, Decision, build_plan, decide
from .screen import Choice, Progress, Screen, open_screen, safety_rank
from .timing import estimate_seconds, simulate

__all__ = [
    "ENGINE_VERSION",
    "Choice",
    "Content",
    "Decision",
    "EngineError",
    "Item",
    "Progress",
    "Screen",
    "build_plan",
    "check_pass",
    "check_value",
    "decide",
    "estimate_seconds",
    "load_content",
    "missing_for_plan",
    "next_item",
    "open_screen",
    "safety_rank",
    "safety_so_far",
    "score_answers",
    "simulate",
]
