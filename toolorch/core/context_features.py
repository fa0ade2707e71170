"""Context features of a state (`State.context`): what the engine knows about WHERE a workflow runs.

A tool's real outcome depends on more than the goal: the project's language and size, which
backend is bound to the tool, and how the tool has fared lately in this data dir (issue 9, point 1).
`Context` carries those facts in the state (toolorch.core.state) so the policy can condition on
them; the engine fills it from the request and its metrics, the learning benchmark from its
simulated projects. Plain data on the lower floor: the encoder that turns it into tokens is
toolorch.rl.state.

Every feature becomes one token for the policy (see `rl.state.StateEncoder.tokens`):

    ctx:language:<python|typescript|rust|javascript|go|java|other>
    ctx:size:<small|medium|large>                 (`size_bucket(lines)`)
    ctx:backend:<embedded|http|mcp>  + the tool   (one per tool whose binding is given)
    ctx:recent:<bad|mixed|good>      + the tool   (one per tool with ≥ MIN_RECENT recent calls)
    ctx:deliverable:<yes|no>                      (the request names a deliverable, or only a goal)

Token names never contain a tool name: a tool-specific token points at the tool's own
representation instead (its description embedding), so a tool registered later is understood at
once and checkpoints survive registry changes. Numpy-free and torch-free on purpose.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("python", "typescript", "rust", "javascript", "go", "java", "other")
SIZES = ("small", "medium", "large")
BACKENDS = ("embedded", "http", "mcp")
RECENT = ("bad", "mixed", "good")

#: Lines of code at which a project stops being small / medium.
SIZE_LIMITS = (5_000, 50_000)
#: Calls of a tool needed before its recent success rate becomes a feature.
MIN_RECENT = 3
#: Success-rate bounds of the recent buckets: < 0.5 bad, < 0.9 mixed, else good.
RECENT_LIMITS = (0.5, 0.9)


def size_bucket(lines: int) -> str:
    """`small` below 5,000 lines, `medium` below 50,000, else `large`."""
    if lines < SIZE_LIMITS[0]:
        return "small"
    return "medium" if lines < SIZE_LIMITS[1] else "large"


def recent_bucket(rate: float) -> str:
    """`bad` below 0.5, `mixed` below 0.9, else `good`."""
    if rate < RECENT_LIMITS[0]:
        return "bad"
    return "mixed" if rate < RECENT_LIMITS[1] else "good"


@dataclass(frozen=True, slots=True)
class Context:
    """Where the workflow runs. Every field is optional: an unknown fact is simply left out."""

    language: str | None = None
    size: str | None = None                                  # a SIZES bucket
    backends: tuple[tuple[str, str], ...] = ()               # (tool, backend kind) bound now
    recent: tuple[tuple[str, float, int], ...] = ()          # (tool, success rate, calls) in this data dir
    deliverable: bool | None = None                          # True: the workflow ends when it is made

    def __post_init__(self) -> None:
        if self.size is not None and self.size not in SIZES:
            raise ValueError(f"context size {self.size!r} must be one of {SIZES} (use size_bucket(lines))")
        object.__setattr__(self, "backends", tuple(sorted((str(t), str(k)) for t, k in self.backends)))
        object.__setattr__(self, "recent", tuple(sorted((str(t), float(r), int(n)) for t, r, n in self.recent)))

    @property
    def empty(self) -> bool:
        return (self.language is None and self.size is None and not self.backends and not self.recent
                and self.deliverable is None)

    def tokens(self) -> list[tuple[str, str | None]]:
        """(token name, tool it refers to or None), in a fixed order."""
        out: list[tuple[str, str | None]] = []
        if self.language is not None:
            lang = self.language.lower()
            out.append((f"ctx:language:{lang if lang in LANGUAGES else 'other'}", None))
        if self.size is not None:
            out.append((f"ctx:size:{self.size}", None))
        for tool, kind in self.backends:
            out.append((f"ctx:backend:{kind if kind in BACKENDS else 'embedded'}", tool))
        for tool, rate, calls in self.recent:
            if calls >= MIN_RECENT:
                out.append((f"ctx:recent:{recent_bucket(rate)}", tool))
        if self.deliverable is not None:
            out.append((f"ctx:deliverable:{'yes' if self.deliverable else 'no'}", None))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "size": self.size, "deliverable": self.deliverable,
                "backends": [list(b) for b in self.backends], "recent": [list(r) for r in self.recent]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Context:
        if not data:
            return cls()
        return cls(
            language=data.get("language"), size=data.get("size"),
            backends=tuple((str(t), str(k)) for t, k in data.get("backends", ())),
            recent=tuple((str(t), float(r), int(n)) for t, r, n in data.get("recent", ())),
            deliverable=data.get("deliverable"),
        )

    @staticmethod
    def token_names() -> list[str]:
        """Every context token the encoder can emit (the vocabulary does not depend on tools)."""
        return ([f"ctx:language:{x}" for x in LANGUAGES] + [f"ctx:size:{x}" for x in SIZES]
                + [f"ctx:backend:{x}" for x in BACKENDS] + [f"ctx:recent:{x}" for x in RECENT]
                + ["ctx:deliverable:yes", "ctx:deliverable:no"])


class RecentOutcomes:
    """The last `window` outcomes of each tool in one data dir (or one project): what fills
    `Context.recent`. The engine can keep one per data dir; the benchmark keeps one per project."""

    def __init__(self, window: int = 20) -> None:
        if window < 1:
            raise ValueError(f"window must be ≥ 1 (got {window})")
        self.window = window
        self._outcomes: dict[str, deque[bool]] = {}

    def record(self, tool: str, success: bool) -> None:
        self._outcomes.setdefault(tool, deque(maxlen=self.window)).append(bool(success))

    def snapshot(self, tools: Iterable[str] | None = None) -> tuple[tuple[str, float, int], ...]:
        """(tool, success rate, calls) of every tool seen (or of `tools`)."""
        names = sorted(self._outcomes if tools is None else set(tools) & set(self._outcomes))
        return tuple((t, sum(self._outcomes[t]) / len(self._outcomes[t]), len(self._outcomes[t])) for t in names)
