"""CPU per request of the respondent flow, in-process, against /healthz and against a baseline commit.

Run from the repository root:  python bench/flow_cpu.py [--screens N] [--rounds N] [--baseline REF]

Each measurement is a fresh Python process on a throwaway SQLite database: Django's test
client completes N screens (consent, every question with its GET and POST, the crisis page
after the risk answer, results, plan) and `time.process_time()` is read around every request,
so only this process's CPU counts and no network or other process adds noise; then GET
/healthz (the minimal page) 3,000 times. With --baseline, the same measurement runs on the
source of another commit (`git archive REF src`, put first on PYTHONPATH), alternating with
the working tree round by round, and the medians are printed side by side with their ratio.
Prints figures only; it never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("GET question", "POST answer", "crisis page", "results", "plan", "healthz")


def child(screens: int) -> dict[str, float]:
    """The measurement itself, in this process (started by `run` with a clean environment)."""
    os.environ["SCREENPLAN_DATA_DIR"] = tempfile.mkdtemp(prefix="screenplan-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "screenplan.site.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from pages import ANSWERS  # the same respondent as bench/pages.py: the crisis page comes up

    call_command("migrate", interactive=False, verbosity=0)
    spent: dict[str, list[float]] = defaultdict(list)

    def timed(kind: str, send: Any) -> Any:
        began = time.process_time()
        response = send()
        spent[kind].append(time.process_time() - began)
        return response

    def field(html: str, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', html)
        if not found:
            raise SystemExit(f"no {name} field on the page")
        return found.group(1)

    for number in range(screens + 1):  # the first screen warms every template and cache, not counted
        client = Client(enforce_csrf_checks=True)
        page = client.get("/en/start/").content.decode()
        client.post("/en/start/", {"csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"), "consent": "yes"})
        for _step in range(80):
            response = timed("GET question", lambda c=client: c.get("/en/screen/"))
            if response.status_code == 302 and response["Location"].endswith("/crisis/"):
                page = timed("crisis page", lambda c=client, r=response: c.get(r["Location"])).content.decode()
                token = field(page, "csrfmiddlewaretoken")
                client.post(response["Location"], {"csrfmiddlewaretoken": token, "safe": "yes"})
                continue
            if response.status_code == 302:
                break
            html = response.content.decode()
            item = field(html, "item")
            value = ANSWERS[item]
            data = {
                "csrfmiddlewaretoken": field(html, "csrfmiddlewaretoken"),
                "item": item,
                "rev": field(html, "rev"),
                "value": [str(v) for v in value] if isinstance(value, list) else [str(value)],
            }
            answered = timed("POST answer", lambda c=client, d=data: c.post("/en/screen/", d))
            if answered.status_code != 302:
                raise SystemExit(f"POST {item}: {answered.status_code}")
        else:
            raise SystemExit("the flow did not finish in 80 pages")
        timed("results", lambda c=client: c.get("/en/results/"))
        timed("plan", lambda c=client: c.get("/en/plan/"))
        if number == 0:
            spent.clear()  # the warm-up screen
    plain = Client()
    for _ in range(3000):
        timed("healthz", lambda: plain.get("/healthz"))
    return {kind: 1000 * statistics.mean(times) for kind, times in spent.items()}


def run(src: Path, screens: int) -> dict[str, float]:
    """One measurement in a fresh interpreter whose `screenplan` package comes from `src`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENPLAN_") and k != "DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join([str(src), str(ROOT / "bench")])
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(screens)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measurement on {src} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def export(ref: str, into: Path) -> Path:
    """The `src` folder of commit `ref`, unpacked into `into`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "src"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if archive.returncode != 0:
        raise SystemExit(f"git archive {ref}: {archive.stderr.decode(errors='replace').strip()}")
    tar_path = into / "src.tar"
    tar_path.write_bytes(archive.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=10, help="screens per measurement (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each tree, alternating (default 3)")
    parser.add_argument("--baseline", metavar="REF", help="a commit to measure side by side (e.g. HEAD~5)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    with tempfile.TemporaryDirectory(prefix="screenplan-baseline-") as folder:
        trees = {"this tree": ROOT / "src"}
        if args.baseline:
            trees = {args.baseline: export(args.baseline, Path(folder)), **trees}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, src in trees.items():
                runs[name].append(run(src, args.screens))
    median = {name: {k: statistics.median(r[k] for r in rs) for k in KINDS} for name, rs in runs.items()}
    names = list(trees)
    print(f"CPU per request, ms (median of {args.rounds} runs of {args.screens} screens each; in-process, SQLite)")
    print(
        f"{'request':<14}"
        + "".join(f"{n:>14}" for n in names)
        + ("      ratio" if args.baseline else "")
        + "  vs healthz"
    )
    for kind in KINDS:
        row = f"{kind:<14}" + "".join(f"{median[n][kind]:>14.2f}" for n in names)
        if args.baseline:
            row += f"{median[names[1]][kind] / median[names[0]][kind]:>11.2f}"
        row += f"{median[names[-1]][kind] / median[names[-1]]['healthz']:>11.1f}×"
        print(row)


if __name__ == "__main__":
    main()
