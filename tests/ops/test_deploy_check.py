"""A production configuration passes Django's deployment checklist; a missing secret stops startup."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client
from django.utils.module_loading import import_string

from .servers import clean_env, command, free_port, manage


def production_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = clean_env(
        SCREENPLAN_PRODUCTION="true",
        SCREENPLAN_SECRET_KEY=secrets.token_urlsafe(50),
        SCREENPLAN_DATA_KEYS=f"{secrets.token_urlsafe(32)},{secrets.token_urlsafe(32)}",
        SCREENPLAN_ALLOWED_HOSTS="screen.example.org",
        SCREENPLAN_DATA_DIR=str(data_dir),
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v}


def test_a_complete_production_configuration_passes_check_deploy(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert not (tmp_path / "screenplan_secret_key").exists()  # nothing secret is written to disk


def test_the_two_silenced_deploy_checks_are_covered_by_screenplans_own_middleware() -> None:
    assert settings.SILENCED_SYSTEM_CHECKS == ["security.W002", "security.W003"]
    assert any(issubclass(import_string(m), CsrfViewMiddleware) for m in settings.MIDDLEWARE)
    response = Client().get("/healthz")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_production_without_a_secret_key_refuses_to_start_with_one_clear_line(tmp_path: Path) -> None:
    env = production_env(tmp_path, SCREENPLAN_SECRET_KEY="")
    expected = "screenplan: SCREENPLAN_PRODUCTION is on: set SCREENPLAN_SECRET_KEY in the environment\n"
    checked = manage(env, "check", "--deploy")
    assert (checked.returncode, checked.stderr) == (2, expected)
    served = subprocess.run(
        [command(), "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (served.returncode, served.stdout, served.stderr) == (2, "", expected)
    assert not (tmp_path / "screenplan_secret_key").exists()  # no key was made up in its place


def test_production_without_data_keys_refuses_to_start(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, SCREENPLAN_DATA_KEYS=""), "check")
    assert result.returncode == 2
    assert result.stderr == "screenplan: SCREENPLAN_PRODUCTION is on: set SCREENPLAN_DATA_KEYS in the environment\n"
