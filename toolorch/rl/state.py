"""`StateEncoder`: the policy's view of a `State` (toolorch.core.state) as tokens.

A state (DESIGN.md, "KTO, stated exactly") is the goal, the inputs present, the artifacts produced
so far and the history of (tool, outcome). The encoder makes a short token sequence of it:

    [GOAL] [in:project_path] [in:language] [made:scip_index_path] ... [scip_index_code ok] ...

- GOAL: the goal's sentence embedding (all-MiniLM-L6-v2, 384-d), projected by the policy. Each goal
  text is embedded once and cached, so paraphrases land close and repeated goals cost nothing.
- one token per artifact present, from the registry's artifact vocabulary (an input given by the
  caller and an artifact made by a tool are different tokens);
- one token per history entry (tool × outcome) with its recency (0 = the latest step).

Actions are the registry's tools in registry order, then STOP. The mask of feasible actions comes
from the registry dataflow (`useful_tools`): a tool is offered when its required artifacts are
available and it would make at least one artifact that does not exist yet (re-running a tool whose
products all exist remakes them, which DESIGN.md's provenance labels call useless); STOP is always
feasible. This module needs numpy only (no torch), so the
engine can build states without loading the policy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from toolorch.core.state import State
from toolorch.errors import ConfigError
from toolorch.stores.experience import STOP

if TYPE_CHECKING:
    from toolorch.registry.dataflow import Dataflow
    from toolorch.registry.registry import Registry

#: `embed_fn(texts) -> (n, dim)` float array; production: toolorch.backends.vectors.embedder.
EmbedFn = Callable[[list[str]], np.ndarray]

PAD = 0  # token id 0 is padding in every sequence


@dataclass(frozen=True, slots=True)
class EncodedState:
    """One state as arrays, ready to be collated into a batch (see `policy.collate`)."""

    goal_vec: np.ndarray            # (goal_dim,) float32; zeros for an empty goal
    tokens: np.ndarray              # (L,) int64 token ids, no padding
    recency: np.ndarray             # (L,) int64; 0 for non-history tokens, 1 + steps-ago for history
    mask: np.ndarray                # (n_actions,) bool, feasible actions (STOP always True)


@dataclass(slots=True)
class Vocabulary:
    """Token ids and action indices derived from the registry, so they never drift from it."""

    actions: list[str]                              # registry order, then STOP
    artifacts: list[str]                            # sorted artifact names
    token_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_registry(cls, registry: Registry) -> Vocabulary:
        from toolorch.registry.dataflow import refs

        flow = registry.dataflow
        names = set(flow.producers)
        for spec in registry:
            names |= {c.artifact for c in spec.consumes}
            for tmpl in spec.planning_defaults.values():
                names |= refs(tmpl)
        vocab = cls(actions=[*registry.names, STOP], artifacts=sorted(names))
        ids = ["<pad>", "in:<unk>", "made:<unk>", "hist:<unk>:ok", "hist:<unk>:fail"]
        ids += [f"in:{a}" for a in vocab.artifacts] + [f"made:{a}" for a in vocab.artifacts]
        ids += [f"hist:{t}:{o}" for t in registry.names for o in ("ok", "fail")]
        vocab.token_ids = {name: i for i, name in enumerate(ids)}
        return vocab

    @property
    def n_tokens(self) -> int:
        return len(self.token_ids)

    @property
    def n_actions(self) -> int:
        return len(self.actions)

    def token(self, kind: str, name: str) -> int:
        return self.token_ids.get(f"{kind}:{name}", self.token_ids[f"{kind}:<unk>"])

    def history_token(self, tool: str, ok: bool) -> int:
        outcome = "ok" if ok else "fail"
        return self.token_ids.get(f"hist:{tool}:{outcome}", self.token_ids[f"hist:<unk>:{outcome}"])

    def to_dict(self) -> dict[str, list[str]]:
        return {"actions": list(self.actions), "tokens": list(self.token_ids)}


def makes_something_new(flow: Dataflow, tool: str, available: Iterable[str]) -> bool:
    """False when every artifact `tool` declares it produces already exists: running it again in
    this workflow could only remake them (the first producer keeps the provenance, so the call is
    useless by DESIGN.md's labels). A tool that declares no products is never excluded."""
    have = set(available)
    produced = {p.artifact for p in flow.tools[tool].produces}
    return not produced or not produced <= have


def useful_tools(flow: Dataflow, available: Iterable[str]) -> list[str]:
    """The actions offered at a state, in registry order: tools whose required artifacts are
    available (`Dataflow.feasible_tools`) and that would make at least one artifact that does not
    exist yet (`makes_something_new`). Derived from the registry's dataflow only, never from tool
    names; the policy's mask (rl_optimized) and every agent of `toolorch bench learn` use it."""
    have = set(available)
    return [t for t in flow.feasible_tools(have) if makes_something_new(flow, t, have)]


class StateEncoder:
    """State → `EncodedState`. Thread-safe: the engine and the trainer thread share one."""

    def __init__(
        self,
        registry: Registry,
        embed_fn: EmbedFn,
        *,
        goal_dim: int = 384,
        max_history: int = 16,
        cache_size: int = 4096,
    ) -> None:
        self.registry = registry
        self.vocab = Vocabulary.from_registry(registry)
        self.embed_fn = embed_fn
        self.goal_dim = goal_dim
        self.max_history = max_history
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # -- goal embeddings ----------------------------------------------------------------------
    def embed_goals(self, goals: Sequence[str]) -> list[np.ndarray]:
        """Embeddings of the goals, computing only the ones not cached (in one embed_fn call)."""
        with self._lock:
            todo = sorted({g for g in goals if g and g not in self._cache})
            if todo:
                vecs = np.asarray(self.embed_fn(todo), dtype=np.float32)
                if vecs.shape != (len(todo), self.goal_dim):
                    raise ConfigError(
                        f"embed_fn returned shape {vecs.shape} for {len(todo)} goals; the policy "
                        f"expects ({len(todo)}, {self.goal_dim}). Use the registry's embedding model "
                        f"or set PolicyConfig.goal_dim to its dimension."
                    )
                for g, v in zip(todo, vecs, strict=True):
                    self._cache[g] = v
            out = []
            for g in goals:
                if not g:
                    out.append(np.zeros(self.goal_dim, dtype=np.float32))
                    continue
                self._cache.move_to_end(g)
                out.append(self._cache[g])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return out

    # -- feasibility --------------------------------------------------------------------------
    def mask(self, state: State) -> np.ndarray:
        """Feasible actions (`useful_tools`: required artifacts available, and something new to
        make); STOP always."""
        useful = set(useful_tools(self.registry.dataflow, state.available))
        return np.array([t in useful for t in self.vocab.actions[:-1]] + [True], dtype=bool)

    # -- tokens -------------------------------------------------------------------------------
    def tokens(self, state: State) -> tuple[np.ndarray, np.ndarray]:
        ids = [self.vocab.token("in", a) for a in sorted(set(state.inputs_present))]
        made = set(state.artifacts) - set(state.inputs_present)
        ids += [self.vocab.token("made", a) for a in sorted(made)]
        recency = [0] * len(ids)
        recent = state.history[-self.max_history :]
        for ago, (tool, ok) in enumerate(reversed(recent)):
            ids.append(self.vocab.history_token(tool, ok))
            recency.append(1 + ago)
        return np.asarray(ids, dtype=np.int64), np.asarray(recency, dtype=np.int64)

    def encode(self, state: State) -> EncodedState:
        return self.encode_many([state])[0]

    def encode_many(self, states: Sequence[State]) -> list[EncodedState]:
        goals = self.embed_goals([s.goal for s in states])
        out = []
        for s, g in zip(states, goals, strict=True):
            tokens, recency = self.tokens(s)
            out.append(EncodedState(g, tokens, recency, self.mask(s)))
        return out

    def action_index(self, action: str) -> int:
        """Index of a tool name or STOP; raises ValueError naming the known actions."""
        try:
            return self.vocab.actions.index(action)
        except ValueError:
            raise ValueError(f"unknown action {action!r}; known: {', '.join(self.vocab.actions)}") from None
