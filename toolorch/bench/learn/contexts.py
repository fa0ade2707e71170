"""`--env contexts` and `--env drift`: what no planner can know, drawn per seed.

A contexts suite (suites/contexts.json, public format below) adds to the task suite:

- `projects`: contexts with features (language, size bucket, backends bound per tool) and a split
  (train projects are played while learning; test projects only in the held-out evaluation, so
  "unseen contexts" are projects — and feature combinations — never seen in training);
- `alternatives`: registry entries copied from a tool (`like`) under a new name, description,
  cost and backend: the same `produces`, so several tools can make one artifact;
- `hidden_intents`: tasks of these intents hide their deliverable from every agent but the
  oracle; the episode does not end when it is made: the agent must STOP, and the STOP is judged;
- `hidden`: the priors of the hidden parameters; `cost_by_size`: how true cost scales with size;
- `drift`: a tool whose success rate drops to `success` from `start` to `end` (fractions of the
  run), then recovers.

Hidden parameters, drawn per seed (`HiddenParams`): for each tool a success logit
base + language effect + size effect + effect of its bound backend (normal draws with the scales
in `hidden`); for each group of alternatives, the registry's preferred member (cheapest by the
registry's costs) is broken for one language with probability `broken_preferred`, another member
for another language with probability `broken_other`: a broken call fails NON-retryably (the
repeat-failure mask then blocks it). True cost = registry cost × cost_by_size × lognormal noise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolorch.bench.learn.env import EpisodeRun, StepRecord
from toolorch.bench.learn.suite import Task
from toolorch.core.context_features import Context, RecentOutcomes
from toolorch.core.state import State
from toolorch.errors import ConfigError
from toolorch.rl.labels import CostReference, StepTrace, hindsight_stop, served_goal, stop_label, used_output_labels
from toolorch.rl.mask import args_key, blocked_tools, record_failure
from toolorch.rl.state import useful_tools
from toolorch.stores.experience import STOP, Experience

if TYPE_CHECKING:
    from toolorch.registry.registry import Registry

DEFAULT_CONTEXTS = Path(__file__).resolve().parent / "suites" / "contexts.json"


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    language: str
    size: str
    backends: dict[str, str]
    split: str = "train"


@dataclass(frozen=True, slots=True)
class DriftEvent:
    tool: str
    start: float
    end: float
    success: float


@dataclass
class ContextSuite:
    projects: list[Project]
    alternatives: list[dict[str, Any]]
    hidden_intents: set[str]
    hidden: dict[str, Any]
    cost_by_size: dict[str, dict[str, float]]
    drift: list[DriftEvent] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path | str = DEFAULT_CONTEXTS) -> ContextSuite:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(
                projects=[Project(**p) for p in data["projects"]],
                alternatives=list(data.get("alternatives", [])),
                hidden_intents=set(data.get("hidden_intents", [])),
                hidden=dict(data.get("hidden", {})),
                cost_by_size=dict(data.get("cost_by_size", {})),
                drift=[DriftEvent(**d) for d in data.get("drift", [])],
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"contexts suite {path}: {exc}; see toolorch/bench/learn/contexts.py") from exc

    def split_projects(self, split: str) -> list[Project]:
        return [p for p in self.projects if p.split == split]


def with_alternatives(registry: Registry, alternatives: Sequence[dict[str, Any]]) -> Registry:
    """The registry plus each alternative: a copy of its `like` tool under the new name, with its
    title, description, cost and latency (same schemas, consumes and produces)."""
    from toolorch.registry.registry import Registry

    tools = list(registry)
    for alt in alternatives:
        base = registry.get(alt["like"])
        update: dict[str, Any] = {k: alt[k] for k in ("name", "title", "description", "cost", "latency_ms") if k in alt}
        tools.append(base.model_copy(update=update))
    return Registry(tools, registry.models)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class HiddenParams:
    """Per seed: each tool's success probability, true cost and latency in each project."""

    def __init__(self, registry: Registry, suite: ContextSuite, seed: int) -> None:
        rng = np.random.default_rng([seed, 77])
        h = suite.hidden
        self.registry, self.suite = registry, suite
        mean, sd = h.get("base_logit", [2.6, 0.5])
        langs = sorted({p.language for p in suite.projects})
        sizes = ["small", "medium", "large"]
        kinds = ["embedded", "http", "mcp"]
        self.logit: dict[str, dict[str, Any]] = {}
        for spec in registry:
            self.logit[spec.name] = {
                "base": float(rng.normal(mean, sd)),
                "language": {lang: float(rng.normal(0, h.get("language", 1.0))) for lang in langs},
                "size": {s: float(rng.normal(0, h.get("size", 0.6))) for s in sizes},
                "backend": {k: float(rng.normal(0, h.get("backend", 0.9))) for k in kinds},
            }
        self.broken: set[tuple[str, str]] = set()
        for group in self._groups():
            preferred = min(group, key=lambda t: (registry.get(t).cost, registry.names.index(t)))
            first = langs[int(rng.integers(len(langs)))]
            if rng.random() < h.get("broken_preferred", 1.0):
                self.broken.add((preferred, first))
            others = [t for t in group if t != preferred]
            if others and rng.random() < h.get("broken_other", 0.3):
                rest = [lang for lang in langs if lang != first]
                self.broken.add((others[int(rng.integers(len(others)))], rest[int(rng.integers(len(rest)))]))
        noise = h.get("cost_noise", 0.15)
        self.cost_mult = {(t, s): float(suite.cost_by_size.get(t, {}).get(s, 1.0) * math.exp(rng.normal(0, noise)))
                          for t in registry.names for s in sizes}

    def _groups(self) -> list[list[str]]:
        """Alternatives: tools that produce exactly the same artifacts (more than one member)."""
        by_products: dict[frozenset[str], list[str]] = {}
        for name, made in self.registry.dataflow.made_by.items():
            by_products.setdefault(made, []).append(name)
        return [g for g in by_products.values() if len(g) > 1]

    def backend(self, tool: str, project: Project) -> str:
        alt = next((a for a in self.suite.alternatives if a["name"] == tool), None)
        if alt is not None:
            return str(alt.get("backend", "embedded"))
        return project.backends.get(tool, "embedded")

    def success(self, tool: str, project: Project, progress: float) -> float:
        """P(a call succeeds); 0 when the tool is broken for the project's language."""
        if (tool, project.language) in self.broken:
            return 0.0
        for d in self.suite.drift:
            if d.tool == tool and d.start <= progress < d.end:
                return d.success
        p = self.logit[tool]
        x = p["base"] + p["language"].get(project.language, 0.0) + p["size"][project.size]
        return _sigmoid(x + p["backend"][self.backend(tool, project)])

    def cost(self, tool: str, project: Project) -> float:
        return self.registry.get(tool).cost * self.cost_mult[(tool, project.size)]

    def latency_ms(self, tool: str, project: Project) -> float:
        return self.registry.get(tool).latency_ms * self.cost_mult[(tool, project.size)]


def context_tasks(tasks: Sequence[Task], suite: ContextSuite, split: str, projects: Sequence[Project]) -> list[Task]:
    """Every task of `split` in every project: inputs get the project's path and language."""
    out = []
    for t in tasks:
        if t.split != split:
            continue
        for p in projects:
            inputs = dict(t.inputs)
            if "project_path" in inputs:
                inputs["project_path"] = f"/projects/{p.id}"
            if "language" in inputs:
                inputs["language"] = p.language
            extra = {**t.extra, "project": p.id, "hidden": t.intent in suite.hidden_intents}
            out.append(Task(f"{t.id}@{p.id}", t.intent, t.goal, inputs, t.deliverable, t.budget, t.split, extra))
    return out


@dataclass
class ContextRun(EpisodeRun):
    """An episode in a project: the state carries its context and the repeat-failure facts; a
    hidden deliverable does not end the episode (the agent must STOP)."""

    project: Project | None = None
    context: Context = field(default_factory=Context)
    recent: RecentOutcomes | None = None
    failed_calls: tuple[tuple[str, str], ...] = ()
    stop_desirable: bool | None = None
    costs: CostReference | None = None     # the cost-efficiency relabelling (same for every learner)

    @property
    def hidden(self) -> bool:
        return bool(self.task.extra.get("hidden"))

    @property
    def done(self) -> bool:
        return self.stopped or (self.delivered and not self.hidden) or len(self.steps) >= self.max_steps

    def current_context(self) -> Context:
        if self.recent is None:
            return self.context
        return Context(self.context.language, self.context.size, self.context.backends, self.recent.snapshot(),
                       self.context.deliverable)

    def cost_key(self) -> str:
        return f"{self.context.language}|{self.context.size}"

    def call_key(self, tool: str) -> str:
        return args_key(self.registry.dataflow.bind(tool, self.artifacts))

    def state(self) -> State:
        keys = [(t, self.call_key(t)) for t in dict.fromkeys(t for t, _ in self.failed_calls)]
        return State.of(self.task.goal, self.inputs, self.made(), self.history, self.current_context(),
                        self.failed_calls, keys)

    def feasible(self) -> list[str]:
        """`useful_tools` minus the repeat-failure mask: what every agent is offered."""
        blocked = blocked_tools(self.state()) if self.failed_calls else set()
        return [t for t in useful_tools(self.registry.dataflow, self.artifacts) if t not in blocked]

    def label(self) -> None:
        """Visible deliverable: `served_goal`. Hidden: the outputs the agent used afterwards are
        the deliverable's (its maker is the one used output), `used_output_labels`; the STOP is
        judged by `stop_label` (desirable when the deliverable existed when it stopped)."""
        d = self.task.deliverable
        maker = next((i for i, s in enumerate(self.steps) if s.action == d and s.success), None)
        if maker is None:
            maker = self.producer.get(d)
        traces = [StepTrace(s.action, s.skipped is None, s.success, frozenset(s.inputs_from)) for s in self.steps]
        if self.hidden:
            labels = used_output_labels(traces, [] if maker is None else [maker])
        else:
            labels = served_goal(traces, d, maker, self.registry.dataflow)
        if self.costs is not None and self.project is not None:
            flow = self.registry.dataflow
            labels = self.costs.relabel(labels, [s.action for s in self.steps],
                                        [flow.made_by[s.action] for s in self.steps], self.cost_key())
        for s, good in zip(self.steps, labels, strict=True):
            s.desirable = good
        self.stop_desirable = stop_label(self.delivered) if self.stopped else None

    def experiences(self) -> list[Experience]:
        exps = super().experiences()
        if self.stopped and exps and exps[-1].action == STOP:
            exps[-1].desirable = bool(self.stop_desirable)
            exps[-1].state = self.state()
        k = hindsight_stop([s.desirable for s in self.steps], self.delivered) if self.hidden else None
        if k is not None and k < len(self.steps):     # it went on after the goal was served
            s = self.steps[k]
            before = s.state_before or State(self.task.goal, self.inputs, s.artifacts_before, s.history_before)
            exps.append(Experience(before, action=STOP, desirable=True, success=True,
                                   label_source="hindsight", workflow_id=self.workflow_id, step=k,
                                   strategy="bench"))
        return exps


class ContextEnv:
    """Simulated outcomes from the hidden parameters; one instance per agent (its own recent
    outcomes per project, as each agent would have its own data dir)."""

    def __init__(self, registry: Registry, suite: ContextSuite, params: HiddenParams, episodes: int,
                 max_steps: int = 8) -> None:
        self.registry, self.suite, self.params = registry, suite, params
        self.episodes, self.max_steps = max(1, episodes), max_steps
        self.projects = {p.id: p for p in suite.projects}
        self.recent: dict[str, RecentOutcomes] = {}
        self.costs = CostReference()
        self.record = True          # False in evaluations: they leave no trace

    def project_of(self, task: Task) -> Project:
        return self.projects[str(task.extra["project"])]

    def progress(self, episode: int) -> float:
        return episode / self.episodes

    def start(self, task: Task, episode: int = 0, noise: np.ndarray | None = None) -> ContextRun:
        p = self.project_of(task)
        if noise is None:
            noise = np.random.default_rng().random(self.max_steps)
        backends = tuple((t, self.params.backend(t, p)) for t in self.registry.names
                         if t in p.backends or self.params.backend(t, p) != "embedded")
        recent = self.recent.setdefault(p.id, RecentOutcomes()) if self.record else None
        visible = not task.extra.get("hidden", False)
        if not self.record:
            snapshot = self.recent.get(p.id)
            ctx = Context(p.language, p.size, backends, snapshot.snapshot() if snapshot else (), visible)
        else:
            ctx = Context(p.language, p.size, backends, deliverable=visible)
        return ContextRun(task, self.registry, self.max_steps, episode=episode, noise=noise, project=p,
                          context=ctx, recent=recent, costs=self.costs)

    def step(self, run: EpisodeRun, action: str, prob: float | None = None) -> StepRecord | None:
        assert isinstance(run, ContextRun) and run.project is not None
        if run.done:
            raise ValueError("the episode is over; start a new one")
        if action == STOP:
            run.stop(prob)
            run.label()
            return None
        missing = self.registry.dataflow.missing(action, run.artifacts)
        if missing:
            raise ValueError(f"{action} is infeasible: it needs {missing}")
        before = run.state()
        key = run.call_key(action)
        cost = self.params.cost(action, run.project)
        budget = run.task.budget
        if budget is not None and run.cost + cost > budget + 1e-9:
            record = run.apply(action, prob, False, {}, 0.0, 0.0, skipped=f"budget {budget:g} would be exceeded")
        else:
            assert run.noise is not None
            p = self.params.success(action, run.project, self.progress(run.episode))
            ok = float(run.noise[len(run.steps)]) >= 1.0 - p
            outputs = {pr.field: f"<{pr.artifact}>" for pr in self.registry.get(action).produces if pr.field}
            record = run.apply(action, prob, ok, outputs if ok else {}, cost, self.params.latency_ms(action, run.project))
            if not ok and p == 0.0:
                run.failed_calls = record_failure(run.failed_calls, action, key, retryable=False)
            if run.recent is not None:
                run.recent.record(action, ok)
            if self.record:
                self.costs.observe(self.registry.dataflow.made_by[action], run.cost_key(), action, cost, ok)
        record.state_before = before
        if run.done:
            run.label()
        return record
