"""ExperienceBuffer: balance, bounds, store refresh, relabel."""

from __future__ import annotations

import pytest

from tests.rl.helpers import MemoryStore, experience
from toolorch.rl.buffer import ExperienceBuffer


def test_balanced_sampling_and_one_sided_batches() -> None:
    buf = ExperienceBuffer(capacity=100, seed=0)
    with pytest.raises(ValueError, match="empty"):
        buf.sample_balanced(8)
    buf.add([experience("lean4_generate_specs", True) for _ in range(3)])
    assert [e.desirable for e in buf.sample_balanced(8)] == [True] * 8      # only one side
    buf.add([experience("STOP", False) for _ in range(40)])
    batch = buf.sample_balanced(32)
    assert sum(e.desirable for e in batch) == 16 and len(batch) == 32       # 3 good, resampled
    assert buf.n_desirable == 3 and buf.n_undesirable == 40


def test_bounded_per_label_keeps_the_most_recent() -> None:
    buf = ExperienceBuffer(capacity=5)
    old = [experience("STOP", False) for _ in range(10)]
    rare = experience("lean4_generate_specs", True)
    buf.add([rare, *old])
    assert buf.n_undesirable == 5 and buf.n_desirable == 1                 # the rare one survives
    kept = {e.id for e in buf.sample_balanced(200) if not e.desirable}
    assert kept == {e.id for e in old[-5:]}


def test_refresh_merges_store_by_id_and_applies_relabels() -> None:
    store = MemoryStore()
    exps = [experience("glean_query_code", True, workflow_id="w1", step=i) for i in range(3)]
    store.append(exps)
    buf = ExperienceBuffer(capacity=50, store=store)
    assert buf.add(exps) == 3 and buf.refresh() == 0                       # same ids: no duplicates
    store.append([experience("STOP", False, workflow_id="w2")])            # another process logged
    assert buf.refresh() == 1 and len(buf) == 4
    store.relabel("w1", False)                                             # agent feedback
    buf.refresh()
    assert buf.n_desirable == 0 and buf.n_undesirable == 4


def test_relabel_in_memory_and_workflow_outcome() -> None:
    buf = ExperienceBuffer(capacity=50)
    first = experience("scip_index_code", True, workflow_id="w", step=0)
    last = experience("lean4_generate_specs", False, workflow_id="w", step=1)
    alone = experience("marquez_get_lineage", True)
    buf.add([first, last, alone])
    assert buf.outcome(first) == 0.0 and buf.outcome(alone) == 1.0         # workflow failed at its end
    assert buf.relabel("w", True) == 2
    assert buf.n_desirable == 3 and buf.outcome(first) == 1.0
    assert buf.success_rate() == pytest.approx(2 / 3)


def test_inverse_propensity_draws() -> None:
    buf = ExperienceBuffer(capacity=100, seed=0)
    rare = experience("STOP", False, propensity=0.1)                       # a rarely sampled action
    common = [experience("n8n_generate_workflow", False, propensity=0.9) for _ in range(9)]
    unlogged = experience("glean_query_code", False)                         # direct call: weight 1
    buf.add([rare, *common, unlogged])
    uniform = [e.id for e in buf.sample_balanced(4000)]
    weighted = [e.id for e in buf.sample_balanced(4000, propensity_floor=0.05)]
    share = weighted.count(rare.id) / len(weighted)
    # weights 10 : 9 × 1.11 : 1 → the rare one is drawn ≈ 10/21 of the time (uniform: 1/11)
    assert share == pytest.approx(10 / 21, abs=0.03)
    assert uniform.count(rare.id) / len(uniform) == pytest.approx(1 / 11, abs=0.02)
    assert weighted.count(unlogged.id) / len(weighted) == pytest.approx(1 / 21, abs=0.015)
    floored = [e.id for e in buf.sample_balanced(4000, propensity_floor=0.5)]
    assert floored.count(rare.id) / len(floored) == pytest.approx(2 / 13, abs=0.02)  # 1/0.5 = 2
