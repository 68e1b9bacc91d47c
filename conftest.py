"""Test-wide setup: a throwaway data folder, so tests never touch a real database or key."""

import os
import tempfile

os.environ.setdefault("SCREENPLAN_DATA_DIR", tempfile.mkdtemp(prefix="screenplan-test-"))
