"""The environment: episodes over the registry's dataflow, with simulated tool outcomes.

An episode is one task. At each step the agent picks a feasible tool (its required artifacts are
available: the task's inputs plus what earlier successful steps made) or STOP. The episode ends
when the deliverable exists (as the orchestrator's rl_optimized loop does), at STOP, or after
`max_steps`. A tool call fails with probability `failure_rate(tool)` (drawn from per-episode
uniforms shared by all agents: common random numbers, so agents face the same luck), costs its
cost, and takes its latency (summed, never slept). A step that would exceed the task's budget is
not run: it costs nothing and counts as a failed step.

Labels: `toolorch.rl.labels.served_goal`, the rule the orchestrator uses in production (provenance of
the deliverable, first producer keeps the credit, failed attempts at the deliverable credit what they
used); a STOP is undesirable (it always comes before the goal, since delivery ends the episode).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolorch.core.state import State
from toolorch.errors import ConfigError
from toolorch.rl.labels import StepTrace, served_goal
from toolorch.rl.state import useful_tools
from toolorch.stores.experience import STOP, Experience

if TYPE_CHECKING:
    from toolorch.bench.learn.suite import Task
    from toolorch.registry.registry import Registry


@dataclass(frozen=True, slots=True)
class Degrade:
    """Nonstationarity: from episode `after`, `tool` fails with probability `failure_rate`."""

    tool: str
    after: int
    failure_rate: float

    @classmethod
    def parse(cls, text: str) -> Degrade:
        """`TOOL:EPISODE:RATE`, e.g. `n8n_generate_components:150:0.9`."""
        try:
            tool, after, rate = text.split(":")
            return cls(tool, int(after), float(rate))
        except ValueError:
            raise ConfigError(f"--degrade {text!r}: expected TOOL:EPISODE:RATE, e.g. lean4_generate_specs:150:0.9") from None


@dataclass(slots=True)
class EnvConfig:
    """Per-tool behaviour of the simulator. Costs and latencies default to the registry's."""

    max_steps: int = 8
    """Steps per episode (the orchestrator's max_steps)."""
    default_failure_rate: float = 0.03
    """Failure probability of a tool not listed in `failure_rates`."""
    failure_rates: dict[str, float] = field(default_factory=lambda: {
        "scip_index_code": 0.08,           # external indexers fail now and then
        "n8n_generate_workflow": 0.5,      # flaky: the cheaper of two n8n producers, but unreliable
    })
    cost: dict[str, float] = field(default_factory=dict)
    """Cost overrides (default: the registry's `cost`)."""
    latency_ms: dict[str, float] = field(default_factory=dict)
    """Latency overrides (default: the registry's `latency_ms`)."""
    degrade: Degrade | None = None

    def failure_rate(self, tool: str, episode: int) -> float:
        if self.degrade is not None and tool == self.degrade.tool and episode >= self.degrade.after:
            return self.degrade.failure_rate
        return self.failure_rates.get(tool, self.default_failure_rate)

    def without_failures(self) -> EnvConfig:
        return EnvConfig(self.max_steps, 0.0, {}, dict(self.cost), dict(self.latency_ms), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, path: Path | str) -> EnvConfig:
        """Fields as above, e.g. {"failure_rates": {"lean4_generate_specs": 0.2}, "max_steps": 6}."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"env config {path}: {exc}") from exc
        degrade = data.pop("degrade", None)
        try:
            config = cls(**data)
        except TypeError as exc:
            raise ConfigError(f"env config {path}: {exc}; fields: {list(cls.__dataclass_fields__)}") from exc
        if degrade is not None:
            config.degrade = Degrade(**degrade) if isinstance(degrade, dict) else Degrade.parse(degrade)
        return config


@dataclass(slots=True)
class StepRecord:
    action: str
    prob: float | None
    success: bool
    cost: float
    latency_ms: float
    artifacts_before: list[str]
    history_before: list[tuple[str, bool]]
    skipped: str | None = None
    desirable: bool = False
    inputs_from: set[int] = field(default_factory=set)   # steps whose artifacts it consumed
    state_before: State | None = None   # the full state before the step, when the env keeps more
                                        # than artifacts and history (context, failed calls)


@dataclass
class EpisodeRun:
    """The running state of one episode, and its labels once it is over."""

    task: Task
    registry: Registry
    max_steps: int
    workflow_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    artifacts: dict[str, Any] = field(default_factory=dict)   # inputs + made (latest value)
    producer: dict[str, int] = field(default_factory=dict)    # artifact → index of latest producer
    history: list[tuple[str, bool]] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    cost: float = 0.0
    latency_ms: float = 0.0
    stopped: bool = False
    stop_prob: float | None = None
    episode: int = 0
    noise: np.ndarray | None = None     # (max_steps,) uniforms deciding the simulated failures

    def __post_init__(self) -> None:
        # the goal text is an artifact too (qdrant's text defaults to it), as in orchestrate
        self.artifacts = {"goal": self.task.goal, **self.task.inputs}

    # -- what the agent sees ------------------------------------------------------------------
    @property
    def inputs(self) -> list[str]:
        return sorted(self.task.inputs)

    def made(self) -> list[str]:
        return [a for a in self.artifacts if a not in self.task.inputs and a != "goal"]

    def state(self) -> State:
        return State.of(self.task.goal, self.inputs, self.made(), self.history)

    def feasible(self) -> list[str]:
        """The tools offered to every agent (registry order): required artifacts available and
        something new to make — the same rule as the policy's action mask (`useful_tools`)."""
        return useful_tools(self.registry.dataflow, self.artifacts)

    # -- progress -----------------------------------------------------------------------------
    @property
    def delivered(self) -> bool:
        d = self.task.deliverable
        if d in self.registry.dataflow.tools:
            return any(s.action == d and s.success for s in self.steps)
        return d in self.producer

    @property
    def done(self) -> bool:
        return self.stopped or self.delivered or len(self.steps) >= self.max_steps

    @property
    def success(self) -> bool:
        return self.delivered

    def apply(self, action: str, prob: float | None, success: bool, outputs: dict[str, Any],
              cost: float, latency_ms: float, skipped: str | None = None) -> StepRecord:
        """Record one tool call's outcome (the caller decided success: simulator or engine)."""
        flow = self.registry.dataflow
        index = len(self.steps)
        record = StepRecord(action, prob, success, cost, latency_ms, self.made(), list(self.history), skipped)
        for c in flow.tools[action].consumes:   # the steps whose artifacts this one consumes
            if c.artifact in self.producer:
                record.inputs_from.add(self.producer[c.artifact])
        self.steps.append(record)
        self.cost += cost
        self.latency_ms += latency_ms
        self.history.append((action, success))
        if success:
            made = flow.artifacts_of(action, outputs)
            for a in made:
                if a not in self.artifacts:   # only NEW artifacts: a re-run that remakes what
                    self.producer[a] = index  # exists serves nothing and stays undesirable
            self.artifacts.update(made)
        return record

    def stop(self, prob: float | None) -> None:
        self.stopped, self.stop_prob = True, prob

    # -- labels -------------------------------------------------------------------------------
    def label(self) -> None:
        """Desirable = served the goal (toolorch.rl.labels): in the provenance of the deliverable,
        or of the attempts to make it when it was not made."""
        d = self.task.deliverable
        maker = next((i for i, s in enumerate(self.steps) if s.action == d and s.success), None)
        if maker is None:
            maker = self.producer.get(d)
        traces = [StepTrace(s.action, s.skipped is None, s.success, frozenset(s.inputs_from)) for s in self.steps]
        for s, good in zip(self.steps, served_goal(traces, d, maker, self.registry.dataflow), strict=True):
            s.desirable = good

    def experiences(self) -> list[Experience]:
        """The KTO experiences of this episode (labels applied), as the engine would log them."""
        self.label()
        g, inputs = self.task.goal, self.inputs
        exps = [
            Experience(s.state_before or State(g, inputs, s.artifacts_before, s.history_before), action=s.action,
                       desirable=s.desirable, success=s.success, label_source="goal",
                       propensity=s.prob, workflow_id=self.workflow_id, step=i, strategy="bench",
                       error_kind=None if s.success else ("budget" if s.skipped else "simulated"),
                       latency_s=s.latency_ms / 1e3, cost=s.cost)
            for i, s in enumerate(self.steps)
        ]
        if self.stopped:
            exps.append(Experience(self.state(), action=STOP, desirable=self.success, success=True, label_source="goal",
                                   propensity=self.stop_prob, workflow_id=self.workflow_id, step=len(self.steps),
                                   strategy="bench"))
        return exps


class SimEnv:
    """Simulated tool outcomes over the registry's dataflow."""

    def __init__(self, registry: Registry, config: EnvConfig | None = None) -> None:
        self.registry = registry
        self.config = config or EnvConfig()
        unknown = {*self.config.failure_rates, *self.config.cost, *self.config.latency_ms} - set(registry.names)
        if self.config.degrade is not None:
            unknown |= {self.config.degrade.tool} - set(registry.names)
        if unknown:
            raise ConfigError(f"env config names unknown tools {sorted(unknown)}; known: {registry.names}")

    def cost(self, tool: str) -> float:
        return self.config.cost.get(tool, self.registry.get(tool).cost)

    def latency(self, tool: str) -> float:
        return self.config.latency_ms.get(tool, self.registry.get(tool).latency_ms)

    def start(self, task: Task, episode: int = 0, noise: np.ndarray | None = None) -> EpisodeRun:
        if noise is None:
            noise = np.random.default_rng().random(self.config.max_steps)
        return EpisodeRun(task, self.registry, self.config.max_steps, episode=episode, noise=noise)

    def step(self, run: EpisodeRun, action: str, prob: float | None = None) -> StepRecord | None:
        """Take an action; STOP ends the episode. An infeasible tool raises ValueError."""
        if run.done:
            raise ValueError("the episode is over; start a new one")
        record = self._step(run, action, prob)
        if run.done:
            run.label()
        return record

    def _step(self, run: EpisodeRun, action: str, prob: float | None) -> StepRecord | None:
        if action == STOP:
            run.stop(prob)
            return None
        missing = self.registry.dataflow.missing(action, run.artifacts)
        if missing:
            raise ValueError(f"{action} is infeasible: it needs {missing}")
        cost = self.cost(action)
        budget = run.task.budget
        if budget is not None and run.cost + cost > budget + 1e-9:
            return run.apply(action, prob, False, {}, 0.0, 0.0, skipped=f"budget {budget:g} would be exceeded")
        assert run.noise is not None
        ok = float(run.noise[len(run.steps)]) >= self.config.failure_rate(action, run.episode)
        outputs = {p.field: f"<{p.artifact}>" for p in self.registry.get(action).produces if p.field}
        return run.apply(action, prob, ok, outputs if ok else {}, cost, self.latency(action))
