"""KTO labels of a workflow's steps: which steps served the goal (DESIGN.md, "KTO, stated exactly").

One rule for the orchestrator (production) and the learning benchmark's simulator, so the policy
learns from the same labels in both:

- A step is desirable when it succeeded and served the goal: its outputs were used by a step that
  served the goal, or it made the deliverable. That is the provenance of the deliverable, walked
  back through what each credited step consumed.
- Credit goes to an artifact's FIRST producer (re-running a tool that remakes what exists serves
  nothing; crediting the latest producer or any later use taught the policy to loop).
- When the deliverable was not made, the walk starts from the steps that tried to make it (they
  ran, and their tool produces the deliverable): those attempts failed and stay undesirable, but
  the steps whose outputs they used did serve the goal. Without this, one failed final call (a
  tool that fails half the time) labelled every correct step before it undesirable, and in states
  where the right tool's only alternative is STOP those labels pushed the policy onto STOP.
- A failed step, a refused step (budget, not run), a useless step and a STOP before the goal are
  undesirable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolorch.registry.dataflow import Dataflow


@dataclass(frozen=True, slots=True)
class StepTrace:
    """What labelling needs to know of one step (in workflow order; index = position)."""

    tool: str
    ran: bool                 # False when refused before running (over budget, skipped)
    success: bool
    used: frozenset[int]      # indices of the steps whose artifacts this one consumed


def makers_of(deliverable: str, dataflow: Dataflow) -> frozenset[str]:
    """The tools that can make the deliverable (an artifact name, or a tool name)."""
    if deliverable in dataflow.tools:
        return frozenset({deliverable})
    return frozenset(dataflow.producers.get(deliverable, ()))


def served_goal(steps: Sequence[StepTrace], deliverable: str, maker: int | None, dataflow: Dataflow) -> list[bool]:
    """Desirable (True) or not, per step. `maker`: index of the step that made the deliverable
    (its first producer), None when it was not made."""
    if maker is not None:
        roots: Iterable[int] = [maker]
    else:
        tools = makers_of(deliverable, dataflow)
        roots = [i for i, s in enumerate(steps) if s.ran and s.tool in tools]
    credited = provenance(roots, {i: s.used for i, s in enumerate(steps)})
    return [s.ran and s.success and i in credited for i, s in enumerate(steps)]


def provenance(roots: Iterable[int], used: Mapping[int, Iterable[int]]) -> set[int]:
    """The roots and every step they used, transitively."""
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        i = todo.pop()
        if i not in seen:
            seen.add(i)
            todo.extend(used.get(i, ()))
    return seen


# -- goals without a deliverable --------------------------------------------------------------
# Production has no deliverable to walk back from when an agent gives only a goal. What it does
# observe (issue 9, point 3): which outputs were USED (a later call — in this workflow or later in
# the session — consumed them) and the agent's feedback on the workflow. "Every success is
# desirable" would reward running every tool, so neither rule below credits an unused success.


def used_output_labels(steps: Sequence[StepTrace], used_later: Iterable[int] = (),
                       feedback: bool | None = None) -> list[bool]:
    """Desirable (True) or not, per step, for a goal without a deliverable.

    `used_later`: indices of the steps whose outputs a call AFTER the workflow consumed (the agent
    used them). A step is desirable when it succeeded and is in the provenance of those uses (it
    was used, or a credited step consumed what it made). `feedback` overrides: False makes every
    step undesirable; True with no observed use credits every successful step (the agent vouched
    for the whole workflow), and with observed uses credits their provenance as without it."""
    if feedback is False:
        return [False] * len(steps)
    roots = [i for i in used_later if 0 <= i < len(steps)]
    if feedback is True and not roots:
        return [s.ran and s.success for s in steps]
    credited = provenance(roots, {i: s.used for i, s in enumerate(steps)})
    return [s.ran and s.success and i in credited for i, s in enumerate(steps)]


def stop_label(served: bool | None, feedback: bool | None = None) -> bool | None:
    """The label of a STOP: desirable exactly when the goal was served when it stopped.

    `served`: what the caller observed (the deliverable existed; in production: every output the
    agent used afterwards had been made before the STOP). Feedback overrides it. None when neither
    is known: such a STOP is not a training example (its label would be a guess)."""
    if feedback is not None:
        return feedback
    return served


# -- cost ---------------------------------------------------------------------------------------
class CostReference:
    """Which maker of an artifact is cost-efficient where, learned from outcomes.

    Served-the-goal labels do not see cost: when two tools make the same artifacts and both
    succeed, both are desirable, and the policy has no reason to prefer the cheaper one. This keeps,
    per (artifacts a tool makes, context key), each tool's calls, successes and spend, so its
    expected cost to a success is spend / successes; `efficient` says whether a tool is within
    `tolerance` of the best such maker seen in that key (a tool never seen to succeed there is not
    judged: True). `relabel` turns a desirable step of an inefficient maker undesirable. One per
    data dir (the engine) or per agent (the benchmark: every learner gets the same labels).
    """

    def __init__(self, tolerance: float = 0.25) -> None:
        if tolerance < 0:
            raise ValueError(f"tolerance must be ≥ 0 (got {tolerance})")
        self.tolerance = tolerance
        self._stats: dict[tuple[frozenset[str], str], dict[str, list[float]]] = {}

    def observe(self, made: frozenset[str], key: str, tool: str, cost: float, success: bool) -> None:
        row = self._stats.setdefault((made, key), {}).setdefault(tool, [0.0, 0.0, 0.0])
        row[0] += 1.0
        row[1] += float(success)
        row[2] += float(cost)

    def expected_cost(self, made: frozenset[str], key: str, tool: str) -> float | None:
        """Spend per success of `tool` there (None before its first success)."""
        row = self._stats.get((made, key), {}).get(tool)
        return row[2] / row[1] if row and row[1] else None

    def efficient(self, made: frozenset[str], key: str, tool: str) -> bool:
        mine = self.expected_cost(made, key, tool)
        rows = self._stats.get((made, key), {})
        known = [c for t in rows if (c := self.expected_cost(made, key, t)) is not None]
        if mine is None or not known:
            return True
        return mine <= (1.0 + self.tolerance) * min(known) + 1e-9

    def relabel(self, labels: Sequence[bool], tools: Sequence[str], made: Sequence[frozenset[str]], key: str) -> list[bool]:
        """`labels` with every desirable step of an inefficient maker made undesirable."""
        return [good and self.efficient(m, key, t) for good, t, m in zip(labels, tools, made, strict=True)]


def hindsight_stop(step_labels: Sequence[bool], served: bool) -> int | None:
    """Where a STOP would have been right, in hindsight: the step index just after the last step
    that served the goal (its outputs were used), when the goal was served; None otherwise. A
    workflow that went on past it (useless steps, each undesirable) gets a desirable STOP example
    at that state: the policy learns to stop although it seldom tried to (a policy that never
    samples STOP would otherwise never see one desirable STOP)."""
    if not served or not any(step_labels):
        return None
    return 1 + max(i for i, good in enumerate(step_labels) if good)
