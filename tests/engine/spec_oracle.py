"""clinical-spec.md written out by hand, without reading the content files: which answers a
full pass keeps (§3) and what the plan decides (§2, §4-§6). Tests hold the engine to it, so
a content edit that changes a clinical decision shows up as a disagreement here."""

from __future__ import annotations

from typing import Any

AUDIT = [f"audit_{n}" for n in range(1, 11)]
PHQ9 = [f"phq9_{n}" for n in range(1, 10)]
GAD7 = [f"gad7_{n}" for n in range(1, 8)]
PTSD_SYMPTOMS = [f"pcptsd5_{n}" for n in range(1, 6)]
ASQ_1_4 = [f"asq_{n}" for n in range(1, 5)]
POSITIVE = ("yes", "decline")  # ASQ: declining counts as yes
MEDICINES = ("naltrexone", "acamprosate", "ketamine")
POSSIBLE = ("consider", "clinician_review")

# §4: health id -> {medicine: kind}
HEALTH = {
    "pregnant": {"ketamine": "absolute", "naltrexone": "absolute", "acamprosate": "absolute"},
    "psychosis": {"ketamine": "absolute"},
    "bipolar": {"ketamine": "relative"},
    "high_bp": {"ketamine": "absolute"},
    "heart": {"ketamine": "relative"},
    "aneurysm": {"ketamine": "absolute"},
    "liver": {"naltrexone": "absolute"},
    "kidney": {"naltrexone": "relative", "acamprosate": "absolute"},
    "opioids_14d": {"naltrexone": "absolute"},
    "pain_opioids": {"naltrexone": "relative"},
    "dissociative": {"ketamine": "relative"},
    "allergy": {"ketamine": "absolute", "naltrexone": "absolute"},
    "none": {},
}


def auditc(a: dict[str, Any]) -> int:
    return a["audit_1"] + (a["audit_2"] + a["audit_3"] if a["audit_1"] else 0)  # WHO skip: 2-3 score 0


def full_pass(a: dict[str, Any]) -> dict[str, Any]:
    """The answers of a full answer set that the gates leave open (answers past a curtailment
    point stay: `build_plan` accepts them)."""
    if a["age"] < 18:
        return {"age": a["age"]}
    closed = set()
    if a["audit_1"] == 0:
        closed |= {"audit_2", "audit_3"}
    if auditc(a) < 3:
        closed |= set(AUDIT[3:])
    if a["drug_use_year"] == "0":
        closed.add("drug_kinds")
    if a["pcptsd5_0"] == "no":
        closed |= set(PTSD_SYMPTOMS)
    if not any(a[i] in POSITIVE for i in ASQ_1_4):
        closed.add("asq_5")
    return {k: v for k, v in a.items() if k not in closed}


def totals(a: dict[str, Any]) -> dict[str, int | None]:
    """Each instrument's total for an adult's full answer set (None: not assessed)."""
    return {
        "phq9": sum(a[i] for i in PHQ9),
        "gad7": sum(a[i] for i in GAD7),
        "audit": sum(a[i] for i in AUDIT) if auditc(a) >= 3 else None,
        "pcptsd5": sum(a[i] == "yes" for i in PTSD_SYMPTOMS) if a["pcptsd5_0"] == "yes" else 0,
        "asq": sum(a[i] in POSITIVE for i in ASQ_1_4),
    }


def safety_level(a: dict[str, Any]) -> str:
    """§6, from whatever safety answers are present (a prefix of the flow is enough)."""
    asq_positive = any(a.get(i) in POSITIVE for i in ASQ_1_4)
    if asq_positive and a.get("asq_5") in POSITIVE:
        return "acute"
    if asq_positive or a.get("phq9_9", 0) >= 1:
        return "non_acute"
    return "none"


def expected(a: dict[str, Any]) -> dict[str, Any]:
    """What the plan must decide for a full answer set (every question answered)."""
    if a["age"] < 18:
        return {
            "findings": [],
            "safety": "none",
            "medicines": dict.fromkeys(MEDICINES, "not_indicated"),
            "pathway": {"primary": "out_of_scope", "eligibility": None, "also": []},
            "priority": "routine",
            "checks": [],
        }
    c = auditc(a)
    izone = -1  # not assessed: every "zone >= …" is false
    if c >= 3:
        total = sum(a[i] for i in AUDIT)
        zone = 0 if total <= 7 else 1 if total <= 15 else 2 if total <= 19 else 3
        raised = any(a[i] >= 2 for i in AUDIT[3:6]) or a["audit_9"] == 4 or a["audit_10"] == 4
        izone = min(zone + raised, 3)
    kinds = a["drug_kinds"] if a["drug_use_year"] != "0" else []
    f = {
        "auditc_positive": c >= (4 if a["sex"] == "male" else 3),
        "alcohol_use_disorder_likely": izone >= 2,
        "drug_use": a["drug_use_year"] != "0",
        "opioid_misuse": "opioids" in kinds,
        "depression": sum(a[i] for i in PHQ9) >= 10,
        "anxiety": sum(a[i] for i in GAD7) >= 10,
        "ptsd": a["pcptsd5_0"] == "yes" and sum(a[i] == "yes" for i in PTSD_SYMPTOMS) >= 3,
        "prior_treatment": a["tx_substance"] == "more",
    }
    f["treatment_resistant"] = f["depression"] and a["tx_antidepressants"] == "2+"
    safety = safety_level(a)

    kinds_by_med: dict[str, set[str]] = {m: set() for m in MEDICINES}
    for h in a["health"]:
        for med, kind in HEALTH[h].items():
            kinds_by_med[med].add(kind)
    if f["opioid_misuse"]:
        kinds_by_med["naltrexone"].add("relative")
    if "hallucinogens_ketamine" in kinds:
        kinds_by_med["ketamine"].add("relative")
    if safety != "none":
        kinds_by_med["ketamine"].add("relative")
    alcohol = izone >= 2 or (f["depression"] and izone >= 1)
    indicated = {
        "naltrexone": alcohol,
        "acamprosate": alcohol,
        "ketamine": f["depression"] and (f["treatment_resistant"] or izone >= 1),
    }
    meds = {}
    for m in MEDICINES:
        k = kinds_by_med[m]
        meds[m] = (
            "not_indicated"
            if not indicated[m]
            else "excluded"
            if "absolute" in k
            else "clinician_review"
            if k
            else "consider"
        )

    paths = [
        ("opioid_care", f["opioid_misuse"]),
        (
            "integrated",
            f["depression"] and izone >= 1 and meds["naltrexone"] in POSSIBLE and meds["ketamine"] in POSSIBLE,
        ),
        ("alcohol_medication", izone >= 2),
        ("depression_care", f["depression"]),
        ("brief_alcohol", f["auditc_positive"]),
        ("anxiety_trauma_care", f["anxiety"] or f["ptsd"]),
        ("substance_assessment", f["drug_use"]),
    ]
    matching = [p for p, ok in paths if ok] or ["wellbeing"]
    eligibility = None
    if matching[0] == "integrated":
        both = meds["naltrexone"] == meds["ketamine"] == "consider"
        eligibility = "candidate" if both else "clinician_review"

    any_med = any(s in POSSIBLE for s in meds.values())
    checks = []
    if any_med:
        checks += ["psychiatric_history", "substance_use_assessment"]
    if meds["naltrexone"] in POSSIBLE:
        checks += ["liver_function_tests", "urine_opioid_screen"]
    if meds["ketamine"] in POSSIBLE:
        checks += ["blood_pressure", "cardiovascular_evaluation"]
    if meds["acamprosate"] in POSSIBLE:
        checks += ["kidney_function"]
    if any_med and a["sex"] != "male":
        checks += ["pregnancy_test"]
    return {
        "findings": sorted(k for k, v in f.items() if v),
        "safety": safety,
        "medicines": meds,
        "pathway": {"primary": matching[0], "eligibility": eligibility, "also": matching[1:]},
        "priority": "crisis" if safety == "acute" else "routine",
        "checks": sorted(checks),
    }


def decision(plan: dict[str, Any]) -> dict[str, Any]:
    """The same shape as `expected`, read from a plan JSON (order-free lists sorted)."""
    return {
        "findings": sorted(plan["findings"]),
        "safety": plan["safety"]["level"],
        "medicines": plan["medicines"],
        "pathway": plan["pathway"],
        "priority": plan["priority"],
        "checks": sorted(plan["checks"]),
    }
