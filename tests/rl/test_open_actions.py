"""The policy over an open action set: contexts, the repeat-failure mask, STOP, new tools."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from tests.rl.helpers import INDEXED, hash_embed
from toolorch.core.context_features import Context, RecentOutcomes, recent_bucket, size_bucket
from toolorch.core.state import State
from toolorch.registry.registry import Registry
from toolorch.rl.checkpoint import CheckpointDir
from toolorch.rl.mask import SAME_ARGS, args_key, blocked_tools, record_failure
from toolorch.rl.runner import PolicyRunner
from toolorch.rl.state import StateEncoder
from toolorch.rl.trainer import Learner, TrainerConfig
from toolorch.stores.experience import STOP, Experience

START = {"inputs_present": ["project_path", "language"]}


def exp(goal: str, action: str, desirable: bool, *, success: bool | None = None, context: Context | None = None,
        inputs_present: list[str] | None = None, artifacts: list[str] | None = None,
        history: list[tuple[str, bool]] | None = None, **kw: object) -> Experience:
    """An experience whose state is the goal, the given parts and the context."""
    state = State.of(goal, inputs_present or (), artifacts or (), history or (), context)
    return Experience(state, action=action, desirable=desirable, success=desirable if success is None else success,
                      **kw)  # type: ignore[arg-type]


def words_embed(texts: list[str]) -> np.ndarray:
    """Bag of words: each word a seeded random vector, summed and normalised, so texts that share
    words are close (a deterministic stand-in for the sentence embedder in unit tests)."""
    rows = []
    for t in texts:
        v = np.zeros(384)
        for w in t.lower().replace(".", " ").replace(",", " ").replace("_", " ").split():
            seed = int.from_bytes(hashlib.sha256(w.encode()).digest()[:8], "little")
            v += np.random.default_rng(seed).standard_normal(384)
        rows.append(v / max(np.linalg.norm(v), 1e-8))
    return np.stack(rows).astype(np.float32)


def with_tool(registry: Registry, like: str, **update: object) -> Registry:
    return Registry([*registry, registry.get(like).model_copy(update=update)], registry.models)


def train_on(learner: Learner, exps: list[Experience], rounds: int) -> None:
    learner.add(exps)
    for _ in range(rounds):
        learner.train_round()


def probs(learner: Learner, state: State) -> dict[str, float]:
    from toolorch.rl.policy import collate

    batch = collate(learner.encoder.encode_many([state]))
    with torch.inference_mode():
        p = learner.policy.log_probs(batch).exp()[0].tolist()
    return dict(zip(learner.encoder.vocab.actions, p, strict=True))


# -- context features -------------------------------------------------------------------------
def test_context_buckets_and_tokens(registry) -> None:
    assert [size_bucket(n) for n in (0, 4_999, 5_000, 49_999, 50_000)] == ["small", "small", "medium", "medium", "large"]
    assert [recent_bucket(r) for r in (0.49, 0.5, 0.89, 0.9)] == ["bad", "mixed", "mixed", "good"]
    recent = RecentOutcomes(window=3)
    for ok in (True, False, False, False):
        recent.record("scip_index_code", ok)
    recent.record("glean_query_code", True)
    assert recent.snapshot() == (("glean_query_code", 1.0, 1), ("scip_index_code", 0.0, 3))
    ctx = Context("Rust", "large", (("memgraph_query_graph", "http"),), recent.snapshot(), deliverable=False)
    assert ctx.tokens() == [("ctx:language:rust", None), ("ctx:size:large", None),
                            ("ctx:backend:http", "memgraph_query_graph"),
                            ("ctx:recent:bad", "scip_index_code"),        # glean has 1 < MIN_RECENT calls
                            ("ctx:deliverable:no", None)]
    assert Context.from_dict(ctx.to_dict()) == ctx and Context().empty and not ctx.empty
    with pytest.raises(ValueError, match="size"):
        Context(size="huge")
    encoder = StateEncoder(registry, hash_embed)
    enc = encoder.encode(State.of("g", context=ctx))
    ids = encoder.vocab.token_ids
    assert enc.tokens.tolist() == [ids[n] for n, _ in ctx.tokens()]
    assert enc.tool_ref is not None and enc.tool_ref.tolist() == [
        -1, -1, registry.names.index("memgraph_query_graph"), registry.names.index("scip_index_code"), -1]


def test_state_extras_round_trip_through_an_experience() -> None:
    state = State.of("g", ["project_path"], [], [], Context("python", "small"), [("scip_index_code", "k1")],
                     [("scip_index_code", "k1")])
    stored = Experience(state, action="scip_index_code", desirable=False, success=False)
    assert Experience.from_json(stored.to_json()).state == state


# -- the repeat-failure mask ------------------------------------------------------------------
def test_repeat_failure_mask(registry) -> None:
    encoder = StateEncoder(registry, hash_embed)
    names = encoder.vocab.actions
    key = args_key({"project_path": "/p", "language": "typescript"})
    assert key == args_key({"language": "typescript", "project_path": "/p"}) and len(key) == 16
    assert record_failure((), "scip_index_code", key, retryable=True) == ()       # a timeout never blocks
    failed = record_failure((), "scip_index_code", key, retryable=False)
    assert failed == (("scip_index_code", key),) and record_failure(failed, "scip_index_code", key, False) == failed
    same = State.of("index", failed_calls=failed, call_keys=[("scip_index_code", key)], **START)
    assert blocked_tools(same) == {"scip_index_code"}
    assert [n for n, ok in zip(names, encoder.mask(same), strict=True) if ok] == [STOP]
    other = State.of("index", failed_calls=failed, call_keys=[("scip_index_code", "different")], **START)
    assert blocked_tools(other) == set() and encoder.mask(other)[names.index("scip_index_code")]
    unknown = State.of("index", failed_calls=failed, **START)                     # no key given: same args
    assert blocked_tools(unknown) == {"scip_index_code"} and SAME_ARGS == "*"
    assert not encoder.mask(unknown)[names.index("scip_index_code")] and encoder.mask(unknown)[-1]


# -- learning ---------------------------------------------------------------------------------
def test_policy_moves_off_a_tool_that_fails_in_one_context_only(registry) -> None:
    reg = with_tool(registry, "scip_index_code", name="scip_index_remote", description="Index on a remote service.")
    learner = Learner(StateEncoder(reg, hash_embed), config=TrainerConfig(seed=1))
    rust, python = Context("rust", "small"), Context("python", "small")
    exps = []
    for ctx, bad in ((rust, "scip_index_code"), (python, "scip_index_remote")):
        for tool in ("scip_index_code", "scip_index_remote"):
            exps += [exp("index my project", tool, tool != bad, context=ctx, **START) for _ in range(16)]
    goal = "index my project"
    before_r, before_p = probs(learner, State.of(goal, context=rust, **START)), probs(learner, State.of(goal, context=python, **START))
    train_on(learner, exps, rounds=6)
    after_r, after_p = probs(learner, State.of(goal, context=rust, **START)), probs(learner, State.of(goal, context=python, **START))
    assert after_r["scip_index_remote"] > 0.8 > after_r["scip_index_code"]
    assert after_p["scip_index_code"] > 0.8 > after_p["scip_index_remote"]
    assert after_r["scip_index_code"] < before_r["scip_index_code"] / 10      # it moved off it there
    assert after_p["scip_index_remote"] < before_p["scip_index_remote"] / 10


def test_stop_becomes_likely_once_a_goal_without_deliverable_is_served(registry) -> None:
    learner = Learner(StateEncoder(registry, hash_embed), config=TrainerConfig(seed=2))
    goal, ctx = "just index the repository", Context(deliverable=False)
    served = {**INDEXED}
    exps = [exp(goal, "scip_index_code", True, context=ctx, **START) for _ in range(16)]
    exps += [exp(goal, STOP, True, context=ctx, label_source="hindsight", **served) for _ in range(16)]
    for tool in ("lean4_generate_specs", "glean_query_code", "memgraph_create_graph_from_scip"):
        exps += [exp(goal, tool, False, success=True, context=ctx, **served) for _ in range(6)]
    at_end = State.of(goal, served["inputs_present"], served["artifacts"], served["history"], Context(deliverable=False))
    at_start = State.of(goal, context=Context(deliverable=False), **START)
    assert probs(learner, at_end)[STOP] < 0.1                       # the initial STOP bias
    train_on(learner, exps, rounds=15)
    assert probs(learner, at_end)[STOP] > 0.5
    assert probs(learner, at_start)[STOP] < 0.2                     # not before the goal is served


# -- checkpoints across registries ------------------------------------------------------------
def test_nine_tool_checkpoint_loads_with_a_tenth_and_routes_to_it(registry, settings) -> None:
    learner = Learner(StateEncoder(registry, words_embed), config=TrainerConfig(seed=3))
    exps = [exp("write lean specs", a, a == "lean4_generate_specs", success=True, **INDEXED) for a in ("lean4_generate_specs", "glean_query_code", "memgraph_create_graph_from_scip")
            for _ in range(12)]
    train_on(learner, exps, rounds=2)
    learner.version = CheckpointDir(settings.home / "policy").save(learner.state_dict())
    tenth = with_tool(
        registry, "lean4_generate_specs", name="pdf_report_render", title="Render a PDF report",
        description="Render a PDF report of the project's code symbols, with charts.",
        produces=[registry.get("lean4_generate_specs").produces[0].model_copy(update={"artifact": "pdf_report"})],
    )
    runner = PolicyRunner(tenth, settings, words_embed, background=False)
    choice = runner.choose(State.of("render a pdf report of the code symbols with charts", **INDEXED), explore=False)
    assert choice.version == learner.version and len(choice.probs) == 11
    assert choice.action == "pdf_report_render" and choice.probs["pdf_report_render"] > 0.5
    loaded = runner.trainer.learner.policy if runner.trainer else None
    assert loaded is not None
    old = learner.policy.state_dict()
    i, j = registry.names.index("glean_query_code"), tenth.names.index("glean_query_code")
    assert torch.equal(loaded.tool_residual[j], old["tool_residual"][i])     # copied by name
    assert torch.count_nonzero(loaded.tool_residual[-1]) == 0                 # the new tool: its text alone
    # what was learned for the nine still holds
    lean = runner.choose(State.of("write lean specs", **INDEXED), explore=False)
    assert lean.action == "lean4_generate_specs"
