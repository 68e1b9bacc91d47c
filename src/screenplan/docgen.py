"""Generate docs/instruments.md and docs/rules.md from the content, so they cannot drift.

python -m screenplan.docgen          rewrite the files
python -m screenplan.docgen --check  exit 1 if a checked-in file differs (CI runs this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .engine import load_content
from .engine.conditions import Condition
from .engine.content import NOT_GIVEN, Content


def condition_text(cond: Condition) -> str:
    """A condition in one readable line: `all(phq9 >= 10, sex != male)`."""
    for group in ("all", "any"):
        if group in cond:
            parts = [condition_text(c) for c in cond[group]]
            return f"{group}({', '.join(parts)})" if parts else "always"
    kind = next(k for k in ("item", "score", "band", "finding", "medicine") if k in cond)
    op = cond.get("op", "exists")
    name = cond[kind] if kind in ("item", "score") else f"{kind} {cond[kind]}"
    if op == "exists":
        return name if cond.get("value", True) else f"no {name}"
    return f"{name} {op} {cond['value']}"


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def instruments_md(content: Content) -> str:
    out = [
        "# Instruments",
        "",
        "Generated from `src/screenplan/content/` by `python -m screenplan.docgen`; do not edit.",
        "",
    ]
    for inst in content.instruments:
        out += [
            f"## {inst.title} (`{inst.id}`)",
            "",
            f"- Section: {inst.section}",
            f"- Citation: {_cell(inst.citation)}",
        ]
        out += [f"- Licence: {_cell(inst.licence)}", f"- Text source: {_cell(inst.text_source)}"]
        langs = ", ".join(sorted(inst.translations)) or "none"
        out += [f"- Translations: {langs}"]
        out += [f"- To verify: {_cell(v)}" for v in inst.verification_needed]
        if inst.stem:
            out += ["", f"Stem: {_cell(inst.stem)}"]
        out += ["", "| id | question | LOINC | answers (points) | gate |", "|---|---|---|---|---|"]
        for it in inst.items:
            if it.type == "integer":
                answers = f"whole number {it.min}-{it.max}"
            else:
                answers = "; ".join(
                    f"{o.label} = `{o.value}`"
                    + (f" ({o.points})" if o.points is not None and o.points != o.value else "")
                    for o in it.options
                )
            gate = content.gates.get(it.id)
            gate_text = ""
            if gate:
                gate_text = f"{gate.rule.id}: asked if {condition_text(gate.rule.when)}"
                if gate.otherwise is not NOT_GIVEN:
                    gate_text += f", else `{gate.otherwise}`"
            if it.safety:
                gate_text = (gate_text + "; " if gate_text else "") + "never skipped"
            out.append(f"| `{it.id}` | {_cell(it.text)} | {it.loinc or ''} | {_cell(answers)} | {_cell(gate_text)} |")
        for s in inst.scores:
            bands = ", ".join(f"{b.label} {b.min}-{b.max}" for b in s.bands) or "no bands"
            out += ["", f"Score `{s.id}` ({s.label}, range {s.range[0]}-{s.range[1]}): {bands}."]
        out.append("")
    return "\n".join(out)


def rules_md(content: Content) -> str:
    out = ["# Rules", "", "Generated from `src/screenplan/content/` by `python -m screenplan.docgen`; do not edit.", ""]
    out += [
        "Evidence levels: A randomized trials or a validated instrument; B guideline or limited trials;",
        "C expert consensus or program policy; E emerging and investigational.",
        "",
    ]
    flow_rules = [*content.stop, *(g.rule for g in content.gate_rules), content.curtail_rule, content.relevance_rule]
    groups = [("Flow", flow_rules), ("Plan", content.rules())]
    for title, rules in groups:
        out += [
            f"## {title}",
            "",
            "| rule | outcome | when | evidence | sources | rationale |",
            "|---|---|---|---|---|---|",
        ]
        for r in rules:
            outcome = ", ".join(f"{k}={v}" for k, v in r.data.items() if isinstance(v, (str, int)))
            out.append(
                f"| {r.id} | {_cell(outcome)} | {_cell(condition_text(r.when))} | {r.evidence} | "
                f"{_cell('; '.join(r.sources))} | {_cell(r.rationale)} |"
            )
        out.append("")
    out += ["## Sources", ""] + [f"- **{k}**: {_cell(v)}" for k, v in content.sources.items()] + [""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m screenplan.docgen")
    parser.add_argument("--check", action="store_true", help="fail if the docs differ from the content")
    parser.add_argument("--out", default="docs", help="folder to write (default: docs)")
    args = parser.parse_args(argv)
    content = load_content()
    stale = []
    for name, text in (("instruments.md", instruments_md(content)), ("rules.md", rules_md(content))):
        path = Path(args.out) / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)}; run `python -m screenplan.docgen`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
