"""Dependencies derived from data: who produces and who consumes each artifact.

Nothing here names a tool. The pipeline (index → {facts, graph → query, vectors, specs → n8n},
all feeding lineage) falls out of the `consumes` / `produces` entries in registry/tools/*.json.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from toolorch.errors import PlanningError
from toolorch.registry.models import ToolSpec

_REF = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")


def render(template: Any, artifacts: Mapping[str, Any]) -> Any:
    """Substitute `${name}` from artifacts. A string that is exactly one reference keeps the
    artifact's own type. Raises KeyError naming a missing artifact."""
    if isinstance(template, str):
        whole = _REF.fullmatch(template)
        if whole:
            return artifacts[whole.group(1)]
        return _REF.sub(lambda m: str(artifacts[m.group(1)]), template)
    if isinstance(template, dict):
        return {k: render(v, artifacts) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, artifacts) for v in template]
    return template


def refs(template: Any) -> set[str]:
    """Artifact names a template refers to."""
    if isinstance(template, str):
        return set(_REF.findall(template))
    if isinstance(template, dict):
        return set().union(*(refs(v) for v in template.values())) if template else set()
    if isinstance(template, list):
        return set().union(*(refs(v) for v in template)) if template else set()
    return set()


class Dataflow:
    def __init__(self, tools: list[ToolSpec]) -> None:
        self.tools = {t.name: t for t in tools}
        self.order = [t.name for t in tools]
        self.producers: dict[str, list[str]] = {}
        for t in tools:
            for p in t.produces:
                self.producers.setdefault(p.artifact, []).append(t.name)
        #: tool → the artifacts it makes
        self.made_by: dict[str, frozenset[str]] = {t.name: frozenset(p.artifact for p in t.produces) for t in tools}
        # A required argument no `consumes` entry covers is an implicit consume of the artifact
        # of the same name (an input can supply it); without it a planned step could not run.
        self.implicit: dict[str, list[str]] = {}
        for t in tools:
            covered = {c.arg for c in t.consumes if c.arg}
            self.implicit[t.name] = [a for a in t.input_schema.get("required", []) if a not in covered]

    # -- feasibility --------------------------------------------------------------------------
    def missing(self, tool: str, available: Iterable[str]) -> list[str]:
        """Required artifacts the tool still lacks (empty = feasible)."""
        have = set(available)
        spec = self.tools[tool]
        out = []
        for c in spec.consumes:
            if c.optional or c.artifact in have:
                continue
            default = spec.planning_defaults.get(c.arg) if c.arg else None
            if default is not None and refs(default) <= have:
                continue
            out.append(c.artifact)
        for arg in self.implicit[tool]:
            default = spec.planning_defaults.get(arg)
            if arg not in have and not (default is not None and refs(default) <= have):
                out.append(arg)
        return out

    def feasible(self, tool: str, available: Iterable[str]) -> bool:
        return not self.missing(tool, available)

    def feasible_tools(self, available: Iterable[str]) -> list[str]:
        have = set(available)
        return [n for n in self.order if not self.missing(n, have)]

    # -- planning -----------------------------------------------------------------------------
    def closure(self, available: Iterable[str]) -> list[str]:
        """Every tool that can eventually run from `available`, in dependency order."""
        have, plan = set(available), list[str]()
        progress = True
        while progress:
            progress = False
            for name in self.order:
                if name not in plan and not self.missing(name, have):
                    plan.append(name)
                    have |= self.made_by[name]
                    progress = True
        return self.toposort(plan, available)

    def plan_for(self, deliverable: str, available: Iterable[str]) -> list[str]:
        """The cheapest set of tools that makes `deliverable` (an artifact or a tool name),
        in dependency order. Raises PlanningError when it cannot be made from `available`."""
        have = set(available)
        chosen: list[str] = []
        if deliverable in self.tools:
            self._need_tool(deliverable, have, chosen, set())
        elif deliverable in have:
            return []
        elif deliverable in self.producers:
            self._need_artifact(deliverable, have, chosen, set())
        else:
            known = sorted(set(self.producers) | set(self.tools))
            raise PlanningError(f"unknown deliverable {deliverable!r}; known: {', '.join(known)}")
        return self.toposort(chosen, available)

    def _need_artifact(self, art: str, have: set[str], chosen: list[str], visiting: set[str]) -> None:
        if art in have:
            return
        best: tuple[float, int, list[str]] | None = None
        for i, prod in enumerate(self.producers.get(art, [])):
            if prod in visiting:
                continue
            trial = list(chosen)
            try:
                self._need_tool(prod, set(have), trial, visiting | {prod})
            except PlanningError:
                continue
            cost = sum(self.tools[n].cost for n in trial)
            if best is None or (cost, i) < best[:2]:
                best = (cost, i, trial)
        if best is None:
            raise PlanningError(f"nothing can produce {art!r} from {sorted(have)}")
        chosen[:] = best[2]
        for n in chosen:
            have |= self.made_by[n]

    def _need_tool(self, tool: str, have: set[str], chosen: list[str], visiting: set[str]) -> None:
        if tool in chosen:
            return
        # re-check after each artifact: making one may satisfy a planning default of another
        while missing := self.missing(tool, have):
            self._need_artifact(missing[0], have, chosen, visiting | {tool})
            if self.missing(tool, have) == missing:  # pragma: no cover - _need_artifact raises
                raise PlanningError(f"cannot satisfy {missing[0]!r} for {tool}")
        chosen.append(tool)
        have |= self.made_by[tool]

    def dag(self, plan: list[str], available: Iterable[str]) -> dict[str, set[str]]:
        """Edges of the plan: tool → the planned tools it waits for. A consumed artifact that is
        not already available waits for every planned producer of it (so lineage runs last)."""
        have = set(available)
        deps: dict[str, set[str]] = {n: set() for n in plan}
        for name in plan:
            for c in self.tools[name].consumes:
                if c.artifact in have:
                    continue
                deps[name] |= {p for p in self.producers.get(c.artifact, []) if p in deps and p != name}
            # planning defaults may refer to artifacts too (e.g. "${project_name} workflow")
            for tmpl in self.tools[name].planning_defaults.values():
                for art in refs(tmpl) - have:
                    deps[name] |= {p for p in self.producers.get(art, []) if p in deps and p != name}
        return deps

    def levels(self, plan: list[str], available: Iterable[str]) -> list[list[str]]:
        """Topological levels: the tools in one level do not depend on each other. Ties keep
        registry order. A cycle (two tools each waiting for the other's artifact) is broken by
        running the earliest stuck tool without its unfinished dependencies."""
        deps = self.dag(plan, available)
        pos = {n: i for i, n in enumerate(self.order)}
        todo = sorted(plan, key=pos.__getitem__)
        done: set[str] = set()
        out: list[list[str]] = []
        while todo:
            level = [n for n in todo if deps[n] <= done] or todo[:1]
            out.append(level)
            done |= set(level)
            todo = [n for n in todo if n not in done]
        return out

    def toposort(self, plan: Iterable[str], available: Iterable[str]) -> list[str]:
        """The plan flattened in dependency order."""
        return [n for level in self.levels(list(plan), available) for n in level]

    # -- binding ------------------------------------------------------------------------------
    def bind(self, tool: str, artifacts: Mapping[str, Any], explicit: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Arguments for a step: explicit ones, then artifacts bound by `consumes`, then the
        tool's planning defaults rendered from artifacts."""
        spec = self.tools[tool]
        args: dict[str, Any] = dict(explicit or {})
        for c in spec.consumes:
            if c.arg and c.arg not in args and c.artifact in artifacts:
                args[c.arg] = artifacts[c.artifact]
        for arg in self.implicit[tool]:
            if arg not in args and arg in artifacts:
                args[arg] = artifacts[arg]
        for arg, tmpl in spec.planning_defaults.items():
            if arg not in args and refs(tmpl) <= set(artifacts):
                args[arg] = render(tmpl, artifacts)
        return args

    def artifacts_of(self, tool: str, output: Mapping[str, Any]) -> dict[str, Any]:
        """What a successful call makes available to later steps."""
        out: dict[str, Any] = {}
        for p in self.tools[tool].produces:
            if p.field is None:
                out[p.artifact] = True
            elif output.get(p.field) is not None:
                out[p.artifact] = output[p.field]
        return out

