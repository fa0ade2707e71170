"""`StateEncoder`: the policy's view of a `State` (toolorch.core.state) as tokens.

A state (DESIGN.md, "KTO, stated exactly") is the goal, the inputs present, the artifacts produced
so far and the history of (tool, outcome), plus its context. The encoder makes a short token
sequence of it:

    [GOAL] [in:project_path] [in:language] [made:scip_index_path] ... [scip_index_code ok] ...

- GOAL: the goal's sentence embedding (all-MiniLM-L6-v2, 384-d), projected by the policy. Each goal
  text is embedded once and cached, so paraphrases land close and repeated goals cost nothing.
- one token per artifact present, from the registry's artifact vocabulary (an input given by the
  caller and an artifact made by a tool are different tokens);
- one token per history entry (outcome ok/fail) with its recency (0 = the latest step), pointing
  at the tool that ran (`tool_ref`);
- one token per context feature (`State.context`, core/context_features.py: language, size bucket, bound backends, recent
  outcomes per tool), tool-specific ones pointing at their tool.

No token name contains a tool name: a token that is about a tool carries the tool's index
(`tool_ref`), and the policy adds that tool's own representation (its description embedding, see
rl/actions.py) to the token. A tool registered later is therefore understood in the history and
the context at once, and checkpoints survive registry changes (policy.py remaps by name).

Actions are the registry's tools in registry order, then STOP. The mask of feasible actions comes
from the registry dataflow (`useful_tools`): a tool is offered when its required artifacts are
available and it would make at least one artifact that does not exist yet (re-running a tool whose
products all exist remakes them, which DESIGN.md's provenance labels call useless), and when its
next call does not repeat a non-retryable failure of this workflow (rl/mask.py); STOP is always
feasible. This module needs numpy only (no torch), so the engine can build states without loading
the policy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from toolorch.core.context_features import Context
from toolorch.core.state import State
from toolorch.errors import ConfigError
from toolorch.rl.mask import blocked_tools
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
    tool_ref: np.ndarray | None = None  # (L,) int64 tool index a token is about, −1 for none


@dataclass(slots=True)
class Vocabulary:
    """Token ids and action indices derived from the registry, so they never drift from it."""

    actions: list[str]                              # registry order, then STOP
    artifacts: list[str]                            # sorted artifact names
    token_ids: dict[str, int] = field(default_factory=dict)
    tool_ids: dict[str, int] = field(default_factory=dict)   # tool → index in `actions`

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
        ids = ["<pad>", "in:<unk>", "made:<unk>", "hist:ok", "hist:fail", *Context.token_names()]
        ids += [f"in:{a}" for a in vocab.artifacts] + [f"made:{a}" for a in vocab.artifacts]
        vocab.token_ids = {name: i for i, name in enumerate(ids)}
        vocab.tool_ids = {t: i for i, t in enumerate(registry.names)}
        return vocab

    @property
    def tools(self) -> list[str]:
        return self.actions[:-1]

    @property
    def n_tokens(self) -> int:
        return len(self.token_ids)

    @property
    def n_actions(self) -> int:
        return len(self.actions)

    def token(self, kind: str, name: str) -> int:
        return self.token_ids.get(f"{kind}:{name}", self.token_ids[f"{kind}:<unk>"])

    def history_token(self, ok: bool) -> int:
        return self.token_ids["hist:ok" if ok else "hist:fail"]

    def tool_ref(self, tool: str | None) -> int:
        """Index of a tool in `actions` (−1 for None or a tool this registry does not have)."""
        return -1 if tool is None else self.tool_ids.get(tool, -1)

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
        self._tool_matrix: np.ndarray | None = None

    # -- tool representations -----------------------------------------------------------------
    def tool_matrix(self) -> np.ndarray:
        """(n_tools, goal_dim): each tool's text (description + schema, rl/actions.py) embedded
        once with the goal embedder, registry order."""
        if self._tool_matrix is None:
            from toolorch.rl.actions import ToolFeatures

            self._tool_matrix = ToolFeatures(self.embed_fn, self.goal_dim).of_registry(self.registry)
        return self._tool_matrix

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
        make; minus the repeat-failure mask, `blocked_tools`); STOP always."""
        useful = set(useful_tools(self.registry.dataflow, state.available)) - blocked_tools(state)
        return np.array([t in useful for t in self.vocab.actions[:-1]] + [True], dtype=bool)

    # -- tokens -------------------------------------------------------------------------------
    def tokens(self, state: State) -> tuple[np.ndarray, np.ndarray]:
        ids, recency, _ = self.tokens_with_refs(state)
        return ids, recency

    def tokens_with_refs(self, state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(token ids, recency, tool_ref), each (L,)."""
        ids = [self.vocab.token("in", a) for a in sorted(set(state.inputs_present))]
        made = set(state.artifacts) - set(state.inputs_present)
        ids += [self.vocab.token("made", a) for a in sorted(made)]
        refs = [-1] * len(ids)
        for name, tool in state.context.tokens():
            ids.append(self.vocab.token_ids[name])
            refs.append(self.vocab.tool_ref(tool))
        recency = [0] * len(ids)
        recent = state.history[-self.max_history :]
        for ago, (tool, ok) in enumerate(reversed(recent)):
            ids.append(self.vocab.history_token(ok))
            refs.append(self.vocab.tool_ref(tool))
            recency.append(1 + ago)
        return (np.asarray(ids, dtype=np.int64), np.asarray(recency, dtype=np.int64),
                np.asarray(refs, dtype=np.int64))

    def encode(self, state: State) -> EncodedState:
        return self.encode_many([state])[0]

    def encode_many(self, states: Sequence[State]) -> list[EncodedState]:
        goals = self.embed_goals([s.goal for s in states])
        out = []
        for s, g in zip(states, goals, strict=True):
            tokens, recency, refs = self.tokens_with_refs(s)
            out.append(EncodedState(g, tokens, recency, self.mask(s), refs))
        return out

    def action_index(self, action: str) -> int:
        """Index of a tool name or STOP; raises ValueError naming the known actions."""
        try:
            return self.vocab.actions.index(action)
        except ValueError:
            raise ValueError(f"unknown action {action!r}; known: {', '.join(self.vocab.actions)}") from None
