"""Run the proof harnesses and print one line per check, then `N passed, N failed`.

    .venv/bin/python proof/run.py [--quick] [harness ...]     (default: every harness, in order)

Each harness is a module beside this file with `run(quick: bool) -> list[Result]`; each one
includes a negative control (a deliberately broken variant it must catch), reported as its
own line. Exit 1 if any check failed (a harness that crashes counts as a failed check). With
--quick, performance targets (throughput, CPU against the floor) print as FIGURE lines that
do not decide the exit status; the full run gates them like every other check.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The harnesses reuse the ops tests' server and browser helpers (tests/ops/servers.py).
for folder in (HERE, ROOT / "tests", ROOT / "src"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from common import Result  # noqa: E402  (needs the paths above)

HARNESSES = ["crash", "checks", "load", "outage"]  # checks reads the crash run's server log, so crash goes first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (CI-sized)")
    parser.add_argument("harness", nargs="*", help=f"which to run: {', '.join(HARNESSES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.harness) - set(HARNESSES))
    if unknown:
        parser.error(f"unknown harness: {', '.join(unknown)}")
    chosen = [h for h in HARNESSES if not args.harness or h in args.harness]
    passed = failed = figures = 0
    for name in chosen:
        try:
            results = importlib.import_module(name).run(args.quick)
        except Exception as exc:  # a harness that breaks is a failed check, never a silent skip
            traceback.print_exc(file=sys.stderr)
            results = [Result(name, False, f"harness raised {type(exc).__name__}: {exc}")]
        for result in results:
            if args.quick and not result.gated:
                figures += 1
            else:
                result = Result(result.name, result.ok, result.figure)  # the full run gates every check
                passed, failed = passed + result.ok, failed + (not result.ok)
            print(result.line(), flush=True)
    summary = f"{passed} passed, {failed} failed"
    if figures:
        summary += f", {figures} performance figures reported (gated only in the full run)"
    print(summary, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
