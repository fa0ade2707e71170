"""bench core's orchestrate hot path still runs its 3 cached steps (a goal alone would now be read
and, unsure, run nothing); bench intent scores right / unsure / wrong as documented."""

from __future__ import annotations

from pathlib import Path

import anyio

from toolorch.bench.core import _engine_overhead
from toolorch.bench.intent import evaluate
from toolorch.bench.learn.suite import Task
from toolorch.engine.intent import IntentIndex
from toolorch.registry import Registry

SUPPORT = Path(__file__).resolve().parents[1] / "support" / "registry"


def test_engine_overhead_runs_its_cached_steps() -> None:
    out = anyio.run(_engine_overhead, 3)
    assert out["engine_3_cached_steps_ms"] > 0 and out["engine_goal_ms"] == 5.0


def test_intent_evaluation_counts_right_unsure_and_wrong() -> None:
    registry = Registry.load(SUPPORT)
    tasks = [
        Task("t1", "beta", "make beta", {"seed": "s"}, "beta", split="test"),     # right: a → b
        Task("t2", "gamma", "make gamma", {"seed": "s"}, "beta", split="train"),  # sure, but the wrong plan
        Task("t3", "x", "do the usual", {"seed": "s"}, "delta", split="test"),    # unsure
    ]
    rows = evaluate(IntentIndex(registry), tasks, [0.5])
    row = rows[0]
    assert row["scorer"] == "lexical" and row["tasks"] == 3 and row["threshold"] == 0.5
    assert row["accuracy"] == round(1 / 3, 3) and row["sure"] == round(2 / 3, 3)
    assert row["accuracy_when_sure"] == 0.5 and row["wrong_and_sure"] == round(1 / 3, 3)
    assert row["accuracy_test"] == 0.5 and row["accuracy_train"] == 0.0
