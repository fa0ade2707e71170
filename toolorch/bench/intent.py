"""`toolorch bench intent`: how well a goal without a deliverable is read, on the public task
suite's phrasings (toolorch/bench/learn/suites/default.jsonl; none of them was used to build the
intent index, which reads only the registry).

For each task the gold answer is the plan the task's deliverable needs from its inputs
(`plan_for`). A reading is *right* when the plan of its inferred deliverables is exactly that
plan (nothing missing, nothing extra), *unsure* when it asks for a deliverable, *wrong* otherwise.
Reported per scorer (MiniLM, lexical) and threshold: accuracy over all tasks, how many it is sure
of, accuracy when sure, and wrong-and-sure (the costly case: it runs the wrong tools).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from toolorch.errors import PlanningError


def _plan(registry: Any, deliverables: list[str], available: set[str]) -> set[str] | None:
    out: set[str] = set()
    for d in deliverables:
        try:
            out |= set(registry.dataflow.plan_for(d, available))
        except PlanningError:
            return None
    return out


def evaluate(index: Any, tasks: list[Any], thresholds: list[float]) -> list[dict[str, Any]]:
    """One row per threshold: right / unsure / wrong counts over `tasks`."""
    registry = index.registry
    gold = []
    for t in tasks:
        available = {*t.inputs, "goal"}
        gold.append((available, _plan(registry, [t.deliverable], available)))
    rows = []
    for thr in thresholds:
        index.threshold = thr
        right = unsure = wrong = 0
        right_by_split: dict[str, list[int]] = {}
        for t, (available, want) in zip(tasks, gold, strict=True):
            intent = index.infer(t.goal, available)
            got = _plan(registry, intent.deliverables, available) if intent.sure else None
            ok = intent.sure and got == want
            right += ok
            unsure += not intent.sure
            wrong += intent.sure and not ok
            right_by_split.setdefault(t.split, [0, 0])
            right_by_split[t.split][0] += ok
            right_by_split[t.split][1] += 1
        n = len(tasks)
        sure = n - unsure
        rows.append({
            "scorer": index.scorer, "threshold": thr, "tasks": n,
            "accuracy": round(right / n, 3), "sure": round(sure / n, 3),
            "accuracy_when_sure": round(right / sure, 3) if sure else None,
            "wrong_and_sure": round(wrong / n, 3),
            **{f"accuracy_{k}": round(v[0] / v[1], 3) for k, v in sorted(right_by_split.items())},
        })
    return rows


def run(scorers: list[str], thresholds: list[float]) -> list[dict[str, Any]]:
    from toolorch.bench.learn.suite import load_suite
    from toolorch.config import load_settings
    from toolorch.engine.intent import IntentIndex
    from toolorch.registry import Registry

    settings = load_settings()
    registry = Registry.for_settings(settings)
    tasks = load_suite()
    rows: list[dict[str, Any]] = []
    for scorer in scorers:
        embed = None
        if scorer == "minilm":
            from toolorch.backends.vectors.embedder import Embedder

            embed = Embedder(settings).embed
        rows += evaluate(IntentIndex(registry, embed), tasks, thresholds)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="toolorch bench intent", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scorer", action="append", choices=["minilm", "lexical"],
                   help="repeatable; default both")
    p.add_argument("--threshold", action="append", type=float, help="repeatable; default 0.3 … 0.8")
    ns = p.parse_args(argv)
    rows = run(ns.scorer or ["minilm", "lexical"], ns.threshold or [0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    for row in rows:
        print(json.dumps(row))
    return 0
