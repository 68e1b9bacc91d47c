"""Write or check docs/openapi.json, the API's OpenAPI document generated from the code.

python -m screenplan.api.openapi          rewrite it
python -m screenplan.api.openapi --check  exit 1 if the checked-in document differs
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def document() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "screenplan.site.settings")
    import django

    django.setup()
    from screenplan.api.main import api

    return json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m screenplan.api.openapi")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--out", default="docs/openapi.json")
    args = parser.parse_args(argv)
    text = document()
    path = Path(args.out)
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"{path} is out of date: run `python -m screenplan.api.openapi`", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
