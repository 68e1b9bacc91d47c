"""Reading one answer from a submitted form, in the engine's form and checked by the engine."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from screenplan.engine import EngineError, Item, Screen

MAX_DIGITS = 6  # more than any question's range needs; longer text is never turned into a number


class AnswerError(Exception):
    """A submitted answer that cannot be stored; the message is for the person."""


def read_answer(screen: Screen, item: Item, post: QueryDict) -> Any:
    """The answer in the engine's form, validated by the engine; AnswerError otherwise."""
    raw = post.getlist("value")
    if item.type == "integer":
        text = raw[0].strip() if raw else ""
        if not text:
            raise AnswerError(_("Please enter a number."))
        # ASCII digits only: int() would also read other scripts' digits, and "٣" is not "34".
        if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > MAX_DIGITS:
            raise AnswerError(_("Please enter a whole number, such as 34."))
        value: Any = int(text)
    elif item.type == "choice":
        if len(raw) != 1:
            raise AnswerError(_("Please choose one answer."))
        value = next((o.value for o in item.options if str(o.value) == raw[0]), raw[0])
    else:
        if not raw:
            raise AnswerError(_("Please choose at least one answer, or “None of these”."))
        value = [next((o.value for o in item.options if str(o.value) == r), r) for r in raw]
    try:
        return screen.check(item, value)
    except EngineError:
        if item.type == "integer":
            raise AnswerError(
                _("Please enter a number from %(min)s to %(max)s.") % {"min": item.min, "max": item.max}
            ) from None
        if item.exclusive and isinstance(value, list) and item.exclusive in value:
            raise AnswerError(_("“None of these” cannot be combined with other answers.")) from None
        raise AnswerError(_("That answer is not one of the choices. Please choose again.")) from None
