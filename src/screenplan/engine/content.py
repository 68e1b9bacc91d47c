"""Clinical content as data: the loaded, validated instruments, flow and rules.

`load_content()` reads the YAML files shipped in `screenplan/content/` (or another folder with
the same layout) once and returns a frozen `Content`. Every problem is an `EngineError` whose
code, file and path say what to fix; see `validate.py` for the checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .conditions import Condition
from .errors import EngineError

MEDICINE_STATUSES = ("not_indicated", "excluded", "clinician_review", "consider")
EVIDENCE_LEVELS = ("A", "B", "C", "E")
NOT_GIVEN = object()  # a gate with no `otherwise`: the skipped answer stays unknown


@dataclass(frozen=True)
class Option:
    value: int | str
    label: str
    points: int | None = None
    loinc: str | None = None
    show_when: Condition | None = None
    # LOINC answer codes other systems send for this answer, with the display they send:
    # (code, display) pairs, each with its source in the content file. Import only.
    loinc_aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Item:
    id: str
    instrument: str
    text: str
    type: str  # "choice", "integer" or "multi"
    options: tuple[Option, ...] = ()
    stem: str = ""
    min: int | None = None
    max: int | None = None
    loinc: str | None = None
    safety: bool = False
    exclusive: str | None = None
    help: str = ""
    option_set: str = ""  # the shared option set's name, which translations refer to

    def option(self, value: Any) -> Option | None:
        for opt in self.options:
            if opt.value == value and type(opt.value) is type(value):
                return opt
        return None

    def point_range(self) -> tuple[int, int]:
        points = [o.points for o in self.options if o.points is not None]
        if self.type == "integer" and self.min is not None and self.max is not None:
            return self.min, self.max
        return (min(points), max(points)) if points else (0, 0)


@dataclass(frozen=True)
class Band:
    id: str
    min: int
    max: int
    label: str
    meaning: str


@dataclass(frozen=True)
class Rule:
    """One decision with its stable id, condition, reasons and outcome fields (`data`)."""

    id: str
    when: Condition
    rationale: str
    sources: tuple[str, ...]
    evidence: str
    data: Mapping[str, Any] = field(default_factory=dict)
    where: str = ""  # file and path, for error messages
    cond_key: str = "when"  # the condition's key in the file ("indicated_when" for medicines)


@dataclass(frozen=True)
class Score:
    id: str
    instrument: str
    label: str
    items: tuple[str, ...]
    range: tuple[int, int]
    bands: tuple[Band, ...] = ()
    loinc: str | None = None
    escalate: Rule | None = None  # data["band"] names the escalated band

    def band_at(self, total: int) -> Band | None:
        return next((b for b in self.bands if b.min <= total <= b.max), None)


@dataclass(frozen=True)
class Instrument:
    id: str
    title: str
    short_title: str
    section: str
    citation: str
    sources: tuple[str, ...]
    licence: str
    text_source: str
    verification_needed: tuple[str, ...]
    stem: str
    items: tuple[Item, ...]
    scores: tuple[Score, ...]
    findings: tuple[Rule, ...]
    translations: Mapping[str, Any]
    loinc: str | None = None


@dataclass(frozen=True)
class Gate:
    rule: Rule
    items: tuple[str, ...]
    otherwise: Any = NOT_GIVEN


@dataclass(frozen=True)
class Content:
    version: str
    instruments: tuple[Instrument, ...]
    items: Mapping[str, Item]  # in the order they are asked (before_plan, then after_plan)
    scores: Mapping[str, Score]
    findings: tuple[Rule, ...]  # in evaluation order
    stop: tuple[Rule, ...]
    gates: Mapping[str, Gate]  # item id -> its gate
    gate_rules: tuple[Gate, ...]
    curtail: Mapping[str, str]  # instrument id -> "negative" (stop once its findings are all absent) or "both"
    curtail_rule: Rule
    relevance_rule: Rule
    safety_levels: tuple[str, ...]
    safety: tuple[Rule, ...]
    contraindications: tuple[Rule, ...]
    medicines: tuple[Rule, ...]
    pathways: tuple[Rule, ...]
    checks: tuple[Rule, ...]
    priority: tuple[Rule, ...]
    sources: Mapping[str, str]
    texts: Mapping[str, Mapping[str, Any]]  # language -> plan texts
    # The screen's questions in the order they are asked up to the plan, and those asked on the
    # plan page after it (they only tailor its wording); `items` holds both, in that order.
    before_plan: tuple[str, ...] = ()
    after_plan: tuple[str, ...] = ()
    # Questions asked only while some answer to them could still change a decision: every
    # question outside a validated score, except the safety questions (flow.yaml).
    relevance: frozenset[str] = frozenset()

    def instrument(self, instrument_id: str) -> Instrument:
        return next(i for i in self.instruments if i.id == instrument_id)

    def rules(self) -> list[Rule]:
        """Every rule of the plan, in evaluation order (for docs and coverage checks)."""
        out = list(self.findings)
        out += [s.escalate for s in self.scores.values() if s.escalate]
        out += [*self.safety, *self.contraindications, *self.medicines, *self.pathways]
        out += [p.data["eligibility"] for p in self.pathways if p.data.get("eligibility")]
        return out + [*self.checks, *self.priority]


DEFAULT_DIR = "content"


def read_folder(folder: Path | None = None) -> dict[str, str]:
    """The text of every content file, keyed by its path relative to the content folder."""
    if folder is None:
        root: Any = resources.files("screenplan").joinpath(DEFAULT_DIR)
    else:
        root = folder
    files: dict[str, str] = {}
    for sub in ("", "instruments/", "text/"):
        base = root.joinpath(sub) if sub else root
        for entry in sorted(base.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".yaml"):
                files[sub + entry.name] = entry.read_text(encoding="utf-8")
    return files


@cache
def load_content(folder: str | None = None) -> Content:
    """Load and validate the content (the shipped content when `folder` is None).

    >>> load_content().items["phq9_9"].safety
    True
    """
    return parse_files(read_folder(Path(folder) if folder else None))


# libyaml's parser when PyYAML has it (about 5 times faster); the constructor is the safe one either way.
_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):  # type: ignore[misc]  # safe: constructs plain data only, like safe_load
    """PyYAML's safe loader, except that a key repeated in one mapping is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def parse_files(files: Mapping[str, str]) -> Content:
    """Build a `Content` from file texts; pure, so tests can break one file and look."""
    from .validate import build  # the checks live beside the data they check

    docs: dict[str, Any] = {}
    for name, text in files.items():
        try:
            docs[name] = yaml.load(text, Loader=_StrictLoader)  # noqa: S506  # nosec B506
        except yaml.YAMLError as exc:
            raise EngineError("yaml_error", f"not valid YAML ({exc})", name) from None
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return build(docs, digest.hexdigest()[:12])
