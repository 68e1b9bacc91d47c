"""Respondent burden of the adaptive flow, next to the floor an oracle reaches, and the cost of one plan.

Run from the repository root:  python bench/burden.py  [--quick]

Prints figures only; it never asserts a timing. Scenarios:
  (a) 223 real PHQ-9/GAD-7 answer rows (UKM students), other answers from a fixed low-risk profile;
  (b) the same rows with every gate of the flow open;
  (c) a seeded, simulated US-adult population whose PHQ-9 items follow the NHANES marginals.
For each: the default flow (seconds to the plan, and with the plan page's two questions), the
oracle floor under the same rules, the full battery, and the two-stage variant
(content/variants/two-stage-gates.yaml) with the decisions it changes.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

try:
    import yaml

    from screenplan.engine import build_plan, check_pass, estimate_seconds, load_content, simulate
    from screenplan.engine.conditions import evaluate, references
    from screenplan.engine.content import Content, parse_files, read_folder
    from screenplan.engine.relevance import depends_on
    from screenplan.engine.scoring import Facts, State
    from screenplan.engine.timing import TAP_SECONDS, WORDS_PER_SECOND
except ModuleNotFoundError:  # started with an interpreter outside the venv: rerun with the venv's
    venv_python = ROOT / ".venv" / "bin" / "python"
    if venv_python.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(venv_python), [str(venv_python), *sys.argv])  # noqa: S606
    raise

UKM_CSV = ROOT / "tests/data/ukm-students-phq9-gad7/Psychological_aspects.csv"
NHANES_CSV = ROOT / "bench/data/nhanes-phq9-marginals/phq9_item_counts.csv"
EXAMPLE = ROOT / "src/screenplan/examples/integrated.json"
PHQ = [f"phq9_{i}" for i in range(1, 10)]
GAD = [f"gad7_{i}" for i in range(1, 8)]
SECTIONS = ("about", "alcohol", "drugs", "mood", "anxiety", "safety", "trauma", "history", "health", "readiness")
# Goals (printed, never asserted): seconds to the plan at these percentiles, and the flow's
# p95 within 5 % of the oracle floor's under the same rules.
GOALS = {"a": ("p95", 160.0), "b": ("p95", 255.0), "c": ("p50", 135.0)}
FLOOR_RATIO_GOAL = 1.05
SEED = 20240611
VARIANT = ROOT / "src/screenplan/content/variants/two-stage-gates.yaml"

# (a) and (c): a low-risk respondent. AUDIT-C = 1 < 3, so AUDIT items 4-10 are not asked; no drug use,
# so no drug_kinds; all ASQ "no", so no asq_5; no traumatic event, so no PC-PTSD-5 symptom items.
LOW_RISK: dict[str, Any] = {
    "age": 35,
    "sex": "female",
    "audit_1": 1,
    "audit_2": 0,
    "audit_3": 0,
    "drug_use_year": "0",
    "asq_1": "no",
    "asq_2": "no",
    "asq_3": "no",
    "asq_4": "no",
    "pcptsd5_0": "no",
    "health": ["none"],
    "tx_antidepressants": "0",
    "tx_substance": "never",
    "readiness": 5,
    "support": "yes",
}
# (b): every gate open. AUDIT-C = 2 + 1 + 1 = 4 >= 3 (full AUDIT, items 4-10 answered 0); drug use "2+"
# (drug_kinds asked); a traumatic event (5 symptom items; yes/no/yes/no/no keeps the PC-PTSD-5 finding
# open until item 5); ASQ item 4 "yes" (asq_5 asked, answered "no").
ALL_GATES_OPEN: dict[str, Any] = {
    **LOW_RISK,
    "audit_1": 2,
    "audit_2": 1,
    "audit_3": 1,
    **{f"audit_{i}": 0 for i in range(4, 11)},
    "drug_use_year": "2+",
    "drug_kinds": ["cannabis"],
    "asq_4": "yes",
    "asq_5": "no",
    "pcptsd5_0": "yes",
    "pcptsd5_1": "yes",
    "pcptsd5_2": "no",
    "pcptsd5_3": "yes",
    "pcptsd5_4": "no",
    "pcptsd5_5": "no",
}

# (c) Latent-severity model (a Gaussian copula). Each item's latent response is
#   X_j = sqrt(RHO) * Z + sqrt(1 - RHO) * E_j,  Z, E_j ~ N(0, 1) independent,
# so every X_j is N(0, 1) and any two items correlate RHO on the latent scale. The answer is the
# number of thresholds X_j exceeds; threshold k = Phi^-1(share of answers <= k), which reproduces each
# item's pooled NHANES marginal exactly, whatever RHO is. The marginals carry no information on RHO.
# RHO = 0.55 because one-factor models of the PHQ-9 in population samples report standardised
# (polychoric) loadings of about 0.7-0.8, i.e. inter-item latent correlations lambda^2 of about
# 0.5-0.64; 0.55 is in the middle of that range and is an assumption, not a fit. The output prints the
# share with PHQ-9 >= 10 it yields, as a check against the published NHANES prevalence.
RHO = 0.55
# GAD-7 for (c) is modelled, not data: the same latent Z and RHO, with per-item shares of answers
# 0/1/2/3 chosen by hand to give a plausible general-population mix (a GAD-7 >= 10 share of about 5 %,
# the order of magnitude reported for general populations, e.g. Loewe 2008: 5.1 % in Germany).
GAD7_SHARES: dict[str, tuple[float, float, float, float]] = {
    "gad7_1": (0.70, 0.21, 0.05, 0.04),  # nervous, anxious or on edge
    "gad7_2": (0.78, 0.15, 0.04, 0.03),  # not able to stop or control worrying
    "gad7_3": (0.74, 0.18, 0.04, 0.04),  # worrying too much
    "gad7_4": (0.73, 0.18, 0.05, 0.04),  # trouble relaxing
    "gad7_5": (0.84, 0.11, 0.03, 0.02),  # restless
    "gad7_6": (0.66, 0.25, 0.05, 0.04),  # annoyed or irritable
    "gad7_7": (0.82, 0.12, 0.03, 0.03),  # afraid something awful might happen
}
NCHS_PHQ9_GE10 = "8.1 % in NCHS Data Brief 303 (2013-2016, adults 20+, survey-weighted)"


# ---------------------------------------------------------------------------------------- data
def ukm_rows() -> list[dict[str, int]]:
    with UKM_CSV.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {**{PHQ[i]: int(r[f"D{i + 1}"]) for i in range(9)}, **{GAD[i]: int(r[f"A{i + 1}"]) for i in range(7)}}
        for r in rows
    ]


def nhanes_pooled() -> dict[str, list[int]]:
    with NHANES_CSV.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#") and line.strip()]
    pooled: dict[str, list[int]] = {}
    for r in csv.DictReader(lines):
        counts = pooled.setdefault(r["item"], [0, 0, 0, 0])
        for k in range(4):
            counts[k] += int(r[f"n_{k}"])
    return pooled


def thresholds(shares: Sequence[float]) -> list[float]:
    nd = statistics.NormalDist()
    total = sum(shares)
    cum, out = 0.0, []
    for k in range(3):
        cum += shares[k]
        out.append(nd.inv_cdf(cum / total))
    return out


def simulated_population(n: int, seed: int) -> tuple[list[dict[str, int]], dict[str, list[int]]]:
    pooled = nhanes_pooled()
    cuts = {item: thresholds(pooled[item]) for item in PHQ} | {g: thresholds(GAD7_SHARES[g]) for g in GAD}
    rng = random.Random(seed)
    a, b = math.sqrt(RHO), math.sqrt(1 - RHO)
    people = []
    for _ in range(n):
        z = rng.gauss(0.0, 1.0)
        answers = {}
        for item in PHQ + GAD:
            x = a * z + b * rng.gauss(0.0, 1.0)
            answers[item] = sum(x > t for t in cuts[item])
        people.append(answers)
    return people, pooled


# ------------------------------------------------------------------------------------ measures
def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def section_of(content: Content) -> dict[str, str]:
    return {iid: content.instrument(item.instrument).section for iid, item in content.items.items()}


def per_section_seconds(
    content: Content, asked: list[str], answers: Mapping[str, Any], sec: Mapping[str, str]
) -> dict[str, float]:
    """Each section's share of estimate_seconds: the estimate up to its end minus up to its start
    (so the sections add up to the total, and label/stem carry-over is charged where it happens).
    A section asked in two places (sex is part of "about") is charged for both."""
    out = dict.fromkeys(SECTIONS, 0.0)
    prev, prev_sec = 0.0, None
    for i, iid in enumerate(asked + [None]):
        s = sec[iid] if iid is not None else None
        if s != prev_sec and prev_sec is not None:
            cum = estimate_seconds(content, asked[:i], answers)
            out[prev_sec] += cum - prev
            prev = cum
        prev_sec = s
    return out


def reading_seconds(content: Content, asked: list[str], answers: Mapping[str, Any]) -> float:
    """Reading time of the verbatim wording only: each distinct stem, each question text and each
    distinct set of answer labels read once at the model's reading speed; no tap time."""
    facts = Facts(content, answers, {k: State.ANSWERED for k in answers if k in content.items})
    seen: set[Any] = set()
    words = 0
    for iid in asked:
        item = content.items[iid]
        labels = tuple(o.label for o in item.options if o.show_when is None or evaluate(o.show_when, facts))
        for piece in (("stem", item.stem), ("text", iid, item.text), ("labels", labels)):
            if piece not in seen:
                seen.add(piece)
                text = " ".join(piece[-1]) if piece[0] == "labels" else piece[-1]
                words += len(text.split())
    return round(words / WORDS_PER_SECOND, 1)


def tap_seconds(content: Content, asked: list[str], answers: Mapping[str, Any]) -> float:
    return sum(TAP_SECONDS * (len(answers[i]) if content.items[i].type == "multi" else 1) for i in asked)


DECISION_KEYS = ("findings", "safety", "medicines", "pathway", "priority", "checks")


def decisions(plan: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(json.dumps(plan[k], sort_keys=True) for k in DECISION_KEYS)


# ----------------------------------------------------------------------------------- the oracle
def oracle(content: Content, full: Mapping[str, Any], base: Mapping[str, State]) -> list[str]:
    """The cheapest set of questions that fixes every decision, under the flow's own rules.

    The oracle knows the answers. It keeps what the rules require of every flow: the questions
    the gates open, safety questions always, validated instruments in their own order, every
    AUDIT question the AUDIT-C gate opens, and a PHQ-9 or GAD-7 whose finding is positive whole
    (its exact total). Within a curtailed instrument it may skip any questions, not only the last
    ones, once its finding is fixed without them; any other question it skips when no decision
    then depends on it. The questions come in the flow's order (the order the labels and stems
    are shared best in), so the floor is the least time this battery needs under these rules.
    `base` holds the states of a full pass (what the gates skip or imply stays so).
    """
    chosen = set(full)

    def without(dropped: set[str]) -> Facts:
        # A question left out leaves unknown what its gates decide, too (a skipped exposure
        # question cannot imply "no" to the symptom questions behind it).
        gated = {i for g in content.gate_rules if _reads(content, g.rule.when) & dropped for i in g.items}
        states = {k: State.PENDING if k in dropped or (k in gated and k not in full) else v for k, v in base.items()}
        return Facts(content, {k: v for k, v in full.items() if k not in dropped}, states)

    for iid, side in content.curtail.items():
        inst = content.instrument(iid)
        optional = [i.id for i in inst.items if i.id in full and not i.safety and i.id not in content.gates]
        if not inst.findings:
            continue
        if side == "negative" and any(evaluate(f.when, without(set())) for f in inst.findings):
            continue  # positive: the exact total needs every question
        best: tuple[float, list[str]] | None = None
        for mask in range(1 << len(optional)):
            skipped = {q for n, q in enumerate(optional) if mask >> n & 1}
            facts = without(skipped)
            if any(evaluate(f.when, facts) is None for f in inst.findings):
                continue
            kept = [i.id for i in inst.items if i.id in full and i.id not in skipped]
            cost = estimate_seconds(content, kept, full)
            if best is None or cost < best[0]:
                best = (cost, sorted(skipped))
        if best is not None:
            chosen -= set(best[1])
    # Questions outside the validated scores: drop every combination of them that leaves no
    # decision waiting (few are ever droppable, so all their subsets are tried).
    candidates = [i for i in content.relevance if i in chosen]

    def fixed(dropped: set[str]) -> bool:
        return not depends_on(without(dropped | (set(full) - chosen)))

    droppable = [i for i in candidates if fixed({i})]
    best_drop: set[str] = set()
    best_cost = estimate_seconds(content, [i for i in content.items if i in chosen], full)
    for mask in range(1, 1 << len(droppable)):
        dropped = {q for n, q in enumerate(droppable) if mask >> n & 1}
        if fixed(dropped):
            cost = estimate_seconds(content, [i for i in content.items if i in chosen - dropped], full)
            if cost < best_cost:
                best_cost, best_drop = cost, dropped
    return [i for i in content.before_plan if i in chosen - best_drop]


def _reads(content: Content, cond: Any) -> set[str]:
    """The questions a condition reads, directly or through a score."""
    out: set[str] = set()
    for kind, ref in references(cond):
        out |= {ref} if kind == "item" else set(content.scores[ref].items) if kind == "score" else set()
    return out


def measure_one(content: Content, variant: Content, answers: dict[str, Any], sec: Mapping[str, str]) -> dict[str, Any]:
    short = simulate(content, answers)
    to_plan = [i for i in short["asked"] if i not in content.after_plan]
    # The full battery: every gate-open question before the plan, nothing curtailed or skipped.
    # With every answer given, the flow marks exactly the gate-open questions ANSWERED.
    _, states = check_pass(content, answers)
    full = [iid for iid in content.before_plan if states[iid] is State.ANSWERED]
    full_answers = {iid: answers[iid] for iid in full}
    full_plan = build_plan(content, full_answers)
    floor = oracle(content, full_answers, states)
    two = simulate(variant, answers)
    return {
        "items": len(to_plan),
        "full_items": len(full),
        "floor_items": len(floor),
        "seconds": short["seconds_to_plan"],
        "with_plan_page": short["seconds"],
        "full_seconds": estimate_seconds(content, full, answers),
        "floor_seconds": estimate_seconds(content, floor, answers),
        "two_stage_seconds": two["seconds_to_plan"],
        "reading": reading_seconds(content, to_plan, answers),
        "taps": tap_seconds(content, to_plan, answers),
        "sections": per_section_seconds(content, to_plan, answers, sec),
        "changed": decisions(short["plan"]) != decisions(full_plan),
        "two_stage_changed": decisions(two["plan"]) != decisions(full_plan),
        "two_stage_missed": sorted(set(full_plan["findings"]) - set(two["plan"]["findings"])),
    }


def run_scenario(
    content: Content, variant: Content, profile: Mapping[str, Any], rows: list[dict[str, int]]
) -> dict[str, Any]:
    sec = section_of(content)
    cache: dict[tuple[int, ...], dict[str, Any]] = {}  # the flow is deterministic: one run per distinct answer set
    results = []
    for row in rows:
        key = tuple(row[i] for i in PHQ + GAD)
        if key not in cache:
            cache[key] = measure_one(content, variant, {**profile, **row}, sec)
        results.append(cache[key])
    return {"results": results, "distinct": len(cache)}


def two_stage(content_files: Mapping[str, str]) -> Content:
    """The shipped content with the two-stage gates of content/variants added to flow.yaml."""
    flow = yaml.safe_load(content_files["flow.yaml"])
    flow["gates"] = flow["gates"] + yaml.safe_load(VARIANT.read_text(encoding="utf-8"))["gates"]
    return parse_files({**content_files, "flow.yaml": yaml.safe_dump(flow, sort_keys=False)})


# ------------------------------------------------------------------------------------- printing
def stats3(values: Sequence[float]) -> tuple[float, float, float]:
    return pct(values, 50), pct(values, 95), max(values)


def fmt3(t: tuple[float, float, float], digits: int = 1) -> str:
    return "".join(f"{v:>9.{digits}f}" for v in t)


def print_scenario(tag: str, title: str, sc: dict[str, Any]) -> bool:
    res = sc["results"]
    col = lambda key: stats3([r[key] for r in res])  # noqa: E731
    secs, floor, full = col("seconds"), col("floor_seconds"), col("full_seconds")
    two = col("two_stage_seconds")
    ratio = tuple(s / f for s, f in zip(secs, floor, strict=True))
    changes = sum(r["changed"] for r in res)
    two_changes = sum(r["two_stage_changed"] for r in res)
    missed: dict[str, int] = {}
    for r in res:
        for f in r["two_stage_missed"]:
            missed[f] = missed.get(f, 0) + 1
    print(f"\n({tag}) {title}")
    print(f"    respondents: {len(res):,}   (distinct answer sets simulated: {sc['distinct']:,})")
    print(f"    {'':40}{'p50':>9}{'p95':>9}{'max':>9}")
    print(f"    {'questions to the plan, adaptive flow':40}{fmt3(col('items'), 0)}")
    print(f"    {'questions, oracle floor (same rules)':40}{fmt3(col('floor_items'), 0)}")
    print(f"    {'questions, full battery':40}{fmt3(col('full_items'), 0)}")
    print(f"    {'seconds to the plan, adaptive flow':40}{fmt3(secs)}")
    print(f"    {'  and the plan page questions too':40}{fmt3(col('with_plan_page'))}")
    print(f"    {'seconds, oracle floor (same rules)':40}{fmt3(floor)}")
    print(f"    {'ratio flow / floor (per column)':40}{fmt3(ratio, 3)}")
    print(f"    {'seconds, full battery':40}{fmt3(full)}")
    print(f"    {'seconds, two-stage variant':40}{fmt3(two)}")
    print(f"    {'  of which tap time (adaptive)':40}{fmt3(col('taps'))}")
    print(f"    {'  reading the wording once (adaptive)':40}{fmt3(col('reading'))}")
    print(f"    decision changes, adaptive flow (plan != full-answer plan): {changes} of {len(res):,}")
    lost = ", ".join(f"{k} {v}" for k, v in sorted(missed.items())) or "none"
    print(f"    decision changes, two-stage variant: {two_changes} of {len(res):,} (findings missed: {lost})")
    which, limit = GOALS[tag]
    value = secs[0] if which == "p50" else secs[1]
    met = value <= limit and changes == 0
    ratio_met = ratio[1] <= FLOOR_RATIO_GOAL
    print(
        f"    goal: seconds to the plan {which} <= {limit:.0f} with 0 decision changes: {'MET' if met else 'NOT MET'}"
        f" ({which} {value:.1f} s, {changes} changes)"
    )
    if tag in ("a", "c"):
        print(
            f"    goal: p95 within {FLOOR_RATIO_GOAL:.2f}x the floor: {'MET' if ratio_met else 'NOT MET'}"
            f" ({ratio[1]:.3f}x)"
        )
    return met and (ratio_met or tag == "b")


def print_sections(scenarios: dict[str, dict[str, Any]]) -> None:
    print("\nper-section p50 seconds to the plan, adaptive flow (a section's seconds = the estimate up to its end")
    print("minus up to its start, so they add up to each respondent's total; p50s need not; +-0.1 s from rounding)")
    print(f"    {'section':10}" + "".join(f"{'(' + t + ')':>9}" for t in scenarios))
    for s in SECTIONS:
        cells = "".join(f"{pct([r['sections'][s] for r in sc['results']], 50):>9.1f}" for sc in scenarios.values())
        print(f"    {s:10}{cells}")


def time_calls(fn: Callable[[], Any], runs: int) -> float:
    """Median wall time of one call, in microseconds."""
    fn()  # warm up
    out = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        out.append(time.perf_counter_ns() - t0)
    return statistics.median(out) / 1000


def time_processes(cmds: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command in ms; the commands take turns so drift hits them alike."""
    out: dict[str, list[float]] = {k: [] for k in cmds}
    for i in range(runs + 1):
        for name, cmd in cmds.items():
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            elapsed = time.perf_counter() - t0
            if proc.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[:300]}")
            if i:  # run 0 warms the file cache
                out[name].append(elapsed * 1000)
    return {k: statistics.median(v) for k, v in out.items()}


# ----------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer runs and N=2,000 for (c), for CI smoke use")
    args = ap.parse_args()
    n_pop = 2_000 if args.quick else 10_000
    plan_runs, sim_runs, proc_runs = (300, 30, 5) if args.quick else (2_000, 300, 15)

    started = time.perf_counter()
    content = load_content()
    full_items = list(content.items)
    print(
        f"screenplan burden benchmark  content {content.version}  python {sys.version.split()[0]}"
        f"  {'--quick' if args.quick else 'full run'}"
    )
    print(
        f"time model (timing.py): {TAP_SECONDS} s per answer + words at {WORDS_PER_SECOND} words/s;"
        f" the full battery has {len(full_items)} items when every gate is open"
    )
    print("percentiles are nearest-rank; 'full battery' = every gate-open question before the plan, no curtailment")

    rows = ukm_rows()
    population, pooled = simulated_population(n_pop, SEED)
    variant = two_stage(read_folder())
    scenarios = {
        "a": run_scenario(content, variant, LOW_RISK, rows),
        "b": run_scenario(content, variant, ALL_GATES_OPEN, rows),
        "c": run_scenario(content, variant, LOW_RISK, population),
    }
    met = {
        "a": print_scenario("a", "UKM students (real PHQ-9/GAD-7 rows), low-risk profile otherwise", scenarios["a"]),
        "b": print_scenario("b", "UKM students (same rows), every gate open", scenarios["b"]),
        "c": print_scenario(
            "c", f"simulated US adults, N={n_pop:,}, seed {SEED}, low-risk profile otherwise", scenarios["c"]
        ),
    }
    # the model behind (c), so its figures can be judged
    phq_tot = [sum(p[i] for i in PHQ) for p in population]
    gad_tot = [sum(p[i] for i in GAD) for p in population]
    worst = max(
        abs(sum(p[item] == k for p in population) / n_pop - pooled[item][k] / sum(pooled[item]))
        for item in PHQ
        for k in range(4)
    )
    print(
        f"    model: one normal latent variable, Gaussian copula, inter-item latent correlation rho={RHO}"
        f" (assumed, see the comment in bench/burden.py)"
    )
    print(
        f"    PHQ-9 item marginals: pooled NHANES 2013-2018 counts (n={sum(pooled['phq9_1']):,} for item 1);"
        f" largest |simulated - NHANES| share: {worst:.3f}"
    )
    print(
        f"    simulated PHQ-9 >= 10: {sum(t >= 10 for t in phq_tot) / n_pop:.1%}"
        f" (published: {NCHS_PHQ9_GE10}); mean total {statistics.mean(phq_tot):.2f}"
    )
    print(
        f"    GAD-7 for (c) is modelled, not data: simulated GAD-7 >= 10: {sum(t >= 10 for t in gad_tot) / n_pop:.1%}"
        f", mean total {statistics.mean(gad_tot):.2f}"
    )

    print("\ngoal summary: " + ", ".join(f"({k}) {'MET' if v else 'NOT MET'}" for k, v in met.items()))
    print_sections(scenarios)

    # cost of one plan, in process and as a whole command
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    us_plan = time_calls(lambda: build_plan(content, example), plan_runs)
    us_sim = time_calls(lambda: simulate(content, example), sim_runs)
    print(f"\nin-process cost (fixed full answer set: {EXAMPLE.relative_to(ROOT)}, content already loaded)")
    print(f"    build_plan: median {us_plan:,.0f} us over {plan_runs:,} calls")
    print(f"    simulate:   median {us_sim:,.0f} us over {sim_runs:,} calls")

    cli = Path(sys.executable).parent / "screenplan"
    with tempfile.TemporaryDirectory() as tmp:
        answers_file = Path(tmp) / "answers.json"
        answers_file.write_text(json.dumps(example), encoding="utf-8")
        ms = time_processes(
            {
                "cli": [str(cli), "plan", str(answers_file)],
                "baseline": [sys.executable, "-c", "pass"],
            },
            proc_runs,
        )
    print(f"whole-process cost (median of {proc_runs} runs each, interleaved, after one warm-up run)")
    print(f"    {cli.relative_to(ROOT) if cli.is_relative_to(ROOT) else cli} plan FILE: {ms['cli']:8.1f} ms")
    print(
        f"    {Path(sys.executable).name} -c pass (baseline): {ms['baseline']:8.1f} ms"
        f"  (same interpreter: {sys.executable})"
    )
    print(f"    ratio: {ms['cli'] / ms['baseline']:.1f}x the baseline; difference {ms['cli'] - ms['baseline']:.1f} ms")
    print(f"\nbenchmark wall time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
