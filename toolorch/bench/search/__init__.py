"""`toolorch bench search quality|speed`: how well and how fast qdrant_search_similar finds code.

    toolorch bench search quality [--project NAME==VERSION ...] [--cache DIR] [--precision P]
    toolorch bench search speed   [--project NAME==VERSION] [--cache DIR] [--seconds S]

Both take real projects from PyPI sdists when they run (into .cache/bench-search/); neither is
part of `make test`. See quality.py and speed.py.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from toolorch.bench.search.projects import DEFAULT_PROJECTS, default_cache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="toolorch bench search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=["quality", "speed"])
    parser.add_argument("--project", action="append", metavar="NAME==VERSION",
                        help=f"a PyPI sdist (repeatable; default: {' '.join(DEFAULT_PROJECTS)})")
    parser.add_argument("--cache", type=Path, default=None, help="work dir (default .cache/bench-search)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="speed: seconds of encoding per configuration")
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    cache = (args.cache or default_cache()).resolve()
    if args.which == "quality":
        from toolorch.bench.search.quality import run

        result = run(args.project or DEFAULT_PROJECTS, cache, args.precision)
    else:
        from toolorch.bench.search.speed import run as run_speed

        result = run_speed((args.project or ["werkzeug==3.1.9"])[0], cache, args.seconds)
    text = json.dumps(result, indent=1, default=str)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0
