"""Test-wide setup: a throwaway data folder, so tests never touch a real database or key; and
the log audit (tests/logaudit.py), which fails the session if any log line holds a secret."""

import os
import sys
import tempfile
from pathlib import Path

import django

os.environ.setdefault("SCREENPLAN_DATA_DIR", tempfile.mkdtemp(prefix="screenplan-test-"))
# Only now, so the settings (and the keys they make on first use) see the folder above;
# pytest-django finds Django set up and blocks database access outside django_db tests.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "screenplan.site.settings")
django.setup()

# The test helpers import the audit as `logaudit` (tests/ is not a package, so that is also the
# name pytest's doctest collection gives it): one module, one registry of secrets.
sys.path.insert(0, str(Path(__file__).parent / "tests"))
pytest_plugins = ["logaudit"]
