"""Throughput and memory of `screenplan score` on a large CSV file, against a plain in-process loop.

Run from the repository root:  python bench/batch.py  [--quick]

Prints figures only; it never asserts a timing. In a temporary folder it writes (row by row)
a seeded CSV of N answer sets (1,000,000; 50,000 with --quick), whose columns are the intake
items, PHQ-9, ASQ 1-4, GAD-7 and the history items:
  - 80% research rows: age, sex, PHQ-9 and GAD-7 only (1 in 20 of them with one item left
    blank), so they are scored but give no plan;
  - 20% complete passes: a low-risk intake (AUDIT-C 1, no drug use, ASQ all "no", no traumatic
    event, health "none") with the row's PHQ-9 and GAD-7, so `decide()` runs and a plan is made.
PHQ-9 and GAD-7 item values come from one of four seeded severity levels per row.

Then it measures:
  (A) `screenplan score FILE --output OUT` as a child process (default --jobs: one per CPU);
  (A') the same on the first S rows only (S = 100,000; 10,000 with --quick), for memory;
  (B) the same command with --jobs 1 on the first S rows;
  (C) a plain loop in this process over those S rows: csv.DictReader, convert the cells, call
      score_answers() per row (no decide(), no output), the floor the command is compared with.
Peak memory: the largest single process of a run (wait4 ru_maxrss, exact) and the sum over the
run's processes (sampled from /proc 5 times a second; pages shared after fork count once per
process). Streaming shows as (A)'s peaks staying near (A')'s although (A) reads N/S times the rows.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

try:
    from screenplan.engine import load_content, score_answers
except ModuleNotFoundError:  # started with an interpreter outside the venv: rerun with the venv's
    venv_python = ROOT / ".venv" / "bin" / "python"
    if venv_python.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(venv_python), [str(venv_python), *sys.argv])  # noqa: S606
    raise

SEED = 20240611
PHQ = [f"phq9_{i}" for i in range(1, 10)]
GAD = [f"gad7_{i}" for i in range(1, 8)]
ASQ = [f"asq_{i}" for i in range(1, 5)]
INTAKE = ["age", "sex", "audit_1", "audit_2", "audit_3", "drug_use_year"]
HISTORY = ["pcptsd5_0", "health", "tx_antidepressants", "tx_substance", "readiness", "support"]
COLUMNS = INTAKE + PHQ + ASQ + GAD + HISTORY  # in the order the flow asks them
# item-value weights (0, 1, 2, 3) for four severity levels, and how common each level is
SEVERITY = [(70, 22, 6, 2), (35, 40, 18, 7), (15, 35, 30, 20), (5, 15, 35, 45)]
SEVERITY_SHARE = (50, 30, 14, 6)
COMPLETE_SHARE = 0.20
BLANK_SHARE = 0.05


# ----------------------------------------------------------------------------------- the file
def write_rows(path: Path, sample_path: Path, n: int, sample: int, seed: int) -> dict[str, int]:
    """Write n rows to `path` and the first `sample` of them to `sample_path`, one at a time."""
    rng = random.Random(seed)
    values = (0, 1, 2, 3)
    counts = {"complete": 0, "research": 0, "blank_item": 0}
    with path.open("w", encoding="utf-8", newline="") as big, sample_path.open("w", encoding="utf-8", newline="") as sm:
        out_big, out_sm = csv.writer(big, lineterminator="\n"), csv.writer(sm, lineterminator="\n")
        out_big.writerow(COLUMNS)
        out_sm.writerow(COLUMNS)
        for i in range(n):
            level = rng.choices(SEVERITY, weights=SEVERITY_SHARE)[0]
            items: list[Any] = rng.choices(values, weights=level, k=16)
            age, sex = rng.randint(18, 85), rng.choice(("female", "male", "other"))
            if rng.random() < COMPLETE_SHARE:
                counts["complete"] += 1
                row = [age, sex, 1, 0, 0, "0", *items[:9], "no", "no", "no", "no", *items[9:]]
                row += ["no", "none", rng.choice(("0", "1")), "never", rng.randint(0, 10), "yes"]
            else:
                counts["research"] += 1
                if rng.random() < BLANK_SHARE:
                    counts["blank_item"] += 1
                    items[rng.randrange(16)] = ""
                row = [age, sex, "", "", "", "", *items[:9], "", "", "", "", *items[9:], *[""] * len(HISTORY)]
            out_big.writerow(row)
            if i < sample:
                out_sm.writerow(row)
    return counts


# ------------------------------------------------------------------------------ child process
def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (KiB), from /proc (Linux)."""
    total, frontier, seen = 0, [pid], {pid}
    while frontier:
        p = frontier.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = {int(k) for k in (task / "children").read_text().split()} - seen
                seen |= kids
                frontier.extend(kids)
        except (OSError, ValueError):  # the process ended while we looked
            continue
    return total


def run_child(cmd: list[str], log: Path) -> dict[str, Any]:
    """Run cmd; wall seconds, exit status, largest process RSS (wait4) and sampled tree RSS."""
    with log.open("w", encoding="utf-8") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        peak_tree = 0
        can_sample = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if can_sample:
                peak_tree = max(peak_tree, tree_rss_kib(proc.pid))
            time.sleep(0.2)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss = usage.ru_maxrss * (1 if sys.platform.startswith("linux") else 1 / 1024)  # KiB (macOS: bytes)
    return {
        "wall": wall,
        "rc": proc.returncode,
        "maxrss_mib": maxrss / 1024,
        "tree_mib": peak_tree / 1024 if can_sample else None,
        "stderr": log.read_text(encoding="utf-8").strip().splitlines()[-1:] or [""],
    }


# ------------------------------------------------------------------------------- plain loop
def plain_loop(path: Path) -> tuple[int, float]:
    """csv.DictReader + score_answers per row, in this process: (rows, seconds)."""
    content = load_content()
    ints = {i.id for i in content.items.values() if i.type == "integer" or all(type(o.value) is int for o in i.options)}
    lists = {i.id for i in content.items.values() if i.type == "multi"}
    n = 0
    t0 = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            answers = {k: int(v) if k in ints else v.split(";") if k in lists else v for k, v in row.items() if v}
            score_answers(content, answers)
            n += 1
    return n, time.perf_counter() - t0


def count_plans(path: Path) -> tuple[int, int]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        col = next(reader).index("plan")
        rows = plans = 0
        for cells in reader:
            rows += 1
            plans += cells[col] == "yes"
    return rows, plans


# -------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="50,000 rows and a 10,000-row sample, for CI smoke use")
    args = ap.parse_args()
    n, sample = (50_000, 10_000) if args.quick else (1_000_000, 100_000)
    cli = Path(sys.executable).parent / "screenplan"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    started = time.perf_counter()
    print(
        f"screenplan score benchmark  python {sys.version.split()[0]}  {cpus} CPUs  load average {load:.2f}"
        f"  {'--quick' if args.quick else 'full run'}"
    )

    with tempfile.TemporaryDirectory(prefix="screenplan-bench-") as tmp:
        big, small = Path(tmp) / "answers.csv", Path(tmp) / "sample.csv"
        t0 = time.perf_counter()
        counts = write_rows(big, small, n, sample, SEED)
        gen = time.perf_counter() - t0
        print(
            f"input: {n:,} rows, {big.stat().st_size / 2**20:,.1f} MiB, seed {SEED}, written in {gen:.1f} s:"
            f" {counts['complete']:,} complete passes, {counts['research']:,} research rows"
            f" ({counts['blank_item']:,} with one blank item)"
        )

        a = run_child([str(cli), "score", str(big), "--output", str(Path(tmp) / "out.csv")], Path(tmp) / "a.err")
        out_rows, out_plans = count_plans(Path(tmp) / "out.csv")
        a_s = run_child([str(cli), "score", str(small), "--output", str(Path(tmp) / "out-a.csv")], Path(tmp) / "as.err")
        b = run_child(
            [str(cli), "score", str(small), "--output", str(Path(tmp) / "out-s.csv"), "--jobs", "1"],
            Path(tmp) / "b.err",
        )
        c_rows, c_secs = plain_loop(small)

    rate_a, rate_b, rate_c = n / a["wall"], sample / b["wall"], c_rows / c_secs
    print(f"output of (A): {out_rows:,} rows, {out_plans:,} with a plan")
    print()
    head = f"    {'':46}{'rows':>11}{'wall s':>9}{'rows/s':>9}{'largest proc MiB':>18}{'all procs MiB':>15}"
    print(head)

    def line(label: str, rows: int, r: dict[str, Any] | None, secs: float, rate: float) -> None:
        big_m = f"{r['maxrss_mib']:>18.0f}" if r else f"{'-':>18}"
        tree = f"{r['tree_mib']:>15.0f}" if r and r["tree_mib"] is not None else f"{'-':>15}"
        print(f"    {label:46}{rows:>11,}{secs:>9.1f}{rate:>9,.0f}{big_m}{tree}")

    line(f"(A) screenplan score, default jobs ({min(cpus or 1, 8)})", n, a, a["wall"], rate_a)
    line("(A') the same, first rows only", sample, a_s, a_s["wall"], sample / a_s["wall"])
    line("(B) screenplan score --jobs 1, first rows", sample, b, b["wall"], rate_b)
    line("(C) plain loop in process, same rows", c_rows, None, c_secs, rate_c)
    for tag, r in (("A", a), ("A'", a_s), ("B", b)):
        print(f"    ({tag}) exit status {r['rc']}, last line on stderr: {r['stderr'][0]!r}")
    print()
    print(f"ratio (A) rows/s / (C) rows/s: {rate_a / rate_c:.2f}   (all workers vs one plain loop)")
    print(f"ratio (B) rows/s / (C) rows/s: {rate_b / rate_c:.2f}   (one process each; (B) also runs")
    print("    decide() for the complete passes, parses and writes every row, and starts a process)")
    print(f"per row: (C) {1e6 / rate_c:,.0f} us in score_answers + DictReader; (B) {1e6 / rate_b:,.0f} us all in")
    tree = (
        ""
        if a["tree_mib"] is None
        else f"; all its processes {a['tree_mib']:.0f} MiB against {a_s['tree_mib']:.0f} MiB"
    )
    print(
        f"memory: (A) read {n // sample}x the rows of (A'); its largest process peaked at {a['maxrss_mib']:.0f} MiB"
        f" against {a_s['maxrss_mib']:.0f} MiB{tree}"
    )
    print(f"\nbenchmark wall time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
