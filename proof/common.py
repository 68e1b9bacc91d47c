"""What every harness returns, and the paths they share."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Result:
    """One check: its name, whether it held, and the figure that says how.

    A check that is not `gated` is a performance target measured by a short run (`--quick`, as
    in CI): on a shared machine twenty seconds measure its noise as much as the code, so its
    line says whether the target was met, as `FIGURE`, and does not decide the exit status.
    The full run gates every check.
    """

    name: str
    ok: bool
    figure: str
    gated: bool = True

    def line(self) -> str:
        if not self.gated:
            return f"FIGURE {self.name} ({self.figure})"
        return f"{'PASS' if self.ok else 'FAIL'} {self.name} ({self.figure})"


def run_tool(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """A tool from the project's virtual environment, by absolute path, never through a shell."""
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""
