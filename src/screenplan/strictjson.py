"""JSON as every input of Screenplan reads it: no repeated keys, no NaN or Infinity.

Python's json module accepts both silently (the last repeated key wins, NaN becomes a
float); for answers about a person's health either is a mistake to refuse, not to guess at.
"""

from __future__ import annotations

import json
from typing import Any


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def loads(text: str | bytes) -> Any:
    """Parse strictly; ValueError (json.JSONDecodeError included) or RecursionError otherwise.

    >>> loads('{"a": 1}')
    {'a': 1}
    >>> loads('{"a": 1, "a": 2}')
    Traceback (most recent call last):
    ValueError: the key 'a' appears twice
    """
    return json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constant)
