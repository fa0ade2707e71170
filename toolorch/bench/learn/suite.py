"""The task suite: a public JSONL format, a loader, and a validator against the registry.

One task per line:

    {"id": "lean4-2", "intent": "lean4", "goal": "Write formal Lean specs of this repository's functions",
     "inputs": {"project_path": "$FIXTURES/rust", "language": "rust"},
     "deliverable": "lean4_file_path", "budget": 4.0, "split": "train"}

- `id`: unique. `intent`: what the phrasing means; several phrasings share one intent.
- `goal`: the text the agent sees (embedded; paraphrases of one intent should land close).
- `inputs`: artifact name → value. The simulator uses only the names; `--mode real` uses the values
  (`$FIXTURES` expands to tests/fixtures/sample_project).
- `deliverable`: an artifact some tool produces, or a tool name (that tool must succeed).
- `budget` (optional): cost units the workflow may spend; a step that would exceed it is not run.
- `split`: `train` or `test`. Split BY PHRASING: every test task's intent also has train
  phrasings, and no goal text appears in both splits (held-out phrasings of known intents).

Validation uses the registry's dataflow (artifacts, producers, `plan_for`), never a hard-coded
pipeline, so a suite keeps working when tools are added.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolorch.errors import ConfigError, PlanningError

if TYPE_CHECKING:
    from toolorch.registry.registry import Registry

DEFAULT_SUITE = Path(__file__).resolve().parent / "suites" / "default.jsonl"
SPLITS = ("train", "test")


@dataclass(frozen=True, slots=True)
class Task:
    """One episode's specification."""

    id: str
    intent: str
    goal: str
    inputs: dict[str, Any]
    deliverable: str
    budget: float | None = None
    split: str = "train"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "") -> Task:
        missing = [k for k in ("id", "intent", "goal", "inputs", "deliverable") if k not in data]
        if missing:
            raise ConfigError(f"{where}: task lacks {', '.join(missing)}; see toolorch/bench/learn/suite.py")
        if not isinstance(data["inputs"], dict):
            raise ConfigError(f"{where}: 'inputs' must be an object of artifact name → value")
        split = data.get("split", "train")
        if split not in SPLITS:
            raise ConfigError(f"{where}: split {split!r} must be one of {SPLITS}")
        budget = data.get("budget")
        known = {"id", "intent", "goal", "inputs", "deliverable", "budget", "split"}
        return cls(
            id=str(data["id"]), intent=str(data["intent"]), goal=str(data["goal"]),
            inputs=dict(data["inputs"]), deliverable=str(data["deliverable"]),
            budget=None if budget is None else float(budget), split=split,
            extra={k: v for k, v in data.items() if k not in known},
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "intent": self.intent, "goal": self.goal,
                               "inputs": self.inputs, "deliverable": self.deliverable}
        if self.budget is not None:
            out["budget"] = self.budget
        out["split"] = self.split
        return {**out, **self.extra}


def load_suite(path: Path | str = DEFAULT_SUITE) -> list[Task]:
    """Tasks of a JSONL file (blank lines and lines starting with '#' are skipped)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"task suite {path} does not exist; pass --suite with a JSONL file")
    tasks = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        tasks.append(Task.from_dict(data, f"{path}:{n}"))
    return tasks


def split(tasks: Iterable[Task], name: str) -> list[Task]:
    return [t for t in tasks if t.split == name]


def validate_suite(tasks: Sequence[Task], registry: Registry, min_tasks: int = 1) -> list[str]:
    """Problems with a suite (empty list = valid): unknown artifacts, unreachable or already
    present deliverables, budgets below the cheapest plan, duplicate ids, a split that is not by
    phrasing."""
    flow = registry.dataflow
    known = set(flow.producers) | {c.artifact for s in registry for c in s.consumes}
    problems: list[str] = []
    if len(tasks) < min_tasks:
        problems.append(f"{len(tasks)} tasks, fewer than {min_tasks}")
    for tid, n in Counter(t.id for t in tasks).items():
        if n > 1:
            problems.append(f"task id {tid!r} appears {n} times")
    for t in tasks:
        unknown = sorted(set(t.inputs) - known)
        if unknown:
            problems.append(f"{t.id}: inputs {unknown} are no artifact of the registry")
        if t.deliverable in t.inputs:
            problems.append(f"{t.id}: deliverable {t.deliverable!r} is already an input")
            continue
        try:
            plan = flow.plan_for(t.deliverable, t.inputs)
        except PlanningError as exc:
            problems.append(f"{t.id}: {exc}")
            continue
        cost = sum(flow.tools[n].cost for n in plan)
        if t.budget is not None and cost > t.budget:
            problems.append(f"{t.id}: cheapest plan {plan} costs {cost:g} > budget {t.budget:g}")
    by_split = {s: {t.goal for t in tasks if t.split == s} for s in SPLITS}
    shared = by_split["train"] & by_split["test"]
    if shared:
        problems.append(f"goal texts in both splits: {sorted(shared)[:3]}")
    train_intents = {t.intent for t in tasks if t.split == "train"}
    for t in tasks:
        if t.split == "test" and t.intent not in train_intents:
            problems.append(f"{t.id}: intent {t.intent!r} has no train phrasing (split must be by phrasing)")
    return problems


def deliverable_tools(tasks: Iterable[Task], registry: Registry) -> set[str]:
    """Tools whose output some task delivers (by tool name, or as a producer of the artifact)."""
    flow = registry.dataflow
    out: set[str] = set()
    for t in tasks:
        if t.deliverable in flow.tools:
            out.add(t.deliverable)
        else:
            out |= set(flow.producers.get(t.deliverable, []))
    return out
