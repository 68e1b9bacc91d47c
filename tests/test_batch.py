"""`screenplan score`: a file of answer sets scored row by row, as the installed command."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from screenplan.batch import CSV_COLUMNS, PLAN_COLUMNS
from screenplan.engine import load_content, score_answers

ROOT = Path(__file__).resolve().parents[1]
UKM_CSV = ROOT / "tests/data/ukm-students-phq9-gad7/Psychological_aspects.csv"
EXAMPLE = ROOT / "src/screenplan/examples/integrated.json"
PHQ = [f"phq9_{i}" for i in range(1, 10)]
GAD = [f"gad7_{i}" for i in range(1, 8)]


def command() -> str:
    beside = Path(sys.executable).parent / "screenplan"
    found = str(beside) if beside.exists() else shutil.which("screenplan")
    assert found, "the screenplan console script is not installed"
    return found


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([command(), *args], capture_output=True, text=True, input=stdin, timeout=120, check=False)


def ukm_rows() -> list[dict[str, int]]:
    with UKM_CSV.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["D1"]]
    return [
        {**{PHQ[i]: int(r[f"D{i + 1}"]) for i in range(9)}, **{GAD[i]: int(r[f"A{i + 1}"]) for i in range(7)}}
        for r in rows
    ]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> str:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(text.splitlines()))


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_ukm_rows_score_as_score_answers_does_in_process(tmp_path: Path) -> None:
    rows = ukm_rows()
    assert len(rows) == 223
    path = write_csv(tmp_path / "ukm.csv", PHQ + GAD, [[r[i] for i in PHQ + GAD] for r in rows])
    result = run("score", path)
    assert result.returncode == 0, result.stderr
    # PHQ-9 item 9 answered, the ASQ not: any thought of self-harm is non-acute, and a 0 leaves
    # the level undecided (the ASQ could still raise it), never "none" (clinical-spec §6).
    risk = sum(1 for r in rows if r["phq9_9"] >= 1)
    assert 0 < risk < len(rows)
    assert result.stderr.splitlines() == [
        "scored 223 rows, 0 invalid",
        f"safety: acute 0, non_acute {risk}, none 0, undecided {len(rows) - risk}, not_assessed 0",
    ]
    out = read_csv(result.stdout)
    assert list(out[0]) == list(CSV_COLUMNS)
    assert [int(o["line"]) for o in out] == list(range(2, 225))
    content = load_content()
    for row, o in zip(rows, out, strict=True):
        want = score_answers(content, row)["scores"]
        for s in ("phq9", "gad7"):
            assert o[f"{s}_total"] == str(want[s]["total"]), (o["line"], s)
            assert o[f"{s}_band"] == want[s]["band"], (o["line"], s)
            assert o[f"{s}_complete"] == "true"
        assert (o["safety"], o["safety_complete"]) == ("non_acute" if row["phq9_9"] else "undecided", "false")
        assert o["plan"] == "" and o["missing"].startswith("age;")


def test_the_same_rows_in_worker_processes_give_the_same_output(tmp_path: Path) -> None:
    rows = ukm_rows() * 6  # more than two chunks, so workers score them
    path = write_csv(tmp_path / "many.csv", PHQ + GAD, [[r[i] for i in PHQ + GAD] for r in rows])
    one = run("score", path, "--jobs", "1")
    two = run("score", path, "--jobs", "2")
    assert (one.returncode, two.returncode) == (0, 0)
    assert one.stdout == two.stdout
    assert len(read_csv(two.stdout)) == len(rows)


def test_a_complete_pass_in_json_lines_gives_the_plan_decisions(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(example()) + "\n", encoding="utf-8")
    result = run("score", str(path))
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "scored 1 rows, 0 invalid",
        "safety: acute 0, non_acute 0, none 1, undecided 0, not_assessed 0",
    ]
    (rec,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert rec["line"] == 1 and rec["missing"] == [] and rec["plan_error"] is None
    assert rec["plan"]["pathway"] == {
        "primary": "integrated",
        "eligibility": "candidate",
        "also": ["alcohol_medication", "depression_care", "brief_alcohol"],
    }
    assert rec["plan"]["safety"] == {"level": "none"} and rec["plan"]["priority"] == "routine"
    assert rec["plan"]["medicines"] == {"naltrexone": "consider", "acamprosate": "consider", "ketamine": "consider"}
    assert "liver_function_tests" in rec["plan"]["checks"]
    assert rec["scores"]["audit"] == {"total": 19, "bound": None, "band": "III", "complete": True}
    assert rec["auditc"] == {"total": 9, "complete": True, "positive": True}
    assert rec["safety"] == {
        "level": "none",
        "complete": True,
        "answered": ["phq9_9", "asq_1", "asq_2", "asq_3", "asq_4"],
        "missing": [],
    }
    assert "depression" in rec["findings"]


def test_a_complete_pass_in_csv_fills_the_plan_columns(tmp_path: Path) -> None:
    ex = example()
    cells = [";".join(v) if isinstance(v, list) else v for v in ex.values()]
    path = write_csv(tmp_path / "one.csv", list(ex), [cells])
    result = run("score", path)
    assert result.returncode == 0, result.stderr
    (o,) = read_csv(result.stdout)
    assert o["plan"] == "yes" and o["pathway"] == "integrated" and o["eligibility"] == "candidate"
    assert o["also"] == "alcohol_medication;depression_care;brief_alcohol"
    assert o["medicines"] == "naltrexone=consider;acamprosate=consider;ketamine=consider"
    assert (o["safety_level"], o["priority"], o["missing"], o["auditc_total"]) == ("none", "routine", "", "9")
    assert (o["safety"], o["safety_complete"], o["auditc_positive"]) == ("none", "true", "true")


def test_answers_the_flow_skips_give_a_plan_error_not_an_invalid_row(tmp_path: Path) -> None:
    path = tmp_path / "extra.jsonl"
    path.write_text(json.dumps({**example(), "asq_5": "no"}) + "\n", encoding="utf-8")
    result = run("score", str(path))
    assert result.returncode == 0, result.stderr
    rec = json.loads(result.stdout)
    assert rec["plan"] is None and rec["missing"] == []
    assert rec["plan_error"].startswith("asq_5: ")


def test_broken_rows_are_reported_with_their_line_and_the_others_scored(tmp_path: Path) -> None:
    header = ["age", "phq9_1", "phq9_2", "health"]
    rows = [
        [30, 1, 2, "none"],  # line 2: fine
        [30, 7, 2, ""],  # line 3: 7 is not a PHQ-9 answer
        [30, "abc", 2, ""],  # line 4: text in a whole-number column
        [30, 1, 2, "heart;sunburn"],  # line 5: no such health answer
        ["", 0, 0, "heart;kidney"],  # line 6: fine
    ]
    result = run("score", write_csv(tmp_path / "broken.csv", header, rows))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("line 3: phq9_1: 7 is not an answer")
    assert lines[1] == "line 4: phq9_1: expected a whole number, got 'abc'"
    assert lines[2].startswith("line 5: health: 'sunburn' is not an answer")
    assert lines[3:] == [
        "scored 2 rows, 3 invalid",
        "safety: acute 0, non_acute 0, none 0, undecided 0, not_assessed 2",
    ]
    out = read_csv(result.stdout)
    assert [o["line"] for o in out] == ["2", "6"]
    assert out[1]["missing"].startswith("age;")


def test_a_malformed_json_line_is_reported_and_the_others_scored(tmp_path: Path) -> None:
    path = tmp_path / "broken.ndjson"
    good = json.dumps({f"phq9_{i}": 1 for i in range(1, 10)})
    path.write_text(f'{good}\n{{"phq9_1": 1,\n\n["not", "an", "object"]\n{{"phq9_1": 7}}\n{good}\n', "utf-8")
    result = run("score", str(path))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes, column 14)",
        "line 4: expected a JSON object of item ids to answers",
        "line 5: phq9_1: 7 is not an answer to this question (allowed: 0, 1, 2, 3)",
        "scored 2 rows, 3 invalid",
        "safety: acute 0, non_acute 2, none 0, undecided 0, not_assessed 0",
    ]
    recs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in recs] == [1, 6]
    assert recs[0]["scores"]["phq9"]["total"] == 9


def test_every_row_gets_the_safety_level_and_the_summary_counts_each(tmp_path: Path) -> None:
    no_asq = {f"asq_{n}": "no" for n in range(1, 5)}
    rows = [
        {"phq9_9": 3, **{f"phq9_{i}": 0 for i in range(1, 9)}},  # total 3, "minimal", and non-acute
        {"asq_1": "yes", "asq_5": "decline"},  # acute
        {"phq9_9": 0, **no_asq},  # none: every safety rule decided
        {"phq9_9": 0},  # undecided: the ASQ could still raise it
        {"gad7_1": 2},  # not assessed
        {"asq_3": "decline"},  # non-acute, acute not ruled out
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = run("score", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "safety: acute 1, non_acute 2, none 1, undecided 1, not_assessed 1"
    recs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["safety"]["level"] for r in recs] == ["non_acute", "acute", "none", None, None, "non_acute"]
    assert [r["safety"]["complete"] for r in recs] == [False, True, True, False, False, False]
    assert recs[0]["scores"]["phq9"]["band"] == "minimal"
    cells = [[r.get(k, "") for k in ("phq9_9", "asq_1", "asq_3", "asq_5", "gad7_1")] for r in rows]
    csv_in = write_csv(tmp_path / "mixed.csv", ["phq9_9", "asq_1", "asq_3", "asq_5", "gad7_1"], cells)
    out = read_csv(run("score", csv_in).stdout)
    assert [o["safety"] for o in out] == ["non_acute", "acute", "undecided", "undecided", "not_assessed", "non_acute"]


def test_an_unknown_column_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    path = write_csv(tmp_path / "bad.csv", ["phq9_1", "respondent"], [[1, "x"]])
    result = run("score", path, "--output", str(out))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "'respondent'" in result.stderr
    assert not out.exists()  # nothing written for a file that cannot be used


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["missing.csv"], None, "No such file"),
        (["answers.txt"], None, "--format"),
        (["-"], "phq9_1\n1\n", "--format"),
        (["-", "--format", "csv"], "phq9_1,phq9_1\n1,1\n", "twice"),
        (["-", "--format", "csv"], "", "empty"),
    ],
)
def test_file_problems_are_one_line_and_exit_2(args: list[str], stdin: str | None, needle: str) -> None:
    result = run("score", *args, stdin=stdin)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and needle in result.stderr


def test_standard_input_in_both_formats() -> None:
    text = "\ufeffphq9_1,phq9_2,gad7_1\r\n3,3,0\r\n"
    result = run("score", "-", "--format", "csv", stdin=text)
    assert (result.returncode, result.stderr.splitlines()[0]) == (0, "scored 1 rows, 0 invalid")
    (o,) = read_csv(result.stdout)
    assert (o["line"], o["phq9_bound"], o["phq9_total"], o["gad7_total"]) == ("2", "", "", "")
    result = run("score", "-", "--format", "jsonl", stdin=json.dumps({"age": 16}) + "\n")
    assert result.returncode == 0
    rec = json.loads(result.stdout)
    assert rec["plan"]["pathway"]["primary"] == "out_of_scope"


def test_output_file_and_plan_columns_are_empty_without_a_plan(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    path = write_csv(tmp_path / "in.csv", ["age", "audit_1"], [[40, 0]])
    result = run("score", path, "-o", str(out))
    assert (result.returncode, result.stdout) == (0, "")
    (o,) = read_csv(out.read_text(encoding="utf-8"))
    assert o["auditc_total"] == "0"  # items 2 and 3 are skipped as 0 after "never"
    assert (o["auditc_positive"], o["safety"], o["safety_complete"]) == ("false", "not_assessed", "false")
    assert all(o[c] == "" for c in ("plan", *PLAN_COLUMNS, "plan_error"))
    assert o["missing"].split(";")[0] == "drug_use_year"


def test_the_help_documents_the_exit_status() -> None:
    result = run("score", "--help")
    assert result.returncode == 0
    assert "Exit status: 0" in result.stdout and "1 some rows were invalid" in result.stdout
