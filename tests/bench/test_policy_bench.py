"""`toolorch bench policy` runs end to end and reports each preset's timings."""

from __future__ import annotations

import torch

from toolorch.bench.policy import format_table, run


def test_policy_bench_reports_both_presets() -> None:
    result = run(presets=("default", "seed"), forward_iters=5, step_iters=2, tool_counts=(10, 30))
    assert result["n_tools"] == 10 and set(result["tools"]) == {"10", "30"}
    assert result["tools"]["30"]["parameters"] > result["tools"]["10"]["parameters"]  # a residual per tool
    assert result["threads"] == 1 and result["encode_state_us"] > 0
    default, seed = result["presets"]["default"], result["presets"]["seed"]
    for entry in (default, seed):
        assert 0 < entry["forward_b1_ms"]["p50"] <= entry["forward_b1_ms"]["p95"]
        assert entry["kto_step_b32_ms"]["p50"] > 0 and entry["kto_step_b32_ms"]["cpu_p50"] > 0
    assert seed["parameters"] > 5 * default["parameters"]
    assert isinstance(default["meets_goals"], bool) and "meets_goals" not in seed
    table = format_table(result)
    assert "128/4/2/512" in table and "256/8/6/1024" in table and "with   30 tools" in table
    torch.set_num_threads(1)
