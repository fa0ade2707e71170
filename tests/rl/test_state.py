"""State → tokens and action mask, from the real registry."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.rl.helpers import INDEXED, hash_embed
from toolorch.core.state import State
from toolorch.errors import ConfigError
from toolorch.rl.state import StateEncoder, makes_something_new, useful_tools


def test_vocabulary_follows_the_registry(registry) -> None:
    encoder = StateEncoder(registry, hash_embed)
    vocab = encoder.vocab
    assert vocab.actions == [*registry.names, "STOP"] and vocab.n_actions == 10
    # every produced and consumed artifact has an input and a produced token
    for art in ["project_path", "language", "scip_index_path", "lean4_file_path", "workflow_path"]:
        assert f"in:{art}" in vocab.token_ids and f"made:{art}" in vocab.token_ids
    assert encoder.action_index("STOP") == 9
    with pytest.raises(ValueError, match="unknown action"):
        encoder.action_index("rm_rf")


def test_mask_from_dataflow_with_stop_always_feasible(registry) -> None:
    encoder = StateEncoder(registry, hash_embed)
    names = encoder.vocab.actions
    empty = encoder.mask(State.of("anything"))
    assert [n for n, ok in zip(names, empty) if ok] == ["STOP"]
    start = encoder.mask(State.of("index it", ["project_path", "language"]))
    assert [n for n, ok in zip(names, start) if ok] == ["scip_index_code", "STOP"]
    indexed = encoder.mask(State.of("specs", **INDEXED))
    feasible = {n for n, ok in zip(names, indexed) if ok}
    assert {"lean4_generate_specs", "glean_query_code", "memgraph_create_graph_from_scip"} <= feasible
    assert "n8n_generate_workflow" not in feasible and "memgraph_query_graph" not in feasible


def test_mask_drops_tools_that_would_make_nothing_new(registry) -> None:
    encoder = StateEncoder(registry, hash_embed)
    names = encoder.vocab.actions
    flow = registry.dataflow
    # after indexing, every artifact scip_index_code declares exists: re-running it is masked
    indexed = State.of("specs", **INDEXED)
    assert not makes_something_new(flow, "scip_index_code", indexed.available)
    offered = [n for n, ok in zip(names, encoder.mask(indexed)) if ok]
    assert "scip_index_code" not in offered and offered == [*useful_tools(flow, indexed.available), "STOP"]
    assert set(useful_tools(flow, indexed.available)) < set(flow.feasible_tools(indexed.available))
    # a failed call made nothing, so it stays offered (a retry can still make something)
    failed = State.of("index", ["project_path", "language"], [], [("scip_index_code", False)])
    assert encoder.mask(failed)[names.index("scip_index_code")]
    # one new artifact is enough: with code_facts given as an input, indexing still makes the rest
    partial = State.of("facts", ["project_path", "language", "code_facts", "project_name"])
    assert makes_something_new(flow, "scip_index_code", partial.available)


def test_tokens_inputs_artifacts_and_history_recency(registry) -> None:
    encoder = StateEncoder(registry, hash_embed, max_history=2)
    state = State.of(
        "g", ["project_path"], ["project_path", "scip_index_path"],
        [("scip_index_code", False), ("scip_index_code", True), ("lean4_generate_specs", True)],
    )
    enc = encoder.encode(state)
    ids = encoder.vocab.token_ids
    expected = [ids["in:project_path"], ids["made:scip_index_path"], ids["hist:ok"], ids["hist:ok"]]
    assert enc.tokens.tolist() == expected           # the oldest history entry is cut
    assert enc.recency.tolist() == [0, 0, 1, 2]
    tools = encoder.vocab.tools                      # history tokens point at their tool
    assert enc.tool_ref is not None
    assert enc.tool_ref.tolist() == [-1, -1, tools.index("lean4_generate_specs"), tools.index("scip_index_code")]
    unknown = encoder.encode(State.of("g", ["mystery"], [], [("ghost_tool", False)]))
    assert unknown.tokens.tolist() == [ids["in:<unk>"], ids["hist:fail"]]
    assert unknown.tool_ref is not None and unknown.tool_ref.tolist() == [-1, -1]   # a tool it does not know
    assert not any(t.count(":") > 1 and t.split(":")[1] in tools for t in ids)  # no token names a tool


def test_goal_embedding_is_cached_and_checked(registry) -> None:
    calls: list[list[str]] = []

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return hash_embed(texts)

    encoder = StateEncoder(registry, counting)
    a, b, a2, empty = encoder.embed_goals(["find callers", "graph it", "find callers", ""])
    assert calls == [["find callers", "graph it"]]
    assert np.array_equal(a, a2) and not np.array_equal(a, b) and not empty.any()
    encoder.encode_many([State.of("find callers"), State.of("graph it")])
    assert len(calls) == 1

    wrong = StateEncoder(registry, lambda xs: np.zeros((len(xs), 16)))
    with pytest.raises(ConfigError, match="goal_dim"):
        wrong.encode(State.of("x"))


def test_import_does_not_load_torch() -> None:
    code = "import sys, toolorch.rl, toolorch.rl.runner, toolorch.rl.state; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
