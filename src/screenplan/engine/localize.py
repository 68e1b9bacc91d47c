"""The words of a question in a language: its sourced translation, or English with a flag.

Validated instruments are shown in another language only where the content file holds a
sourced translation; otherwise the English wording is returned with `translated=False` so
the page can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .content import Content, Item


@dataclass(frozen=True)
class Wording:
    stem: str
    text: str
    labels: tuple[str, ...]
    help: str
    translated: bool


def wording(content: Content, item: Item, lang: str) -> Wording:
    """
    >>> from screenplan.engine.content import load_content
    >>> c = load_content()
    >>> wording(c, c.items["phq9_1"], "es").labels[0]
    'Ningún día'
    >>> wording(c, c.items["phq9_1"], "en").translated
    True
    """
    english = Wording(item.stem, item.text, tuple(o.label for o in item.options), item.help, True)
    if lang == "en":
        return english
    tr: Any = content.instrument(item.instrument).translations.get(lang) or {}
    text = (tr.get("items") or {}).get(item.id)
    if not text:
        return Wording(english.stem, english.text, english.labels, english.help, False)
    labels = (tr.get("item_options") or {}).get(item.id) or (tr.get("options") or {}).get(item.option_set)
    stem = (tr.get("stems") or {}).get(item.id, tr.get("stem", "")) if item.stem else ""
    return Wording(
        stem=stem or english.stem,
        text=text,
        labels=tuple(labels) if labels and len(labels) == len(item.options) else english.labels,
        help=(tr.get("help") or {}).get(item.id, english.help),
        translated=True,
    )
