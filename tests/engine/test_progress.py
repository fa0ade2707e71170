"""Progress as the spec wants it (engine/progress.py): strictly increasing values, no repeated
message, whole totals as ints, one step's phases inside its slot."""

from __future__ import annotations

import pytest

from toolorch.engine.engine import Engine
from toolorch.engine.orchestrator import Orchestrator
from toolorch.engine.progress import MonotonicProgress, StepProgress, whole
from toolorch.engine.request import OrchestrateRequest

pytestmark = pytest.mark.anyio

Seen = list[tuple[float, float | None, str | None]]


def sink(seen: Seen):  # type: ignore[no-untyped-def]
    async def record(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))
    return record


async def test_values_strictly_increase_and_repeats_are_dropped() -> None:
    seen: Seen = []
    p = MonotonicProgress(sink(seen))
    # what the old orchestrator sent: 0,0,0,... with one message eight times, totals as floats
    for done, msg in [(0, "a"), (0, "b"), (0, "embedded 0/34"), (0, "embedded 0/34"), (0, "embedded 0/34"),
                      (1, "c"), (1, "d"), (2, "e")]:
        await p(float(done), 9.0, msg)
    values = [v for v, _, _ in seen]
    assert all(b > a for a, b in zip(values, values[1:]))
    assert [m for _, _, m in seen] == ["a", "b", "embedded 0/34", "c", "d", "e"]
    assert seen[0] == (0, 9, "a") and type(seen[0][0]) is int and type(seen[0][1]) is int
    assert seen[1][0] == 0.001 and seen[4][0] == 1.001   # bumped by `step`, not rounded away


async def test_a_total_below_the_value_is_dropped() -> None:
    seen: Seen = []
    p = MonotonicProgress(sink(seen))
    await p(5, 4, "over")
    await p(6, 6, "equal")
    assert seen == [(5, None, "over"), (6, 6, "equal")]


def test_whole() -> None:
    assert whole(9.0) == 9 and type(whole(9.0)) is int and whole(2.5) == 2.5


async def test_step_progress_stays_inside_its_slot() -> None:
    seen: Seen = []
    sp = StepProgress(sink(seen), base=2, total=9, label="step 3/9 t")
    await sp(0, 10, "phase one")
    await sp(10, 10, "phase done")
    await sp(0, None, "no total")
    assert [v for v, _, _ in seen] == [2.0, 2 + 0.99, 2 + 0.99 * (1 - 0.5 ** 3)]
    assert all(2 <= v < 3 for v, _, _ in seen) and seen[0][2] == "step 3/9 t: phase one"


async def test_orchestrate_progress_is_monotonic_and_numbered_from_one(engine: Engine) -> None:
    seen: Seen = []
    req = OrchestrateRequest(goal="g", inputs={"seed": "s"}, deliverable="all")
    wf = await Orchestrator(engine).run(req, progress=sink(seen))
    values = [v for v, _, _ in seen]
    assert all(b > a for a, b in zip(values, values[1:])), values
    msgs = [m for _, _, m in seen]
    assert all(a != b for a, b in zip(msgs, msgs[1:]))
    assert msgs[0] == "step 1/4 step_a started" and msgs[-1] == "step 4/4 step_d ok"
    assert {t for _, t, _ in seen} == {4} and values[-1] == 4
    assert [s["step"] for s in wf.to_dict()["steps"]] == [1, 2, 3, 4]
