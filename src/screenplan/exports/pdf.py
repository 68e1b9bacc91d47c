"""The plan as a printable PDF: the same words as the plan page (assessments/_section.html).

fpdf2's built-in fonts are Latin-1 only, so the text is set in FiraGO (from `pymupdf_fonts`),
which covers "—", "≥", "→", curly quotes and Spanish accents. The page is A4, with margins that
keep every line inside a US Letter sheet too. Output is deterministic: no clock, a fixed date.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pymupdf_fonts  # type: ignore[import-untyped]
from fpdf import FPDF

FONT = "FiraGO"
FONT_FILES = {"": "figo", "B": "figbo"}  # fpdf2 style -> pymupdf_fonts name
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)
MARGIN = 20.0  # mm, left/right/top
BOTTOM = 32.0  # mm kept free at the foot of an A4 page: the text also fits on Letter (279.4 mm)
LINE = 5.0  # mm per line of body text
SIZE = 10.5  # pt, body text
SMALL = 9.0  # pt, evidence lists and fine print
INK, MUTED, ALERT = (20, 20, 20), (90, 90, 90), (150, 20, 20)
CRISIS_LINES = ("988", "911", "crisis_text_line")  # the numbers repeated at the foot of every page
LABELS = {
    "en": {"plan": "Your plan", "why": "Why:", "evidence": "evidence", "level": "Evidence level", "page": "Page"},
    "es": {
        "plan": "Su plan",
        "why": "Por qué:",
        "evidence": "evidencia",
        "level": "Nivel de evidencia",
        "page": "Página",
    },
}

Runs = list[tuple[str, str]]  # (fpdf2 style, text) pieces set inline in one paragraph


@cache
def _font_dir() -> Path:
    """A private directory (mode 0700) holding the font files for this process; fpdf2 wants paths."""
    folder = Path(tempfile.mkdtemp(prefix="screenplan-fonts-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name in FONT_FILES.values():
        (folder / f"{name}.ttf").write_bytes(pymupdf_fonts.myfont(name))
    return folder


def _label(lang: str, key: str) -> str:
    return LABELS.get(lang, LABELS["en"]).get(key, LABELS["en"][key])


class PlanPDF(FPDF):
    """An FPDF with the plan's font and a footer that repeats the crisis numbers on every page."""

    def __init__(self, lang: str, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.lang = lang
        self.footer_text = footer_text
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(_font_dir() / f"{name}.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, BOTTOM)
        self.set_creation_date(FIXED_DATE)
        self.set_lang(lang)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-BOTTOM + 8)
        self.set_font(FONT, "", 8)
        self.set_text_color(*ALERT)
        self.multi_cell(0, 3.8, self.footer_text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*MUTED)
        self.cell(0, 3.8, f"{_label(self.lang, 'page')} {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(*INK)

    # Building blocks ---------------------------------------------------------------------------

    def runs(self, runs: Runs, *, indent: float = 0.0, bullet: str = "", size: float = SIZE, gap: float = 1.6) -> None:
        """One paragraph of inline runs, optionally indented with a bullet hanging in the margin."""
        left = MARGIN + indent
        self.set_left_margin(left)
        self.set_x(left)
        if bullet:
            self.set_font(FONT, "", size)
            self.set_x(left - 4.5)
            self.cell(4.5, LINE, bullet)
        for style, text in runs:
            if text:
                self.set_font(FONT, style, size)
                self.write(LINE, text)
        self.ln(LINE + gap)
        self.set_left_margin(MARGIN)
        self.set_x(MARGIN)

    def para(self, text: str, style: str = "", **kw: Any) -> None:
        if text:
            self.runs([(style, text)], **kw)

    def bullets(self, lines: Iterable[str | Runs], *, indent: float = 5.0, size: float = SIZE) -> None:
        for line in lines:
            self.runs([("", line)] if isinstance(line, str) else line, indent=indent, bullet="•", size=size, gap=0.8)
        self.ln(1.2)

    def heading(self, text: str, size: float = 14.0, color: tuple[int, int, int] = INK) -> None:
        if self.get_y() > self.page_break_trigger - 30:  # keep a heading with what follows it
            self.add_page()
        self.ln(2.5)
        self.set_font(FONT, "B", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.45, text, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*color)
        self.set_line_width(0.3 if size >= 14 else 0.15)
        self.line(MARGIN, self.get_y() + 0.8, self.w - MARGIN, self.get_y() + 0.8)
        self.set_text_color(*INK)
        self.ln(3)


# Sections --------------------------------------------------------------------------------------


def _crisis(pdf: PlanPDF, s: dict[str, Any]) -> None:
    for p in s["body"]:
        pdf.para(p, "B")
    pdf.bullets([[("B", f"{r['title']}: "), ("", r["text"])] for r in s["items"]])


def _findings(pdf: PlanPDF, s: dict[str, Any]) -> None:
    pdf.bullets(s["body"])
    for i in s["items"]:
        score = " · ".join(str(x) for x in (i.get("score"), i.get("band")) if x)
        pdf.runs([("B", i["title"]), ("", f"   {score}" if score else "")], gap=0.4)
        pdf.para(i["text"], indent=5.0)


def _pathway(pdf: PlanPDF, s: dict[str, Any]) -> None:
    body = list(s["body"])
    pdf.para(body[0])
    if len(body) > 1:
        pdf.para(body[1], "B", size=13)
    for p in body[2:]:
        pdf.para(p)
    if s["items"]:
        pdf.para(s.get("also_intro", ""))
        pdf.bullets([[("B", f"{p['title']}: "), ("", p["text"])] for p in s["items"]])
    if s.get("why"):
        pdf.para(s.get("why_intro", ""), "B")
        evidence = _label(pdf.lang, "evidence")
        why = [
            [("", w["text"]), ("", f" ({evidence} {w['evidence']}; {'; '.join([*w['sources'], w['rule']])})")]
            for w in s["why"]
        ]
        pdf.bullets(why, size=SMALL)


def _fit(pdf: PlanPDF, s: dict[str, Any]) -> None:
    pdf.para(s["body"][0] if s["body"] else "")
    pdf.bullets(i["title"] for i in s["items"])
    pdf.para(s.get("expectations", ""))


def _medicines(pdf: PlanPDF, s: dict[str, Any]) -> None:
    for p in s["body"]:
        pdf.para(p)
    for m in s["items"]:
        pdf.heading(f"{m['title']} — {m['text']}", size=11.5)
        pdf.para(m["what"])
        pdf.runs([("B", f"{_label(pdf.lang, 'why')} "), ("", " ".join(m["reasons"]))])
        pdf.bullets(m["details"])
        pdf.para(f"{_label(pdf.lang, 'level')} {m['evidence']}: {'; '.join(m['sources'])}", size=SMALL)


def _checks(pdf: PlanPDF, s: dict[str, Any]) -> None:
    for p in s["body"]:
        pdf.para(p)
    pdf.bullets([[("B", f"{c['title']}: "), ("", c["text"])] for c in s["items"]])
    pdf.para(s.get("preparation_intro", ""), "B")
    pdf.bullets(s.get("preparation", []))
    pdf.para(s.get("questions_intro", ""), "B")
    pdf.bullets(s.get("questions", []))


def _timeline(pdf: PlanPDF, s: dict[str, Any]) -> None:
    for n, p in enumerate(s["items"], 1):
        pdf.runs([("B", f"{n}. {p['title']}")], gap=0.6)
        pdf.bullets(p["details"], indent=9.0)
    pdf.para(s.get("this_week_intro", ""), "B")
    pdf.bullets(s.get("this_week", []))


def _support(pdf: PlanPDF, s: dict[str, Any]) -> None:
    for p in s["body"]:
        pdf.para(p)
    pdf.bullets(i["title"] for i in s["items"])
    if s.get("evidence"):
        pdf.para(s.get("evidence_intro", ""), "B")
        lines = [[("", e["text"]), ("", f" ({e['level_text']}. {' '.join(e['sources'])})")] for e in s["evidence"]]
        pdf.bullets(lines, size=SMALL)
    pdf.ln(2)
    pdf.para(s.get("disclaimer", ""), "B", size=9.5)


def _generic(pdf: PlanPDF, s: dict[str, Any]) -> None:
    """Any section without its own layout still prints all of its words."""
    for p in s["body"]:
        pdf.para(p)
    for i in s["items"]:
        pdf.runs([("B", i["title"]), ("", f": {i['text']}" if i.get("text") else "")])
        pdf.bullets(i.get("details", []))


LAYOUTS = {
    "crisis": _crisis,
    "findings": _findings,
    "pathway": _pathway,
    "fit": _fit,
    "medicines": _medicines,
    "checks": _checks,
    "timeline": _timeline,
    "support": _support,
}


def _footer_text(plan: dict[str, Any]) -> str:
    crisis = next((s for s in plan["sections"] if s["id"] == "crisis"), None)
    if crisis is None:
        return ""
    lines = [r for r in crisis["items"] if r["id"] in CRISIS_LINES]
    numbers = [(r["title"], r["href"].split(":")[-1].split("?")[0]) for r in lines]
    return f"{crisis['title']}: " + " · ".join(t if n in t else f"{t} {n}" for t, n in numbers)


def new_document(lang: str, footer_text: str = "") -> PlanPDF:
    """An empty document with the plan's font, margins and metadata, its first page added."""
    pdf = PlanPDF(lang, footer_text)
    pdf.add_page()
    return pdf


def render(plan: dict[str, Any], lang: str, *, program_name: str = "Screenplan") -> bytes:
    """The plan as PDF bytes; every section in the plan's order, crisis numbers on every page."""
    title = f"{program_name}: {_label(lang, 'plan')}"
    pdf = new_document(lang, _footer_text(plan))
    pdf.set_title(title)
    pdf.set_creator(program_name)
    pdf.set_font(FONT, "B", 20)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for s in plan["sections"]:
        crisis = s["id"] == "crisis"
        pdf.heading(s["title"], color=ALERT if crisis else INK)
        LAYOUTS.get(s["id"], _generic)(pdf, s)
    return bytes(pdf.output())
