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
    """Progress of a long command on stderr (stdout stays clean for JSON): a rich bar on a
    terminal; otherwise one line per new message, plus a line every `heartbeat_s` while nothing
    new arrives, so a piped or logged run never sits silent."""

    def __init__(self, title: str, heartbeat_s: float = 15.0) -> None:
        from rich.console import Console

        self.title, self.heartbeat_s = title, heartbeat_s
        self._console = Console(stderr=True)
        self._tty = self._console.is_terminal
        self._last: str | None = None
        self._t0 = self._seen = 0.0
        self._p: Any = None
        if self._tty:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._p = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                               console=self._console, transient=True)
            self._task = self._p.add_task(title, total=None)

    def _line(self, text: str) -> None:
        import time

        print(f"[{time.monotonic() - self._t0:6.1f}s] {text}", file=sys.stderr, flush=True)

    async def __call__(self, done: float, total: float | None, message: str | None) -> None:
        import time

        self._seen = time.monotonic()
        if self._p is not None:
            self._p.update(self._task, completed=done, total=total, description=message or "")
        elif message and message != self._last:
            self._line(f"{message}" + (f" ({done:g}/{total:g})" if total else ""))
        self._last = message or self._last

    async def _beat(self) -> None:
        import time

        import anyio

        while True:
            await anyio.sleep(self.heartbeat_s)
            if time.monotonic() - self._seen >= self.heartbeat_s:
                self._line(f"still running: {self._last or self.title}")

    async def run(self, work: Any) -> Any:
        """Await `work()` with the bar shown (and, off a terminal, the heartbeat)."""
        import time

        import anyio

        self._t0 = self._seen = time.monotonic()
        if self._p is not None:
            with self._p:
                return await work()
        self._line(f"{self.title} …")
        result: Any = None
        error: Exception | None = None
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._beat)
            try:
                result = await work()
            except Exception as exc:  # re-raised as itself, not inside an ExceptionGroup
                error = exc
            finally:
                tg.cancel_scope.cancel()
        if error is not None:
            raise error
        return result


def cmd_call(ns: argparse.Namespace) -> int:
    import anyio

    from toolorch.engine.engine import Engine
    from toolorch.engine.progress import MonotonicProgress

    args = _kv(ns.arg or [])
    if ns.json:
        args.update(json.loads(ns.json))

    async def go() -> Any:
        async with Engine(_settings()) as engine:
            bar = _Progress(ns.tool)
            return await bar.run(lambda: engine.call(ns.tool, args, session_id="cli", progress=MonotonicProgress(bar)))

    result = anyio.run(go)
    _print_json(result.to_dict())
    return 0 if result.success else 1


def cmd_orchestrate(ns: argparse.Namespace) -> int:
    import anyio

    from toolorch.engine.engine import Engine
    from toolorch.engine.orchestrator import Orchestrator
    from toolorch.engine.request import OrchestrateRequest
    from toolorch.engine.summary import deliverable_of, summarize

    body: dict[str, Any] = json.loads(ns.json) if ns.json else {}
    if ns.goal:
        body["goal"] = ns.goal
    if ns.input:
        body.setdefault("inputs", {}).update(_kv(ns.input))
    for key in ("strategy", "deliverable", "detail"):
        if getattr(ns, key):
            body[key] = getattr(ns, key)
    if ns.explore:
        body["explore"] = True
    req = OrchestrateRequest.model_validate(body)

    async def go() -> Any:
        async with Engine(_settings()) as engine:
            bar = _Progress("orchestrate")
            wf = await bar.run(lambda: Orchestrator(engine).run(req, progress=bar, session_id="cli"))
            if req.detail == "full":
                return wf, wf.to_dict()
            return wf, summarize(wf, engine.registry, deliverable_of(wf))

    wf, out = anyio.run(go)
    _print_json(out)
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
            from toolorch.stores.suggestions import SuggestionLog

            status["policy"] = policy_status(settings)
            log = SuggestionLog(settings.home / "suggestions.sqlite")
            status["policy"]["suggestions"] = log.summary()
            log.close()
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
BENCHMARKS = ["overhead", "core", "index", "scale", "search", "generators", "policy", "learn", "intent"]


def cmd_bench(ns: argparse.Namespace) -> int:
    import importlib

    mod = importlib.import_module(f"toolorch.bench.{ns.which}")
    result = mod.main(ns.rest)
    return int(result or 0)


def cmd_train(ns: argparse.Namespace) -> int:
    if ns.simulate and ns.ship:
        from toolorch.bench.learn.warmstart import ship
        from toolorch.rl.shipped import WARM_DIR

        print(f"training the shipped warm-start policy in simulation ({ns.simulate} episodes) → {WARM_DIR}", file=sys.stderr)
        meta = ship(episodes=ns.simulate, seed=ns.seed)
        _print_json({k: v for k, v in meta.items() if k != "vocab"})
        return 0
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
    s.add_argument("--strategy", choices=["auto", "sequential", "parallel", "adaptive", "rl_optimized"])
    s.add_argument("--detail", choices=["summary", "full"], help="summary (default) or every step's output")
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
    s.add_argument("--ship", action="store_true",
                   help="with --simulate: write the result as the package's shipped policy (toolorch/rl/warm/)")
    s.set_defaults(fn=cmd_train)
    return p


def main(argv: list[str] | None = None) -> None:
    ns = build_parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if ns.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    import pydantic

    from toolorch.errors import ConfigError, OrchestrationError, PlanningError, RegistryError, UnknownToolError

    try:
        code = ns.fn(ns)
    except (ConfigError, RegistryError) as exc:  # bad configuration: one line, not a traceback
        print(f"toolorch: {exc}", file=sys.stderr)
        code = 2
    except (OrchestrationError, PlanningError, UnknownToolError) as exc:  # a request that cannot run
        print(f"toolorch {ns.command}: {exc.message}", file=sys.stderr)
        code = 2
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        print(f"toolorch {ns.command}: {'.'.join(map(str, err['loc'])) or '(request)'}: {err['msg']}", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
