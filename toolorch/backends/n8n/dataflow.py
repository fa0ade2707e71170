"""Which operations a generated workflow calls, in which order, and what feeds what.

An operation B depends on A when one of B's structured parameters (a structure, list, opaque
type: never a number or a string) has the type A returns, both written as full Lean names
(`LeanSpec.canonical`). The workflow keeps the operations that take part in such a dataflow
first (in dependency order, ties in spec order), then the independent ones in spec order, up to
`max_operations`; a prefix of a topological order, so every kept operation's producers are kept.

n8n's v1 execution order runs a node's children top to bottom and each branch to its end before
the next (a stack). So the workflow is a tree: each operation hangs off the call of the producer
that comes last in the tree's preorder (or off Config when it has none), which puts every other
producer before it; rows are the preorder, so n8n runs the calls in exactly this order.
Cost: linear in the operations and parameters, plus the tree of the kept ones (quadratic in
`max_operations` only, at most 500).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from toolorch.backends.n8n.leanparse import LeanOperation, LeanSpec
from toolorch.backends.n8n.operations import map_type


@dataclass(slots=True)
class Step:
    op: LeanOperation
    parent: int | None                      # index in Plan.steps of the producer it hangs off
    depth: int
    sources: dict[str, int] = field(default_factory=dict)   # parameter name -> producer step


@dataclass(slots=True)
class Plan:
    steps: list[Step]                       # in preorder: the order n8n runs them
    left_out: list[LeanOperation]
    chains: int                             # connected groups of ≥ 2 kept operations
    chained: int                            # kept operations in such groups

    def summary(self, total: int, max_operations: int) -> str:
        independent = len(self.steps) - self.chained
        text = (f"{len(self.steps)} of {total} operations: {self.chained} in {self.chains} dataflow "
                f"chain{'' if self.chains == 1 else 's'}, {independent} independent")
        if self.left_out:
            text += f"; {len(self.left_out)} left out (max_operations={max_operations})"
        return text


def _structured(type_text: str, spec: LeanSpec, namespace: str) -> bool:
    mapped = map_type(type_text, spec, namespace)
    return mapped is not None and mapped[0] == "json"


def _dependencies(ops: list[LeanOperation], spec: LeanSpec) -> list[dict[str, int]]:
    """Per operation: parameter name -> index of the first operation returning its type."""
    producers: dict[str, int] = {}
    for i, op in enumerate(ops):
        if op.result and _structured(op.result, spec, op.group):
            producers.setdefault(spec.canonical(op.result, op.group), i)
    deps: list[dict[str, int]] = []
    for i, op in enumerate(ops):
        found: dict[str, int] = {}
        for p in op.params:
            if not _structured(p.type, spec, op.group):
                continue
            j = producers.get(spec.canonical(p.type, op.group))
            if j is not None and j != i:
                found[p.name] = j
        deps.append(found)
    return deps


def _order(deps: list[dict[str, int]]) -> list[int]:
    """Operations in a dataflow first, topologically (Kahn, ready ones in spec order; a cycle's
    rest in spec order), then the independent ones in spec order."""
    n = len(deps)
    users: list[list[int]] = [[] for _ in range(n)]
    waiting = [0] * n
    linked = [False] * n
    for i, found in enumerate(deps):
        for j in set(found.values()):
            users[j].append(i)
            waiting[i] += 1
            linked[i] = linked[j] = True
    ready = [i for i in range(n) if linked[i] and waiting[i] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for user in users[i]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, user)
    placed = set(order)
    order.extend(i for i in range(n) if linked[i] and i not in placed)
    order.extend(i for i in range(n) if not linked[i])
    return order


def plan_dataflow(ops: list[LeanOperation], spec: LeanSpec, max_operations: int) -> Plan:
    deps = _dependencies(ops, spec)
    order = _order(deps)
    kept, rest = order[:max_operations], order[max_operations:]
    preorder: list[int] = []                  # op indices
    depth: dict[int, int] = {}
    parent_of: dict[int, int | None] = {}
    sources: dict[int, dict[str, int]] = {}
    for i in kept:
        position = {op: k for k, op in enumerate(preorder)}
        valid = {name: j for name, j in deps[i].items() if j in position}
        sources[i] = valid
        if not valid:
            parent_of[i], depth[i] = None, 0
            preorder.append(i)
            continue
        parent = max(set(valid.values()), key=position.__getitem__)
        end = position[parent] + 1
        while end < len(preorder) and depth[preorder[end]] > depth[parent]:
            end += 1
        parent_of[i], depth[i] = parent, depth[parent] + 1
        preorder.insert(end, i)
    step_of = {op: k for k, op in enumerate(preorder)}
    steps: list[Step] = []
    for i in preorder:
        up = parent_of[i]
        steps.append(Step(ops[i], None if up is None else step_of[up], depth[i],
                          {name: step_of[j] for name, j in sources[i].items()}))
    chains, chained = _components(steps)
    return Plan(steps, [ops[i] for i in rest], chains, chained)


def _components(steps: list[Step]) -> tuple[int, int]:
    """(groups of ≥ 2 steps linked by dataflow, steps in them), by union-find."""
    root = list(range(len(steps)))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for k, step in enumerate(steps):
        for j in step.sources.values():
            root[find(k)] = find(j)
    sizes: dict[int, int] = {}
    for k in range(len(steps)):
        sizes[find(k)] = sizes.get(find(k), 0) + 1
    groups = [s for s in sizes.values() if s >= 2]
    return len(groups), sum(groups)
