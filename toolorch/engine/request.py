"""The orchestrate request: validated at the edge (MCP, CLI, Python API) with pydantic."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strategy(str, Enum):
    AUTO = "auto"               # chosen per request by engine/selector.py, which says why
    SEQUENTIAL = "sequential"   # in order, fail fast
    PARALLEL = "parallel"       # all at once (bounded concurrency); no step waits for another
    ADAPTIVE = "adaptive"       # dependency DAG from the dataflow; independent steps concurrently
    RL_OPTIMIZED = "rl_optimized"  # the KTO policy picks the next tool until STOP or the deliverable


class StepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool: str = Field(description="A registered tool name.")
    arguments: dict[str, Any] = Field(
        default_factory=dict,
        description="Arguments; '${artifact}' or '${<step id>.<output field>}' use earlier results.",
    )
    id: str | None = Field(None, description="Name later steps use to refer to this one (default: its index).")


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow_id: str = Field(description="An earlier workflow's id.")
    desirable: bool = Field(description="true: the workflow served you; false: it did not.")


class OrchestrateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal: str = Field("", max_length=4000, description="What the agent wants, in words.")
    inputs: dict[str, Any] = Field(
        default_factory=dict,
        description="Known values by ARTIFACT name (not tool argument name): project_path, language, "
        "search_text (qdrant's text), angle_query (glean's query), cypher_query, dataset_name, "
        "workflow_name, project_name, scip_index_path, lean4_file_path.",
    )
    steps: list[StepSpec] | None = Field(None, description="An explicit plan (else one is derived).")
    strategy: Strategy = Field(
        Strategy.AUTO,
        description="auto (default: chosen from the request, and the result says which and why); "
        "sequential (in order, stop at the first failure); parallel (every step at once, none waits); "
        "adaptive (the dependency DAG: independent steps concurrently, a failure skips only its "
        "dependents); rl_optimized (the learned KTO policy picks each next tool until STOP or the "
        "deliverable).",
    )
    deliverable: str | None = Field(
        None,
        description="What must come out: an artifact (workflow_path, lean4_file_path, graph_rows, facts, "
        "similar_symbols, lineage_graph, scip_index_path...) or a tool name; only the cheapest plan "
        "that makes it runs. Without one, the goal's words are read to infer it (the result says what "
        "was inferred, with what confidence, and asks when unsure). \"all\": every tool that can run.",
    )
    detail: Literal["summary", "full"] = Field(
        "summary",
        description="summary (default): per step tool, ok, key outputs, time, cost, plus the deliverable; "
        "large outputs are resource links (toolorch://workflows/...). full: every argument and output.",
    )
    max_steps: int = Field(20, ge=1, le=100)
    timeout_s: float | None = Field(None, gt=0, description="Wall-clock limit for the whole workflow.")
    cost_budget: float | None = Field(None, gt=0, description="Stop starting steps past this total cost.")
    explore: bool = Field(False, description="rl_optimized: sample (true) or act greedily (false).")
    feedback: Feedback | None = Field(None, description="Rate an earlier workflow (relabels its experiences).")

    @model_validator(mode="after")
    def _something_to_do(self) -> OrchestrateRequest:
        if self.feedback is None and not self.goal.strip() and not self.steps:
            raise ValueError("give a goal (and inputs), explicit steps, or feedback on a workflow")
        if self.steps is not None and self.strategy is Strategy.RL_OPTIMIZED:
            raise ValueError("rl_optimized plans by itself: drop `steps` or choose another strategy")
        return self
