"""English and Spanish are complete: plan texts, instrument translations and the site's UI strings.

No test here touches the database.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
import yaml

from screenplan.engine import build_plan, load_content
from screenplan.engine.localize import wording

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "screenplan"
TEXT = PACKAGE / "content" / "text"
LOCALE = PACKAGE / "locale" / "es" / "LC_MESSAGES"
TEMPLATES = PACKAGE / "assessments" / "templates" / "assessments"
PYTHON_SOURCES = [PACKAGE / "assessments" / name for name in ("views.py", "answers.py", "pages.py")]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

# Screenplan's own questions: translated by the project, so always shown in Spanish.
OWN_ITEMS = ("age", "sex", "drug_kinds", "health", "tx_antidepressants", "tx_substance", "readiness", "support")
OWN_SOURCE = "Screenplan's own wording, translated by the project."
# Wording kept in the content files, which English reads from there and text/es.yaml translates.
CONTENT_WORDING = ("bands", "rationales")


def leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (key path, value) at the bottom of a YAML tree; list items are indexed."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, str(key)))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from leaves(value, (*path, f"[{n}]"))
    else:
        yield path, node


def texts(lang: str) -> dict[str, Any]:
    return yaml.safe_load((TEXT / f"{lang}.yaml").read_text(encoding="utf-8"))


# (a) text/es.yaml has every key of text/en.yaml


def test_english_texts_are_all_non_empty_strings() -> None:
    """A comma inside an unquoted YAML flow value (`{why: a, b}`, `[a, b.]`) silently makes a key or splits a list."""
    bad = [("/".join(p), v) for p, v in leaves(texts("en")) if not isinstance(v, str) or not v.strip()]
    assert not bad, f"en.yaml values that are not text (quote values containing commas): {bad}"
    split = [
        "/".join(p) for p, v in leaves(texts("en")["timeline"]["steps"]) if isinstance(v, str) and not v.endswith(".")
    ]
    assert not split, f"timeline steps cut at a comma (quote them): {split}"


def test_spanish_texts_have_every_english_key() -> None:
    en, es = dict(leaves(texts("en"))), dict(leaves(texts("es")))
    missing = sorted("/".join(p) for p in en.keys() - es.keys())
    extra = sorted("/".join(p) for p in es.keys() - en.keys() if p[0] not in CONTENT_WORDING)
    assert not missing, f"keys missing from es.yaml (or lists of a different length): {missing}"
    assert not extra, f"keys in es.yaml that en.yaml does not have: {extra}"


def test_spanish_texts_are_non_empty_and_keep_placeholders() -> None:
    en, es = dict(leaves(texts("en"))), dict(leaves(texts("es")))
    for path, english in en.items():
        spanish = es.get(path)
        where = "/".join(path)
        assert isinstance(spanish, str) and spanish.strip(), f"{where}: no Spanish text"
        if isinstance(english, str):
            assert sorted(PLACEHOLDER.findall(spanish)) == sorted(PLACEHOLDER.findall(english)), where


def test_spanish_texts_keep_links_and_ids() -> None:
    en, es = texts("en"), texts("es")
    for a, b in zip(en["crisis"]["resources"], es["crisis"]["resources"], strict=True):
        assert (a["id"], a["href"]) == (b["id"], b["href"])


def test_spanish_texts_translate_every_band_and_rationale() -> None:
    content, es = load_content(), texts("es")
    for score in content.scores.values():
        for band in score.bands:
            entry = es["bands"].get(score.id, {}).get(band.id)
            assert isinstance(entry, dict) and set(entry) == {"label", "meaning"}, f"bands.{score.id}.{band.id}"
            assert all(isinstance(v, str) and v.strip() for v in entry.values()), f"bands.{score.id}.{band.id}"
            assert entry["meaning"] != band.meaning, f"bands.{score.id}.{band.id}"
    rules = {r.id: r for r in content.rules()}
    assert set(es["rationales"]) == set(rules), "rationales.<rule id> must match the rules exactly"
    for rid, text in es["rationales"].items():
        assert isinstance(text, str) and text.strip() and text != rules[rid].rationale, rid


# (b) django.po is complete and django.mo is compiled from it


def test_po_has_no_untranslated_fuzzy_or_obsolete_entries() -> None:
    po = polib.pofile(str(LOCALE / "django.po"))
    assert po.metadata.get("Language") == "es"
    assert not po.metadata_is_fuzzy
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []
    for e in po:
        if "python-format" in e.flags:
            named = re.compile(r"%\(\w+\)s")
            assert sorted(named.findall(e.msgstr)) == sorted(named.findall(e.msgid)), e.msgid


def test_mo_is_compiled_from_the_po() -> None:
    """The shipped .mo must match the .po, so a fresh machine needs no gettext tools."""
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    expected = {e.msgid: e.msgstr for e in po.translated_entries()}
    shipped = {e.msgid: e.msgstr for e in mo if e.msgid}
    assert shipped == expected, "django.mo is stale: polib.pofile(po).save_as_mofile(mo)"
    assert mo.metadata.get("Content-Type", "").lower().endswith("charset=utf-8")


# (c) every UI string in the templates and Python code is in the catalogue

TRANSLATE = re.compile(r"""\{%\s*translate\s+(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
BLOCK = re.compile(r"\{%\s*blocktranslate\b[^%]*%\}(.*?)\{%\s*endblocktranslate\s*%\}", re.DOTALL)
VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def template_msgids() -> set[str]:
    found = set()
    for path in sorted(TEMPLATES.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        found |= {a or b for a, b in TRANSLATE.findall(html)}
        found |= {VARIABLE.sub(r"%(\1)s", body) for body in BLOCK.findall(html)}
    return found


def python_msgids() -> set[str]:
    found = set()
    for path in PYTHON_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            arg = node.args[0]
            if name in ("_", "gettext", "gettext_lazy") and isinstance(arg, ast.Constant):
                found.add(str(arg.value))
    return found


def test_every_ui_string_is_in_the_catalogue() -> None:
    catalogue = {e.msgid for e in polib.pofile(str(LOCALE / "django.po"))}
    used_in_templates, used_in_python = template_msgids(), python_msgids()
    assert len(used_in_templates) > 50 and len(used_in_python) > 20, "the scan found too little; check the regexes"
    missing = sorted((used_in_templates | used_in_python) - catalogue)
    assert not missing, f"run makemessages -l es and translate: {missing}"


def test_django_serves_the_spanish_catalogue() -> None:
    from django.utils import translation

    with translation.override("es"):
        assert translation.gettext("Help right now") == "Ayuda ahora mismo"
        assert translation.gettext("Please enter a number from %(min)s to %(max)s.") % {"min": 0, "max": 120} == (
            "Por favor, escriba un número del 0 al 120."
        )


# (d) the Spanish plan uses no English plan text

SAMPLE = json.loads((PACKAGE / "examples" / "integrated.json").read_text(encoding="utf-8"))
PLANS = {
    "integrated": SAMPLE,
    "crisis": {**SAMPLE, "phq9_9": 2, "asq_1": "yes", "asq_5": "yes"},
    "youth": {"age": 16},
    "opioids": {**SAMPLE, "drug_use_year": "2+", "drug_kinds": ["opioids"], "support": "no", "readiness": 2},
}


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_spanish_plan_has_no_english_plan_text(name: str) -> None:
    plan = build_plan(load_content(), PLANS[name], "es")
    english_titles = set(texts("en")["sections"].values())
    titles = [s["title"] for s in plan["sections"]]
    assert titles and not english_titles & set(titles), titles
    # Any English text (en.yaml, band wording, rule rationales) that Spanish words differently
    # must not appear.
    content = load_content()
    english = {v for _, v in leaves(texts("en")) if isinstance(v, str)}
    english |= {b.label for s in content.scores.values() for b in s.bands}
    english |= {b.meaning for s in content.scores.values() for b in s.bands}
    english |= {r.rationale for r in content.rules()}
    english_only = english - {v for _, v in leaves(texts("es")) if isinstance(v, str)}
    leaked = sorted(set(strings(plan["sections"])) & english_only)
    assert not leaked, leaked


# (e) which questions are shown in Spanish


def test_own_questions_and_phq9_are_translated() -> None:
    content = load_content()
    phq9 = [i for i in content.items if i.startswith("phq9_")]
    assert len(phq9) == 9
    for item_id in (*OWN_ITEMS, *phq9):
        item = content.items[item_id]
        english, spanish = wording(content, item, "en"), wording(content, item, "es")
        assert spanish.translated, item_id
        assert spanish.text != english.text, item_id
        # A label list of the wrong length falls back to English silently; catch that here.
        assert len(spanish.labels) == len(item.options), item_id
        if item.options:
            assert spanish.labels != english.labels, f"{item_id}: answer labels are still English"
        if english.help:
            assert spanish.help != english.help, f"{item_id}: help is still English"


def test_own_questions_name_their_translation_source() -> None:
    content = load_content()
    for inst in {content.items[i].instrument for i in OWN_ITEMS}:
        source = content.instrument(inst).translations["es"]["source"]
        assert source.startswith(OWN_SOURCE), inst


@pytest.mark.parametrize(
    "prefix", ["gad7_", "asq_", "pcptsd5_", "drug_use_year", "audit_9", "audit_10"], ids=lambda p: p.rstrip("_")
)
def test_questions_without_a_sourced_translation_stay_english(prefix: str) -> None:
    content = load_content()
    items = [i for i in content.items.values() if i.id.startswith(prefix)]
    assert items
    for item in items:
        spanish = wording(content, item, "es")
        assert not spanish.translated, item.id
        assert spanish.text == item.text, item.id


def test_audit_items_1_to_8_use_the_sourced_spanish_text() -> None:
    content = load_content()
    tr = content.instrument("audit").translations["es"]
    assert "verif" in tr["source"].lower(), "the partial AUDIT text must say it needs verification"
    for n in range(1, 9):
        item = content.items[f"audit_{n}"]
        spanish = wording(content, item, "es")
        assert spanish.translated and spanish.text.startswith("¿"), item.id
        assert len(spanish.labels) == len(item.options), item.id
        assert spanish.labels[0] == ("1 o 2" if n == 2 else "Nunca"), item.id
