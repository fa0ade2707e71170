"""Progress as the MCP spec wants it: every notification's value strictly above the last, no
message sent twice in a row, whole numbers as ints.

`MonotonicProgress(sink)` wraps any ProgressFn. A value at or below the last one sent is raised
just above it (by `step`), so a phase that restarts its own count ("embedded 0/34" after "step
2 of 9") still moves the bar forward; a message equal to the previous one is dropped. A total
smaller than the value is dropped rather than sent wrong.

`StepProgress` maps one orchestrated step's inner progress into its slot: step k of n reports
values in [k-1, k), so the workflow's bar never goes back while a step reports its phases.
"""

from __future__ import annotations

from toolorch.core.progress import ProgressFn


def whole(x: float) -> float | int:
    """9.0 → 9 (totals and counts read as ints on the wire)."""
    return int(x) if float(x).is_integer() else round(x, 4)


class MonotonicProgress:
    def __init__(self, sink: ProgressFn, step: float = 0.001) -> None:
        self.sink, self.step = sink, step
        self.last: float | None = None
        self.last_message: str | None = None
        self.sent = 0

    async def __call__(self, done: float, total: float | None, message: str | None) -> None:
        if message is not None and message == self.last_message:
            return
        value = float(done)
        if self.last is not None and value <= self.last:
            value = self.last + self.step
        if total is not None and total < value:
            total = None
        self.last, self.last_message = value, message
        self.sent += 1
        await self.sink(whole(value), None if total is None else whole(total), message)


class StepProgress:
    """A step's own progress (done/total of its phases, or just messages) inside [base, base+1)."""

    def __init__(self, sink: ProgressFn, base: int, total: int, label: str) -> None:
        self.sink, self.base, self.total, self.label = sink, base, total, label
        self.count = 0

    async def __call__(self, done: float, total: float | None, message: str | None) -> None:
        self.count += 1
        if total:
            frac = min(max(done / total, 0.0), 1.0)
        else:   # unknown total: each message moves half the remaining way
            frac = 1.0 - 0.5 ** self.count
        await self.sink(self.base + 0.99 * frac, self.total, f"{self.label}: {message}" if message else self.label)
