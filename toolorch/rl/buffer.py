"""`ExperienceBuffer`: the recent experiences in memory, split by label, sampled balanced.

The durable log is the `ExperienceStore` (the engine appends to it); the buffer holds the most
recent `capacity` experiences OF EACH LABEL, so a long run of successes does not push the rare
failures out of replay (and vice versa). `refresh()` merges the store's newest rows by id, which
picks up experiences logged by other server processes on the same data dir and labels rewritten
by agent feedback.

The buffer also tracks each workflow's outcome (the label of its latest step, see value.py), the
target of the value head.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable

import numpy as np

from toolorch.stores.experience import Experience, ExperienceStore


class ExperienceBuffer:
    """Bounded replay memory. Thread-safe (the engine adds, the trainer thread samples)."""

    def __init__(
        self,
        capacity: int = 4096,
        store: ExperienceStore | None = None,
        seed: int = 0,
        window: int = 200,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"buffer capacity must be ≥ 1 (got {capacity})")
        self.capacity = capacity
        self.store = store
        self.rng = np.random.default_rng(seed)
        self._sides: dict[bool, OrderedDict[str, Experience]] = {True: OrderedDict(), False: OrderedDict()}
        self._lists: dict[bool, list[Experience] | None] = {True: None, False: None}
        self._weights: dict[bool, tuple[float, np.ndarray] | None] = {True: None, False: None}
        self._outcomes: OrderedDict[str, tuple[int, bool]] = OrderedDict()
        self._recent_success: deque[bool] = deque(maxlen=window)
        self._lock = threading.Lock()

    # -- adding -------------------------------------------------------------------------------
    def add(self, experiences: Experience | Iterable[Experience]) -> int:
        """Add (in memory only; the engine already persisted them). Returns how many were new."""
        batch = [experiences] if isinstance(experiences, Experience) else list(experiences)
        with self._lock:
            return sum(self._put(e, observed=True) for e in batch)

    def refresh(self, n: int | None = None) -> int:
        """Merge the store's newest `n` (default: 2 × capacity) by id; apply changed labels.
        Returns how many experiences were new to this buffer."""
        if self.store is None:
            return 0
        rows = self.store.recent(n or 2 * self.capacity)
        with self._lock:
            return sum(self._put(e, observed=False) for e in rows)

    def _put(self, exp: Experience, observed: bool) -> bool:
        label = bool(exp.desirable)
        side, other = self._sides[label], self._sides[not label]
        new = exp.id not in side and exp.id not in other
        if exp.id in other:           # relabelled (agent feedback): move it across
            del other[exp.id]
            self._lists[not label] = None
        side[exp.id] = exp
        side.move_to_end(exp.id)
        while len(side) > self.capacity:
            side.popitem(last=False)
        self._lists[label] = None
        if exp.workflow_id:
            self._track_outcome(exp)
        if new and observed:
            self._recent_success.append(bool(exp.success))
        return new

    def _track_outcome(self, exp: Experience) -> None:
        assert exp.workflow_id is not None
        step, _ = self._outcomes.get(exp.workflow_id, (-1, False))
        if exp.step >= step:
            self._outcomes[exp.workflow_id] = (exp.step, bool(exp.desirable))
            self._outcomes.move_to_end(exp.workflow_id)
        while len(self._outcomes) > 4 * self.capacity:
            self._outcomes.popitem(last=False)

    def relabel(self, workflow_id: str, desirable: bool) -> int:
        """Agent feedback applied in memory (the store is relabelled by the engine)."""
        with self._lock:
            hits = [e for side in self._sides.values() for e in side.values() if e.workflow_id == workflow_id]
            for e in hits:
                e.desirable = desirable
                e.label_source = "feedback"
                self._put(e, observed=False)
            return len(hits)

    # -- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._sides[True]) + len(self._sides[False])

    @property
    def n_desirable(self) -> int:
        return len(self._sides[True])

    @property
    def n_undesirable(self) -> int:
        return len(self._sides[False])

    def outcome(self, exp: Experience) -> float:
        """Target of the value head: 1.0 if the experience's workflow succeeded (its latest step
        is desirable), else 0.0; a call outside a workflow counts on its own label."""
        if exp.workflow_id and exp.workflow_id in self._outcomes:
            return float(self._outcomes[exp.workflow_id][1])
        return float(exp.desirable)

    def success_rate(self) -> float | None:
        """Rolling share of successful calls among the last `window` observed experiences."""
        with self._lock:
            if not self._recent_success:
                return None
            return sum(self._recent_success) / len(self._recent_success)

    def sample_balanced(self, batch_size: int, propensity_floor: float | None = None) -> list[Experience]:
        """Half desirable, half undesirable (with replacement when a side is short); all from
        one side when the other is empty. Raises ValueError on an empty buffer.

        `propensity_floor`: draw each side's examples with probability ∝ 1 / max(π_b(a|s), floor)
        (π_b = the logged propensity; 1 when none was logged), with replacement. The data comes
        from the policy's own choices, so the actions it already prefers fill the buffer; this
        inverse-propensity draw counts a rarely sampled action's outcome as much as a frequent
        one's (in expectation, every action at a state weighs alike). None = uniform draws."""
        with self._lock:
            good, bad = self._side_list(True), self._side_list(False)
            if not good and not bad:
                raise ValueError("the experience buffer is empty; observe experiences before training")
            n_good = batch_size if not bad else 0 if not good else batch_size // 2
            picks = [good[i] for i in self._draw(True, n_good, propensity_floor)]
            picks += [bad[i] for i in self._draw(False, batch_size - n_good, propensity_floor)]
            return picks

    def _draw(self, label: bool, k: int, propensity_floor: float | None) -> np.ndarray:
        size = len(self._sides[label])
        if k == 0:
            return np.empty(0, dtype=np.int64)
        if propensity_floor is None:
            return self.rng.choice(size, size=k, replace=k > size)
        w = self._side_weights(label, propensity_floor)
        return self.rng.choice(size, size=k, replace=True, p=w)

    def _side_list(self, label: bool) -> list[Experience]:
        cached = self._lists[label]
        if cached is None:
            cached = self._lists[label] = list(self._sides[label].values())
            self._weights[label] = None
        return cached

    def _side_weights(self, label: bool, floor: float) -> np.ndarray:
        """Normalised inverse-propensity weights of one side (cached with its list)."""
        cached = self._weights[label]
        if cached is None or cached[0] != floor:
            props = np.array([1.0 if e.propensity is None else e.propensity for e in self._side_list(label)])
            w = 1.0 / np.maximum(props, floor)
            cached = self._weights[label] = (floor, w / w.sum())
        return cached[1]
