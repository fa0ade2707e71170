"""The repeat-failure mask: never offer a call that will fail again (issue 9, point 5).

Seen on a real TypeScript repository: 20 identical failing `scip_index_code` steps, cost 100. A
failure is non-retryable when its error says so (the engine's error tree has `retryable`; the
retry policy's `non_retryable_error_kinds`): running the same tool with the same arguments in the
same workflow can only fail the same way. So:

- the state carries `failed_calls`: (tool, args key) of every non-retryable failure in this
  workflow, and `call_keys`: (tool, args key) of the call each tool would make now (its arguments
  bound from the artifacts present);
- `blocked_tools(state)` is the set of tools whose next call is one of those failures; the
  encoder's action mask drops them (STOP and every other tool stay).

A tool whose arguments changed since it failed (a new artifact bound to it) is offered again, and
a retryable failure (a timeout, a dropped connection) never blocks. When a state has no
`call_keys` for a tool, its key is taken to be unchanged (`SAME_ARGS`): the conservative reading
for a caller that does not compute arguments.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

#: The args key assumed for a tool whose current arguments the caller did not give.
SAME_ARGS = "*"


class _HasCalls(Protocol):
    @property
    def failed_calls(self) -> Sequence[tuple[str, str]]: ...

    @property
    def call_keys(self) -> Sequence[tuple[str, str]]: ...


def args_key(args: Mapping[str, Any]) -> str:
    """A short, order-independent digest of a call's arguments (canonical JSON, blake2b)."""
    text = json.dumps(args, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def blocked_tools(state: _HasCalls) -> set[str]:
    """Tools whose next call would repeat a non-retryable failure of this workflow."""
    if not state.failed_calls:
        return set()
    now = dict(state.call_keys)
    blocked = set()
    for tool, key in state.failed_calls:
        current = now.get(tool, SAME_ARGS)
        if current == key or current == SAME_ARGS or key == SAME_ARGS:
            blocked.add(tool)
    return blocked


def record_failure(failed: Iterable[tuple[str, str]], tool: str, key: str, retryable: bool) -> tuple[tuple[str, str], ...]:
    """`failed` plus this failure when it is non-retryable (what a workflow keeps per step)."""
    out = tuple(failed)
    if retryable or (tool, key) in out:
        return out
    return (*out, (tool, key))
