"""Named respondents used across the web tests (vignettes)."""

LOW_RISK = {
    "age": 35,
    "sex": "female",
    "audit_1": 1,
    "audit_2": 0,
    "audit_3": 0,
    "drug_use_year": "0",
    **{f"phq9_{i}": 0 for i in range(1, 10)},
    "asq_1": "no",
    "asq_2": "no",
    "asq_3": "no",
    "asq_4": "no",
    **{f"gad7_{i}": 0 for i in range(1, 8)},
    "pcptsd5_0": "no",
    "health": ["none"],
    "tx_antidepressants": "0",
    "tx_substance": "never",
    "readiness": 5,
    "support": "yes",
}

INTEGRATED = {
    "age": 41,
    "sex": "male",
    "audit_1": 4,
    "audit_2": 2,
    "audit_3": 3,
    "audit_4": 2,
    "audit_5": 1,
    "audit_6": 0,
    "audit_7": 2,
    "audit_8": 1,
    "audit_9": 0,
    "audit_10": 4,
    "drug_use_year": "0",
    "phq9_1": 2,
    "phq9_2": 3,
    "phq9_3": 2,
    "phq9_4": 2,
    "phq9_5": 1,
    "phq9_6": 2,
    "phq9_7": 1,
    "phq9_8": 0,
    "phq9_9": 0,
    "asq_1": "no",
    "asq_2": "no",
    "asq_3": "no",
    "asq_4": "no",
    **{f"gad7_{i}": 1 for i in range(1, 8)},
    "pcptsd5_0": "no",
    "health": ["none"],
    "tx_antidepressants": "2+",
    "tx_substance": "more",
    "readiness": 8,
    "support": "yes",
}

# Non-acute risk: PHQ-9 item 9 and ASQ 1 answered yes, not thinking of it right now.
AT_RISK = {
    **LOW_RISK,
    "phq9_1": 2,
    "phq9_2": 2,
    "phq9_9": 1,
    "asq_1": "yes",
    "asq_5": "no",
}

# Acute risk: thoughts of killing themself right now.
ACUTE = {**AT_RISK, "asq_3": "yes", "asq_5": "yes"}

OPIOIDS = {**LOW_RISK, "drug_use_year": "2+", "drug_kinds": ["opioids", "cannabis"], "health": ["opioids_14d"]}

MINOR = {"age": 16}
