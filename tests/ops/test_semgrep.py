"""The project's semgrep rules pass on src/ and catch each mistake they are written for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEMGREP = Path(sys.executable).parent / "semgrep"
pytestmark = pytest.mark.skipif(not SEMGREP.exists(), reason="semgrep is a test dependency: `make setup` installs it")

BAD_PYTHON = """
import yaml
from django.db import connection
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt

def show(request, name, table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
    yaml.load(name)
    return mark_safe(name)

@csrf_exempt
def open_door(request):
    return None
"""


def scan(target: Path) -> list[str]:
    done = subprocess.run(
        [
            str(SEMGREP),
            "scan",
            "--config",
            str(ROOT / "semgrep.yml"),
            "--metrics=off",
            "--disable-version-check",
            "--json",
            "--quiet",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return sorted(r["check_id"].rsplit(".", 1)[-1] for r in json.loads(done.stdout)["results"])


def test_the_source_tree_has_no_finding() -> None:
    assert scan(ROOT / "src") == []


def test_each_rule_catches_its_mistake(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(BAD_PYTHON)
    (tmp_path / "bad.html").write_text("<p>{{ contact.name|safe }}</p>\n")
    engine = tmp_path / "src" / "screenplan" / "engine"
    engine.mkdir(parents=True)
    (engine / "impure.py").write_text("from django.db import models\n")
    assert scan(tmp_path) == [
        "screenplan-engine-is-pure",
        "screenplan-no-csrf-exempt",
        "screenplan-no-mark-safe",
        "screenplan-no-plain-yaml-load",
        "screenplan-no-raw-sql-formatting",
        "screenplan-no-safe-filter-in-templates",
    ]
