"""`toolorch` command line: serve, call, orchestrate, status, demo, bench, train.

Everything here is also reachable from Python (toolorch.Engine) and over MCP (toolorch-server).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any


def _kv(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; a value that parses as JSON (numbers, true, {...}) is taken as JSON."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--arg expects key=value, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _settings() -> Any:
    from toolorch.config import load_settings

    return load_settings()


class _Progress:
    """A rich progress bar on stderr (stdout stays clean for JSON)."""

    def __init__(self, title: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._p = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                           console=Console(stderr=True), transient=True)
        self._task = self._p.add_task(title, total=None)

    async def __call__(self, done: float, total: float | None, message: str | None) -> None:
        self._p.update(self._task, completed=done, total=total, description=message or "")

    def __enter__(self) -> _Progress:
        self._p.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._p.stop()


def cmd_call(ns: argparse.Namespace) -> int:
    import anyio

    from toolorch.engine.engine import Engine

    args = _kv(ns.arg or [])
    if ns.json:
        args.update(json.loads(ns.json))

    async def go() -> Any:
        async with Engine(_settings()) as engine:
            with _Progress(ns.tool) as bar:
                return await engine.call(ns.tool, args, session_id="cli", progress=bar)

    result = anyio.run(go)
    _print_json(result.to_dict())
    return 0 if result.success else 1


def cmd_orchestrate(ns: argparse.Namespace) -> int:
    import anyio

    from toolorch.engine.engine import Engine
    from toolorch.engine.orchestrator import Orchestrator
    from toolorch.engine.request import OrchestrateRequest

    body: dict[str, Any] = json.loads(ns.json) if ns.json else {}
    if ns.goal:
        body["goal"] = ns.goal
    if ns.input:
        body.setdefault("inputs", {}).update(_kv(ns.input))
    for key in ("strategy", "deliverable"):
        if getattr(ns, key):
            body[key] = getattr(ns, key)
    if ns.explore:
        body["explore"] = True
    req = OrchestrateRequest.model_validate(body)

    async def go() -> Any:
        async with Engine(_settings()) as engine:
            with _Progress("orchestrate") as bar:
                return await Orchestrator(engine).run(req, progress=bar, session_id="cli")

    wf = anyio.run(go)
    _print_json(wf.to_dict())
    return 0 if wf.success else 1


def cmd_status(ns: argparse.Namespace) -> int:
    from toolorch.registry import Registry
    from toolorch.stores.factory import open_store

    settings = _settings()
    registry = Registry.for_settings(settings)
    store = open_store(settings)
    try:
        status: dict[str, Any] = {
            "home": str(settings.home),
            "tools": registry.names,
            "experiences": store.summary(),
        }
        from toolorch.metrics import MetricsTracker

        status["metrics"] = MetricsTracker.from_experiences(store.recent(100_000)).snapshot()
        try:
            from toolorch.rl.runner import policy_status

            status["policy"] = policy_status(settings)
        except ImportError as exc:
            status["policy"] = {"available": False, "reason": str(exc)}
    finally:
        store.close()
    _print_json(status)
    return 0


def cmd_serve(ns: argparse.Namespace) -> int:
    from server.__main__ import main as serve_main

    argv = ["--http"] if ns.http else []
    if ns.port is not None:
        argv += ["--port", str(ns.port)]
    serve_main(argv)
    return 0


def cmd_demo(ns: argparse.Namespace) -> int:
    from toolorch.demo import main as demo_main

    return demo_main(project=Path(ns.project) if ns.project else None)


#: `toolorch bench NAME` runs `toolorch.bench.NAME.main(rest)`.
BENCHMARKS = ["overhead", "core", "index", "scale", "search", "generators", "policy", "learn"]


def cmd_bench(ns: argparse.Namespace) -> int:
    import importlib

    mod = importlib.import_module(f"toolorch.bench.{ns.which}")
    result = mod.main(ns.rest)
    return int(result or 0)


def cmd_train(ns: argparse.Namespace) -> int:
    if ns.simulate:
        from toolorch.bench.learn.warmstart import pretrain

        _print_json(pretrain(_settings(), episodes=ns.simulate, seed=ns.seed))
        return 0
    from toolorch.backends.vectors.embedder import Embedder
    from toolorch.rl.offline import train_from_store

    settings = _settings()
    _print_json(train_from_store(settings, Embedder(settings).embed, epochs=ns.epochs))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="toolorch", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the MCP server (stdio, or --http)")
    s.add_argument("--http", action="store_true")
    s.add_argument("--port", type=int)
    s.set_defaults(fn=cmd_serve)

    s = sub.add_parser("call", help="call one tool through the engine")
    s.add_argument("tool")
    s.add_argument("--arg", action="append", metavar="KEY=VALUE", help="an argument (repeatable)")
    s.add_argument("--json", help="arguments as a JSON object")
    s.set_defaults(fn=cmd_call)

    s = sub.add_parser("orchestrate", help="run a workflow for a goal")
    s.add_argument("goal", nargs="?")
    s.add_argument("--input", action="append", metavar="KEY=VALUE", help="a known input (repeatable)")
    s.add_argument("--strategy", choices=["sequential", "parallel", "adaptive", "rl_optimized"])
    s.add_argument("--deliverable")
    s.add_argument("--explore", action="store_true")
    s.add_argument("--json", help="the whole request as JSON (see the orchestrate tool's schema)")
    s.set_defaults(fn=cmd_orchestrate)

    s = sub.add_parser("status", help="registry, experience log, metrics and policy status")
    s.set_defaults(fn=cmd_status)

    s = sub.add_parser("demo", help="a real MCP client session: the orchestrated pipeline on the sample project")
    s.add_argument("--project", help="project directory (default: the bundled sample)")
    s.set_defaults(fn=cmd_demo)

    s = sub.add_parser("bench", help=f"benchmarks: {', '.join(BENCHMARKS)}")
    s.add_argument("which", choices=BENCHMARKS)
    s.add_argument("rest", nargs=argparse.REMAINDER, help="options of that benchmark (--help)")
    s.set_defaults(fn=cmd_bench)

    s = sub.add_parser("train", help="retrain the KTO policy from the experience store, or warm-start it in simulation")
    s.add_argument("--epochs", type=int, default=5, help="passes over the stored experiences")
    s.add_argument("--simulate", type=int, metavar="EPISODES",
                   help="instead: train online in the simulator on the public task suite (warm start)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(fn=cmd_train)
    return p


def main(argv: list[str] | None = None) -> None:
    ns = build_parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if ns.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from toolorch.errors import ConfigError, RegistryError

    try:
        code = ns.fn(ns)
    except (ConfigError, RegistryError) as exc:  # bad configuration: one line, not a traceback
        print(f"toolorch: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
