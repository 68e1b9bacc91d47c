"""The engine's one exception type."""

from __future__ import annotations


class EngineError(Exception):
    """A content or answer problem, with a stable code and the place it was found.

    `code` names the kind of problem (`unknown_item`, `band_gap`, …); `where` is the place
    (a content file and path such as ``rules.yaml: pathways[2].when``, or an item id); the
    message says what is wrong and how to fix it.

    >>> str(EngineError("unknown_item", "no such question", where="phq9_10"))
    'unknown_item at phq9_10: no such question'
    """

    def __init__(self, code: str, message: str, where: str = "") -> None:
        self.code = code
        self.message = message
        self.where = where
        super().__init__(f"{code} at {where}: {message}" if where else f"{code}: {message}")
