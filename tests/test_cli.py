"""The installed `screenplan` command (architecture.md, "Public contracts": CLI)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).parents[1] / "src" / "screenplan" / "examples" / "integrated.json"
PLAN_KEYS = {
    "engine_version", "content_version", "scores", "auditc", "audit_zone", "intervention_zone", "findings",
    "safety", "contraindications", "medicines", "pathway", "priority", "checks", "sections", "rules_fired",
}  # fmt: skip


def command() -> str:
    beside = Path(sys.executable).parent / "screenplan"
    found = str(beside) if beside.exists() else shutil.which("screenplan")
    assert found, "the screenplan console script is not installed"
    return found


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([command(), *args], capture_output=True, text=True, input=stdin, timeout=60, check=False)


def answers_file(tmp_path: Path, content: Any, raw: bool = False) -> str:
    path = tmp_path / "answers.json"
    path.write_text(content if raw else json.dumps(content), encoding="utf-8")
    return str(path)


def full() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_plan_prints_the_plan_json_and_exits_0(tmp_path: Path) -> None:
    result = run("plan", answers_file(tmp_path, full()))
    assert (result.returncode, result.stderr) == (0, "")
    plan = json.loads(result.stdout)
    assert set(plan) == PLAN_KEYS
    assert set(plan["scores"]) == {"phq9", "gad7", "audit", "pcptsd5", "asq"}
    assert plan["pathway"] == {
        "primary": "integrated",
        "eligibility": "candidate",
        "also": ["alcohol_medication", "depression_care", "brief_alcohol"],
    }
    assert (plan["audit_zone"], plan["intervention_zone"], plan["safety"], plan["priority"]) == (
        "III", "IV", {"level": "none"}, "routine",
    )  # fmt: skip


def test_plan_reads_standard_input_for_a_dash() -> None:
    result = run("plan", "-", stdin=json.dumps({"age": 16}))
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["pathway"]["primary"] == "out_of_scope"


def test_simulate_prints_asked_seconds_and_plan(tmp_path: Path) -> None:
    result = run("simulate", answers_file(tmp_path, full()))
    assert (result.returncode, result.stderr) == (0, "")
    out = json.loads(result.stdout)
    assert set(out) == {"asked", "seconds", "seconds_to_plan", "plan"}
    assert out["asked"][:3] == ["age", "audit_1", "audit_2"] and out["asked"][-2:] == ["readiness", "support"]
    # The plan page's own two questions come after the plan is shown.
    assert 0 < out["seconds_to_plan"] < out["seconds"]
    assert {"phq9_9", "asq_1", "asq_2", "asq_3", "asq_4"} <= set(out["asked"])
    # PHQ-9 reached 10 after five items: positive, so the rest is asked for the exact total.
    assert {f"phq9_{i}" for i in range(1, 10)} <= set(out["asked"])
    assert "gad7_7" not in out["asked"]  # curtailed: GAD-7 cannot reach 10 after six items at 4
    assert isinstance(out["seconds"], float) and 0 < out["seconds"] < 600
    assert set(out["plan"]) == PLAN_KEYS
    assert out["plan"]["scores"]["phq9"] == {
        "total": 13, "bound": None, "band": "moderate", "complete": True, "items_answered": 9,
    }  # fmt: skip


def test_simulate_for_a_minor_ends_after_age_with_out_of_scope(tmp_path: Path) -> None:
    result = run("simulate", answers_file(tmp_path, {**full(), "age": 17}))
    assert (result.returncode, result.stderr) == (0, "")
    out = json.loads(result.stdout)
    assert out["asked"] == ["age"]
    assert out["plan"]["pathway"] == {"primary": "out_of_scope", "eligibility": None, "also": []}


def test_plan_for_a_minor_is_out_of_scope(tmp_path: Path) -> None:
    result = run("plan", answers_file(tmp_path, {"age": 17}))
    assert result.returncode == 0
    assert json.loads(result.stdout)["pathway"]["primary"] == "out_of_scope"


BAD_ANSWERS = {
    # name: (answers, text the one stderr line must contain)
    "unknown_id": ({**full(), "phq9_10": 1}, "phq9_10"),
    "out_of_range": ({**full(), "phq9_3": 4}, "phq9_3"),
    "age_out_of_range": ({**full(), "age": 121}, "age"),
    "audit_9_odd_points": ({**full(), "audit_9": 1}, "audit_9"),
    "string_digits": ({**full(), "readiness": "8"}, "readiness"),
    "boolean": ({**full(), "phq9_1": True}, "phq9_1"),
    "gated_off": ({**full(), "drug_kinds": ["cannabis"]}, "drug_kinds"),
    "answer_after_under_18": ({"age": 17, "sex": "female"}, "sex"),
    "missing": ({k: v for k, v in full().items() if k != "asq_3"}, "asq_3"),
    "duplicate_list_entry": ({**full(), "health": ["liver", "liver"]}, "health"),
    "pregnant_for_male": ({**full(), "health": ["pregnant"]}, "health"),
    "non_object": ([["age", 40]], "object"),
    "null": (None, "object"),
}
BAD_FILES = {
    "malformed": ('{"age": 40,', "JSON"),
    "nan": ('{"age": NaN}', "NaN"),
    "infinity": ('{"age": Infinity}', "Infinity"),
    "duplicate_key": ('{"age": 40, "age": 41}', "age"),
    "not_utf8": (b'{"age": "\xff"}', "UTF-8"),
    "empty": ("", "JSON"),
    "deeply_nested": ("[" * 100_000 + "]" * 100_000, "JSON"),
    "newline_in_unknown_id": ('{"age": 40, "a\\nb": 1}', "unknown_item"),
}


def assert_refused(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, result.stderr[-500:]
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), result.stderr[-500:]
    assert lines[0].startswith("screenplan: ") and needle in lines[0], lines[0]


@pytest.mark.parametrize("command_name", ["plan", "simulate"])
@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_is_refused_with_one_line_and_exit_2(tmp_path: Path, name: str, command_name: str) -> None:
    text, needle = BAD_FILES[name]
    path = tmp_path / "answers.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    assert_refused(run(command_name, str(path)), needle)


@pytest.mark.parametrize("name", BAD_ANSWERS)
def test_plan_refuses_bad_answers_naming_the_item(tmp_path: Path, name: str) -> None:
    answers, needle = BAD_ANSWERS[name]
    assert_refused(run("plan", answers_file(tmp_path, answers)), needle)


@pytest.mark.parametrize("name", ["unknown_id", "out_of_range", "missing", "string_digits", "non_object", "null"])
def test_simulate_refuses_bad_answers_naming_the_item(tmp_path: Path, name: str) -> None:
    answers, needle = BAD_ANSWERS[name]
    assert_refused(run("simulate", answers_file(tmp_path, answers)), needle)


@pytest.mark.parametrize("command_name", ["plan", "simulate"])
def test_a_missing_file_is_refused_naming_it(tmp_path: Path, command_name: str) -> None:
    missing = str(tmp_path / "no-such-file.json")
    assert_refused(run(command_name, missing), "no-such-file.json")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    assert_refused(run("plan", str(tmp_path)), str(tmp_path))


def test_usage_errors_exit_2_with_one_line() -> None:
    for args in ([], ["plan"], ["frobnicate", "x.json"]):
        result = run(*args)
        assert (result.returncode, result.stdout, len(result.stderr.splitlines())) == (2, "", 1), args
