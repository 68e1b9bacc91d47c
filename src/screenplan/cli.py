"""The `screenplan` command.

  screenplan serve           apply migrations and serve the site (SQLite by default)
  screenplan plan FILE       the plan JSON for one complete pass of answers
  screenplan simulate FILE   run the adaptive flow with a full answer set as the respondent
  screenplan score FILE      score a CSV or JSON Lines file of answer sets, row by row (batch.py)
  screenplan manage ARGS     Django's management commands (migrate, check --deploy, …)

FILE may be `-` for standard input. Bad input prints one line on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import batch, strictjson
from .engine import EngineError, build_plan, load_content, simulate

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, like every other refusal
        self.exit(EXIT_BAD_INPUT, f"screenplan: {message} (see 'screenplan --help')\n")


def read_answers(path: str) -> Any:
    """Parse the answers file strictly: no NaN or Infinity, no repeated keys."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise EngineError("unreadable_file", exc.strerror or "cannot read the file", path) from None
    except UnicodeDecodeError:
        raise EngineError("bad_json", "the file is not UTF-8 text", path) from None
    try:
        return strictjson.loads(text)
    except json.JSONDecodeError as exc:
        raise EngineError(
            "bad_json", f"not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})", path
        ) from None
    except ValueError as exc:
        raise EngineError("bad_json", str(exc), path) from None
    except RecursionError:
        raise EngineError("bad_json", "the JSON is nested too deeply", path) from None


def one_line(exc: EngineError) -> str:
    """The error as exactly one line, even when an item id from the file holds a newline."""
    where = exc.where if exc.where.isprintable() else repr(exc.where)
    text = f"{where}: {exc.message} [{exc.code}]" if where else f"{exc.message} [{exc.code}]"
    return " ".join(text.splitlines())


def _plan(args: argparse.Namespace) -> Any:
    return build_plan(load_content(), read_answers(args.file), args.lang)


def _simulate(args: argparse.Namespace) -> Any:
    return simulate(load_content(), read_answers(args.file), args.lang)


def misconfigured(exc: Exception) -> int:
    """A setting is missing or wrong: say which, on one line, and refuse to start."""
    print(f"screenplan: {' '.join(str(exc).splitlines())}", file=sys.stderr)
    return EXIT_BAD_INPUT


def serve(host: str, port: int, workers: int) -> int:
    """Migrate, then serve with gunicorn (Django and gunicorn load only for this command)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "screenplan.site.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command

    try:
        django.setup()
    except ImproperlyConfigured as exc:  # e.g. production without its secrets: one line, no traceback
        return misconfigured(exc)
    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connections

    # gunicorn forks its workers from this process: a database connection left open here would
    # be one socket shared by every worker, their queries and answers interleaved.
    connections.close_all()
    from gunicorn.app.base import BaseApplication

    from .site.wsgi import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", None)  # request lines could carry a private link token
            self.cfg.set("errorlog", "-")
            self.cfg.set("control_socket_disable", True)  # one shared path per user would collide

        def load(self) -> Any:
            return application

    url_host = f"[{host}]" if ":" in host else host
    print(f"Screenplan is running at http://{url_host}:{port}/  (press Ctrl+C to stop)", flush=True)
    Server().run()
    return 0


def manage(args: Sequence[str]) -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "screenplan.site.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["screenplan manage", *args])
    except ImproperlyConfigured as exc:
        return misconfigured(exc)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        return manage(argv[1:])
    parser = _Parser(prog="screenplan", description="Screenplan: the 2-minute screen and its recovery plan.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands: dict[str, Callable[[argparse.Namespace], Any]] = {"plan": _plan, "simulate": _simulate}
    helps = {
        "plan": "print the plan JSON for a file of answers (one complete pass through the flow)",
        "simulate": "run the adaptive flow with a full answer set; print the items asked, seconds and plan",
    }
    for name in commands:
        p = sub.add_parser(name, help=helps[name], description=helps[name])
        p.add_argument("file", help="a JSON object mapping item ids to answers, or - for standard input")
        p.add_argument("--lang", default="en", help="language of the plan's text (default: en)")
    p = sub.add_parser(
        "serve", help="apply migrations and serve the site", description="apply migrations and serve the site"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    batch.add_parser(sub)
    sub.add_parser("manage", help="run a Django management command (screenplan manage --help)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port, args.workers)
    if args.command == "score":
        return batch.run(args)
    try:
        result = commands[args.command](args)
    except EngineError as exc:
        print(f"screenplan: {one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (e.g. `head`) stopped early; that is not an error
        sys.stdout = None
    return 0


if __name__ == "__main__":
    sys.exit(main())
