"""The human-readable part of the plan, in the order of clinical-spec §5, from text/<lang>.yaml.

Each section is {"id", "title", "body": [paragraphs], "items": [{"id", "title", "text",
"details": [...]}]} plus a few section-specific keys, so that the web page, the PDF and the
API show the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .content import Content, Rule
from .plan import Decision, score_summary

Section = dict[str, Any]
SURFACE = ("audit", "drugs")
BENEATH = ("phq9", "gad7", "pcptsd5", "asq")


class Text:
    """Lookups in one language's texts, falling back to English key by key."""

    def __init__(self, content: Content, lang: str) -> None:
        self.primary = content.texts.get(lang, {})
        self.english = content.texts["en"]

    def rationale(self, rule: Rule) -> str:
        """A rule's rationale in this language (text/<lang>.yaml `rationales`), else as written."""
        return str(self.get("rationales", rule.id, default=rule.rationale))

    def get(self, *path: str, default: Any = None) -> Any:
        try:
            return self(*path)
        except KeyError:
            return default

    def __call__(self, *path: str, **fmt: Any) -> Any:
        for table in (self.primary, self.english):
            node: Any = table
            for key in path:
                node = node.get(key) if isinstance(node, Mapping) else None
            if node is not None:
                return node.format(**fmt) if fmt and isinstance(node, str) else node
        raise KeyError(".".join(path))


def sections(content: Content, d: Decision, lang: str) -> list[Section]:
    t = Text(content, lang)
    crisis = _crisis(t, d)
    if d.pathway == "out_of_scope":
        return [crisis, _support(content, t, d)]
    out = [_findings(content, t, d), _pathway(content, t, d)]
    if d.pathway == "integrated" and d.priority != "crisis":
        out.append(_fit(t, d))
    meds = _medicines(content, t, d)
    if meds["items"]:
        out.append(meds)
    out += [_checks(t, d), _timeline(t, d)]
    return (
        [crisis, *out, _support(content, t, d)] if d.priority == "crisis" else [*out, crisis, _support(content, t, d)]
    )


def _section(
    t: Text, sid: str, body: list[str] | None = None, items: list[dict[str, Any]] | None = None, **extra: Any
) -> Section:
    return {"id": sid, "title": t("sections", sid), "body": body or [], "items": items or [], **extra}


def _crisis(t: Text, d: Decision) -> Section:
    intro = t("crisis", "youth") if d.pathway == "out_of_scope" else t("crisis", d.safety)
    items = [
        {"id": r["id"], "title": r["name"], "text": r["detail"], "href": r["href"], "details": []}
        for r in t("crisis", "resources")
    ]
    return _section(t, "crisis", [intro], items, level=d.safety)


def _findings(content: Content, t: Text, d: Decision) -> Section:
    items = []
    for key in SURFACE + BENEATH:
        items.append(_score_item(content, t, d, key))
    labels = [t("findings", f) for f in d.findings]
    return _section(t, "findings", labels, items, surface=list(SURFACE), beneath=list(BENEATH))


def _score_item(content: Content, t: Text, d: Decision, key: str) -> dict[str, Any]:
    layer = "surface" if key in SURFACE else "beneath"
    if key == "drugs":
        used = "drug_use" in d.findings
        return {
            "id": key,
            "title": t("iceberg", "scores", key),
            "short": t("iceberg", "short", key),
            "layer": layer,
            "severity": 2 if used else 0,
            "score": None,
            "band": None,
            "text": t("iceberg", "drugs_yes" if used else "drugs_no"),
            "details": [],
        }
    summary = score_summary(content, d.facts, key)
    if key == "audit" and summary["total"] is None:
        auditc = d.facts.score("auditc")
        n = auditc.lo if auditc else 0
        pos = "auditc_positive" in d.findings
        return {
            "id": "auditc",
            "title": t("iceberg", "scores", "auditc"),
            "short": t("iceberg", "short", "auditc"),
            "layer": layer,
            "severity": 1 if pos else 0,
            "score": str(n),
            "band": None,
            "details": [],
            "text": t("iceberg", "auditc_pos" if pos else "auditc_neg", n=n),
        }
    score = content.scores[key]
    if summary["total"] is not None:
        shown = str(summary["total"])
    elif summary["bound"] is None:  # a gate left it out (a two-stage screen): nothing to show
        shown = t("iceberg", "not_assessed")
    else:
        op, n = summary["bound"].split()
        shown = t("iceberg", "bound_ge" if op == ">=" else "bound_le", n=n)
    band = next((b for b in score.bands if b.id == summary["band"]), None)
    severity = 0
    if band is not None:
        severity = round(3 * score.bands.index(band) / max(1, len(score.bands) - 1))
    elif summary["bound"] and summary["bound"].startswith(">="):
        severity = 2
    # Band wording is Screenplan's own: text/<lang>.yaml may translate it (bands.<score>.<band>).
    meaning = (
        t.get("bands", key, band.id, "meaning", default=band.meaning) if band else _finding_text(content, t, d, key)
    )
    band_label = t.get("bands", key, band.id, "label", default=band.label) if band else t("iceberg", "no_band")
    return {
        "id": key,
        "title": t("iceberg", "scores", key),
        "short": t("iceberg", "short", key),
        "layer": layer,
        "severity": severity,
        "score": shown,
        "band": band_label,
        "text": meaning,
        "details": [],
    }


def _finding_text(content: Content, t: Text, d: Decision, key: str) -> str:
    inst = content.instrument(content.scores[key].instrument)
    present = [str(f.data["id"]) for f in inst.findings if str(f.data["id"]) in d.findings]
    if present:
        return str(t("findings", present[0]))
    absent = [str(f.data["id"]) for f in inst.findings]
    return "" if not absent else str(t("iceberg", "below_cutoff"))


def _why(content: Content, t: Text, d: Decision) -> list[dict[str, Any]]:
    rules = {r.id: r for r in content.rules()}
    return [
        {
            "rule": rid,
            "text": t.rationale(rules[rid]),
            "evidence": rules[rid].evidence,
            "sources": list(rules[rid].sources),
        }
        for rid in d.fired
    ]


def _pathway(content: Content, t: Text, d: Decision) -> Section:
    body = [t("pathway_intro"), t("pathways", d.pathway, "name"), t("pathways", d.pathway, "summary")]
    if d.eligibility:
        body.append(t("eligibility", d.eligibility))
    if d.pathway == "depression_care" and d.medicines.get("ketamine") in ("consider", "clinician_review"):
        body.append(t("ketamine_evaluation"))
    if d.pathway == "alcohol_medication" and "consider" not in (
        d.medicines.get("naltrexone"),
        d.medicines.get("acamprosate"),
    ):
        body.append(t("second_line"))
    also = [
        {"id": p, "title": t("pathways", p, "name"), "text": t("pathways", p, "summary"), "details": []} for p in d.also
    ]
    return _section(
        t,
        "pathway",
        body,
        also,
        primary=d.pathway,
        eligibility=d.eligibility,
        also_intro=t("also_intro") if also else "",
        why_intro=t("why_intro"),
        why=_why(content, t, d),
    )


def _fit(t: Text, d: Decision) -> Section:
    signs = []
    answers = d.answers
    if "prior_treatment" in d.findings:
        signs.append("prior_treatment")
    if "treatment_resistant" in d.findings:
        signs.append("treatment_resistant")
    signs.append("both")  # the integrated pathway requires depression and zone II or more
    if int(answers.get("readiness", 0)) >= 7:
        signs.append("ready")
    if answers.get("support") == "yes":
        signs.append("support")
    items = [{"id": s, "title": t("fit", s), "text": "", "details": []} for s in signs]
    return _section(t, "fit", [t("fit", "intro")], items, expectations=t("fit", "expectations"))


def _medicines(content: Content, t: Text, d: Decision) -> Section:
    items = []
    for m in content.medicines:
        mid = str(m.data["id"])
        status = d.medicines[mid]
        if status == "not_indicated":
            continue
        reasons = [t.rationale(r) for r in d.medicine_reasons[mid]] or [t("status_reason_none")]
        items.append(
            {
                "id": mid,
                "title": t("medicines", mid, "name"),
                "status": status,
                "text": t("statuses", status),
                "what": t("medicines", mid, "what"),
                "reasons": reasons,
                "rules": [m.id] + [r.id for r in d.medicine_reasons[mid]],
                "details": list(t("medicines", mid, "safety")),
                "evidence": m.evidence,
                "sources": list(m.sources),
            }
        )
    return _section(t, "medicines", [], items)


def _checks(t: Text, d: Decision) -> Section:
    items = [{"id": c, "title": t("checks", c, "name"), "text": t("checks", c, "why"), "details": []} for c in d.checks]
    body = [] if items else [t("no_checks")]
    return _section(
        t,
        "checks",
        body,
        items,
        preparation_intro=t("preparation_intro"),
        preparation=list(t("preparation")),
        questions_intro=t("questions_intro"),
        questions=list(t("questions")),
    )


def _timeline(t: Text, d: Decision) -> Section:
    phases = []
    for phase in ("stabilization", "active", "maintenance"):
        info = t("timeline", "phases", phase)
        phases.append(
            {
                "id": phase,
                "title": f"{info['weeks']} · {info['title']}",
                "text": "",
                "details": list(t("timeline", "steps", d.pathway, phase)),
            }
        )
    readiness = d.answers.get("readiness")
    # Asked on the plan page, after the plan: until it is answered the steps assume nothing.
    band = "medium" if readiness is None else "low" if readiness <= 3 else "medium" if readiness <= 6 else "high"
    steps = list(t("first_steps", band))
    if d.answers.get("support") == "no":
        steps.insert(0, t("no_support_first"))
    return _section(t, "timeline", [], phases, this_week_intro=t("this_week_intro"), this_week=steps, readiness=band)


def _support(content: Content, t: Text, d: Decision) -> Section:
    rules = {r.id: r for r in content.rules()}
    evidence = []
    for rid in d.fired:
        r = rules[rid]
        evidence.append(
            {
                "rule": rid,
                "level": r.evidence,
                "level_text": t("evidence_levels", r.evidence),
                "text": t.rationale(r),
                "sources": [content.sources.get(s, s) for s in r.sources],
            }
        )
    items = [
        {"id": f"resource_{n}", "title": r, "text": "", "details": []} for n, r in enumerate(t("support", "resources"))
    ]
    return _section(
        t,
        "support",
        [t("support", "intro")],
        items,
        evidence_intro=t("evidence_intro"),
        evidence=evidence,
        disclaimer=t("disclaimer"),
    )
