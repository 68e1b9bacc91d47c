"""`screenplan score`: score a file of answer sets row by row (research exports, EHR imports).

The input is read and the output written one chunk of rows at a time, so memory stays the
same for a thousand rows or ten million. With more than one CPU, chunks are scored by worker
processes and written back in input order. Each row goes through `score_answers()`; a row
that is a complete pass through the flow also goes through `decide()` for the plan's decisions.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import IO, Any, TextIO

from . import strictjson
from .engine import EngineError, decide, load_content, score_answers
from .engine.content import Content
from .engine.plan import SCORE_KEYS

EXIT_OK, EXIT_SOME_INVALID, EXIT_FILE = 0, 1, 2
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
CHUNK_ROWS = 500  # rows handed to a worker at a time
MAX_DEFAULT_JOBS = 8
PROGRESS_EVERY = 0.25  # seconds between progress redraws (terminal only)
SCORE_FIELDS = ("total", "bound", "band", "complete")
PLAN_COLUMNS = ("safety_level", "pathway", "eligibility", "also", "priority", "medicines", "checks")
# The safety column: the level the answers establish by the screen's rules, else why there is none.
SAFETY_CELLS = ("acute", "non_acute", "none", "undecided", "not_assessed")
CSV_COLUMNS = (
    "line",
    *(f"{s}_{f}" for s in SCORE_KEYS for f in SCORE_FIELDS),
    "auditc_total",
    "auditc_positive",
    "safety",
    "safety_complete",
    "findings",
    "undetermined",
    "plan",
    *PLAN_COLUMNS,
    "missing",
    "plan_error",
)
INTEGER = re.compile(r"[+-]?[0-9]+")

HELP = "score a CSV or JSON Lines file of answer sets, one row at a time"
DESCRIPTION = f"""\
Score a file of answer sets, one per row: each instrument's score, the findings, and the
plan's decisions for every row that is a complete pass through the flow.

Input (FILE, or - for standard input with --format):
  CSV         the header names item ids (docs/instruments.md); one answer set per row; an
              empty cell is not answered; in drug_kinds and health, answers are separated
              by ";"; cells of items with whole-number answers (instrument points, age,
              readiness) must be whole numbers. UTF-8, with or without a byte-order mark.
  JSON Lines  one JSON object of item ids to answers per line (.jsonl or .ndjson), as for
              `screenplan plan`; null is read as not answered; blank lines are skipped.

Output (standard output, or --output), in the input's format, one row per scored row:
  line                         the row's line number in the input
  <score>_total/_bound/_band/_complete   for {", ".join(SCORE_KEYS)}
  auditc_total                 AUDIT-C total when items 1-3 are answered (or skipped as 0)
  auditc_positive              true/false by the cut-off for the row's sex (audit.yaml);
                               empty when the answers do not decide it (a total of 3 and no
                               sex: positive by the women's cut-off, not by the men's)
  safety                       the safety level by the screen's rules (acute, non_acute,
                               none), from whatever safety questions the row answers (PHQ-9
                               item 9, ASQ 1-5): "none" only when every rule is decided;
                               "undecided" when safety questions were answered but others
                               could still raise the level (e.g. item 9 = 0 without the ASQ);
                               "not_assessed" when the row answers no safety question
  safety_complete              true when no unanswered question could change the level
                               (a non_acute row without the ASQ is false: acute not ruled out)
  findings, undetermined       findings that hold, and those the answers cannot decide
  plan                         "yes" when the row is a complete pass (CSV); in JSON Lines,
                               the decisions as in the plan JSON, or null
  {", ".join(PLAN_COLUMNS)}
                               the plan's decisions (CSV; empty without a plan)
  missing                      the questions a plan still needs, in the order asked
  plan_error                   why no plan was made although nothing is missing (e.g. an
                               answer to a question the flow skips)
In CSV output, lists are joined with ";" and medicines are written as id=status. In JSON
Lines, "safety" is {{"level", "complete", "answered", "missing"}} (level null for undecided or
not assessed) and "auditc" is {{"total", "complete", "positive"}}, with "positive_if" by sex
when the row has no sex.

Errors: a row that cannot be scored (a value that is not an answer, text in a whole-number
column, a malformed JSON line) is reported on standard error as "line N: ITEM: message",
left out of the output, and the run goes on. Two final lines go to standard error:
"scored N rows, M invalid" and "safety: acute A, non_acute B, none C, undecided D,
not_assessed E" (the scored rows at each value of the safety column); a terminal also shows
the progress.

Exit status: 0 every row was scored; 1 some rows were invalid (the others were scored);
2 the file could not be used (unreadable, not UTF-8, unknown or repeated column, unknown
format), reported in one line.
"""


class FileError(Exception):
    """A problem with the whole file: reported in one line, exit status 2."""


def add_parser(sub: Any) -> None:
    """The `score` subcommand, added to the `screenplan` command's subparsers."""
    p = sub.add_parser(
        "score", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("file", help="a .csv, .jsonl or .ndjson file of answer sets, or - for standard input")
    p.add_argument("--format", choices=("csv", "jsonl"), help="the input format (default: from the file name)")
    p.add_argument("--output", "-o", metavar="OUT", help="write the scores to OUT (default: standard output)")
    p.add_argument(
        "--lang",
        default="en",
        help="accepted as for `plan` (default: en); the output holds ids, which are the same in every language",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        metavar="N",
        help=f"worker processes (default: one per CPU, at most {MAX_DEFAULT_JOBS}; 1 scores in this process)",
    )


# ------------------------------------------------------------------------------------- reading


def _kinds(content: Content) -> dict[str, str]:
    """How a CSV cell of each item is read: "int", "list" or "str"."""
    out = {}
    for item_id, item in content.items.items():
        if item.type == "integer" or (item.options and all(type(o.value) is int for o in item.options)):
            out[item_id] = "int"
        elif item.type == "multi":
            out[item_id] = "list"
        else:
            out[item_id] = "str"
    return out


def read_header(content: Content, header: list[str]) -> tuple[tuple[str, str], ...]:
    """The (item id, kind) of each column; a FileError for an unknown, unnamed or repeated one."""
    names = [h.strip() for h in header]
    kinds = _kinds(content)
    for n, name in enumerate(names, 1):
        if not name:
            raise FileError(f"column {n} of the header has no name; the header must name item ids")
    unknown = [name for name in names if name not in kinds]
    if unknown:
        shown = ", ".join(repr(u) if u.isprintable() else ascii(u) for u in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise FileError(
            f"unknown column{'s' if len(unknown) > 1 else ''} {shown}{more} in the header; "
            "columns must be item ids (docs/instruments.md)"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise FileError(f"the column {twice[0]!r} appears twice in the header")
    return tuple((name, kinds[name]) for name in names)


Row = tuple[int, str, Any]  # (line, "csv" | "json" | "error", cells | text | message)


def csv_rows(reader: Any, width: int) -> Iterator[Row]:
    """Data rows after the header: the first line of each record, and its cells."""
    prev = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, "error", f"not valid CSV ({exc})"
            prev = reader.line_num
            continue
        line, prev = prev + 1, reader.line_num
        if not cells:  # a blank line
            continue
        if len(cells) != width:
            yield line, "error", f"the row has {len(cells)} cells; the header has {width}"
        else:
            yield line, "csv", cells


def jsonl_rows(fh: Iterable[str]) -> Iterator[Row]:
    for line, text in enumerate(fh, 1):
        if text.strip():
            yield line, "json", text.rstrip("\r\n")


def _answers_from_cells(columns: tuple[tuple[str, str], ...], cells: list[str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for (item_id, kind), raw in zip(columns, cells, strict=True):
        cell = raw.strip()
        if not cell:
            continue
        if kind == "int":
            if not INTEGER.fullmatch(cell):
                raise EngineError("bad_value", f"expected a whole number, got {cell!r}", item_id)
            answers[item_id] = int(cell)
        elif kind == "list":
            answers[item_id] = [v.strip() for v in cell.split(";")]
        else:
            answers[item_id] = cell
    return answers


def _answers_from_json(text: str) -> dict[str, Any]:
    try:
        data = strictjson.loads(text)
    except json.JSONDecodeError as exc:
        raise EngineError("bad_json", f"not valid JSON ({exc.msg}, column {exc.colno})") from None
    except ValueError as exc:
        raise EngineError("bad_json", str(exc)) from None
    except RecursionError:
        raise EngineError("bad_json", "the JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise EngineError("bad_answers", "expected a JSON object of item ids to answers")
    return {k: v for k, v in data.items() if v is not None}


# ------------------------------------------------------------------------------------- scoring
def _one_line(exc: EngineError) -> str:
    where = exc.where if exc.where.isprintable() else repr(exc.where)
    text = f"{where}: {exc.message}" if where else exc.message
    return " ".join(text.splitlines())


def score_one(content: Content, line: int, answers: dict[str, Any]) -> dict[str, Any]:
    """The output record of one valid row; an EngineError when the answers are not valid."""
    r = score_answers(content, answers)
    plan = plan_error = None
    if not r["missing"]:
        try:
            d = decide(content, answers)
        except EngineError as exc:
            plan_error = _one_line(exc)
        else:
            plan = {
                "safety": {"level": d.safety},
                "pathway": {"primary": d.pathway, "eligibility": d.eligibility, "also": list(d.also)},
                "priority": d.priority,
                "medicines": dict(d.medicines),
                "checks": list(d.checks),
            }
    return {
        "line": line,
        "scores": {k: {f: r["scores"][k][f] for f in SCORE_FIELDS} for k in SCORE_KEYS},
        "auditc": r["auditc"],
        "safety": r["safety"],
        "findings": r["findings"],
        "undetermined": r["undetermined"],
        "plan": plan,
        "missing": r["missing"],
        "plan_error": plan_error,
    }


def safety_cell(safety: dict[str, Any]) -> str:
    """The safety column: the level, or "undecided" / "not_assessed" when there is none (SAFETY_CELLS)."""
    if safety["level"] is not None:
        return str(safety["level"])
    return "undecided" if safety["answered"] else "not_assessed"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_record(rec: dict[str, Any]) -> list[str]:
    """One output record as the cells of `CSV_COLUMNS`."""
    scores = [_cell(rec["scores"][s][f]) for s in SCORE_KEYS for f in SCORE_FIELDS]
    plan = rec["plan"]
    if plan is None:
        decisions = [""] * len(PLAN_COLUMNS)
    else:
        decisions = [
            plan["safety"]["level"],
            plan["pathway"]["primary"],
            _cell(plan["pathway"]["eligibility"]),
            ";".join(plan["pathway"]["also"]),
            plan["priority"],
            ";".join(f"{m}={s}" for m, s in plan["medicines"].items()),
            ";".join(plan["checks"]),
        ]
    return [
        str(rec["line"]),
        *scores,
        _cell(rec["auditc"]["total"]),
        _cell(rec["auditc"]["positive"]),
        safety_cell(rec["safety"]),
        _cell(rec["safety"]["complete"]),
        ";".join(rec["findings"]),
        ";".join(rec["undetermined"]),
        "" if plan is None else "yes",
        *decisions,
        ";".join(rec["missing"]),
        _cell(rec["plan_error"]),
    ]


Chunk = tuple[str, list[str], dict[str, int]]  # output text, error lines, scored rows per safety cell


def score_chunk(fmt: str, columns: tuple[tuple[str, str], ...], rows: list[Row]) -> Chunk:
    """Score rows; return the output text, the error lines (in order) and the scored rows per safety cell."""
    content = load_content()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    errors: list[str] = []
    scored = dict.fromkeys(SAFETY_CELLS, 0)
    for line, kind, payload in rows:
        try:
            if kind == "error":
                raise EngineError("bad_row", payload)
            answers = _answers_from_cells(columns, payload) if kind == "csv" else _answers_from_json(payload)
            rec = score_one(content, line, answers)
        except EngineError as exc:
            errors.append(f"line {line}: {_one_line(exc)}")
            continue
        scored[safety_cell(rec["safety"])] += 1
        if writer is not None:
            writer.writerow(csv_record(rec))
        else:
            out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
    return out.getvalue(), errors, scored


def _init_worker() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the run on Ctrl+C
    load_content()


# ------------------------------------------------------------------------------------- running
class Progress:
    """Rows done and rows per second on a terminal's standard error, redrawn a few times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.on = stream.isatty()
        self.started = self.last = time.monotonic()
        self.shown = False

    def update(self, rows: int) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        rate = rows / (now - self.started) if now > self.started else 0.0
        self.stream.write(f"\r\x1b[K{rows:,} rows  {rate:,.0f} rows/s")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.shown = False


def _chunks(rows: Iterator[Row], failure: list[BaseException]) -> Iterator[list[Row]]:
    """Rows in chunks; a file problem met part-way stops the chunks and is kept in `failure`."""
    chunk: list[Row] = []
    try:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
    except (UnicodeDecodeError, OSError, FileError) as exc:
        failure.append(exc)
    if chunk:
        yield chunk


def default_jobs() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_JOBS))


def _open_input(path: str) -> IO[str]:
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise FileError(f"{path}: {exc.strerror or 'cannot read the file'}") from None


def _file_message(exc: BaseException, path: str) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"{path}: the file is not UTF-8 text"
    if isinstance(exc, OSError):
        return f"{path}: {exc.strerror or 'cannot read the file'}"
    return f"{path}: {exc}" if path != "-" else str(exc)


def run(args: argparse.Namespace) -> int:
    """The `score` command; returns the exit status."""
    name = "standard input" if args.file == "-" else args.file
    fmt = args.format or EXTENSIONS.get(os.path.splitext(args.file)[1].lower())
    if fmt is None:
        what = "standard input" if args.file == "-" else f"the name {args.file!r}"
        return _fail(f"cannot tell the format from {what}; give --format csv or --format jsonl")
    jobs = args.jobs if args.jobs > 0 else default_jobs()
    content = load_content()
    try:
        fh = _open_input(args.file)
    except FileError as exc:
        return _fail(str(exc))
    with fh:
        try:
            if fmt == "csv":
                reader = csv.reader(fh)
                try:
                    header = next(reader)
                except StopIteration:
                    raise FileError("the file is empty; a CSV file needs a header of item ids") from None
                except csv.Error as exc:
                    raise FileError(f"the header is not valid CSV ({exc})") from None
                columns = read_header(content, header)
                rows: Iterator[Row] = csv_rows(reader, len(columns))
            else:
                columns = ()
                rows = jsonl_rows(fh)
        except (FileError, UnicodeDecodeError, OSError) as exc:
            return _fail(_file_message(exc, name))
        if _same_file(args.file, args.output):
            return _fail(f"--output {args.output} is the input file; choose another name")
        try:
            out: IO[str] = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
        except OSError as exc:
            return _fail(f"cannot write {args.output}: {exc.strerror}")
        try:
            return _score_stream(fmt, columns, rows, out, jobs, name, args.output or "standard output")
        finally:
            if out is not sys.stdout:
                out.close()


def _same_file(path: str, output: str | None) -> bool:
    try:
        return bool(output) and path != "-" and os.path.samefile(path, str(output))
    except OSError:  # the output does not exist yet
        return False


def _fail(message: str) -> int:
    print(f"screenplan: {' '.join(message.splitlines())}", file=sys.stderr)
    return EXIT_FILE


def _score_stream(
    fmt: str, columns: tuple[tuple[str, str], ...], rows: Iterator[Row], out: IO[str], jobs: int, name: str, dest: str
) -> int:
    progress = Progress(sys.stderr)
    scored = invalid = 0
    safety = dict.fromkeys(SAFETY_CELLS, 0)
    failure: list[BaseException] = []

    def emit(result: Chunk) -> None:
        nonlocal scored, invalid
        text, errors, counts = result
        if text:
            out.write(text)
        if errors:
            progress.clear()
            for e in errors:
                sys.stderr.write(e + "\n")
            sys.stderr.flush()
        for cell, n in counts.items():
            safety[cell] += n
        scored += sum(counts.values())
        invalid += len(errors)
        progress.update(scored + invalid)

    chunks = _chunks(rows, failure)
    try:
        if fmt == "csv":
            out.write(",".join(CSV_COLUMNS) + "\n")
        first = next(chunks, None)
        second = next(chunks, None) if first is not None else None
        if first is not None and (second is None or jobs == 1):  # small file, or asked for one process
            emit(score_chunk(fmt, columns, first))
            if second is not None:
                emit(score_chunk(fmt, columns, second))
            for chunk in chunks:
                emit(score_chunk(fmt, columns, chunk))
        elif first is not None:
            _score_in_workers(fmt, columns, [first, second], chunks, jobs, emit)
        out.flush()
    except BrokenPipeError:  # the reader (e.g. `head`) stopped early; that is not an error
        _silence_stdout()
        return EXIT_SOME_INVALID if invalid else EXIT_OK
    except KeyboardInterrupt:
        progress.clear()
        print(f"screenplan: interrupted after {scored + invalid:,} rows", file=sys.stderr)
        return 130
    except OSError as exc:
        progress.clear()
        return _fail(f"cannot write {dest}: {exc.strerror}")
    progress.clear()
    if failure:
        return _fail(_file_message(failure[0], name))
    print(f"scored {scored} rows, {invalid} invalid", file=sys.stderr)
    print("safety: " + ", ".join(f"{cell} {n}" for cell, n in safety.items()), file=sys.stderr)
    return EXIT_SOME_INVALID if invalid else EXIT_OK


def _score_in_workers(
    fmt: str,
    columns: tuple[tuple[str, str], ...],
    head: list[list[Row] | None],
    chunks: Iterator[list[Row]],
    jobs: int,
    emit: Any,
) -> None:
    """Score chunks in worker processes, at most 2 per worker in flight, writing in input order."""
    from concurrent.futures import Future, ProcessPoolExecutor

    pending: deque[Future[Chunk]] = deque()
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker) as pool:
        try:
            for chunk in _chain(head, chunks):
                pending.append(pool.submit(score_chunk, fmt, columns, chunk))
                if len(pending) >= 2 * jobs:
                    emit(pending.popleft().result())
            while pending:
                emit(pending.popleft().result())
        except BaseException:
            for f in pending:
                f.cancel()
            raise


def _chain(head: list[list[Row] | None], rest: Iterator[list[Row]]) -> Iterator[list[Row]]:
    for chunk in head:
        if chunk is not None:
            yield chunk
    yield from rest


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
