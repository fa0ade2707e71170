"""Which container a type name means, in which order containers are declared, and which module
imports which, so the generated Lean is well-founded.

- Inside a module, containers are declared after the containers their fields use (a stable
  topological order, ties by source order). References inside a cycle (a class whose field has its
  own type, two classes pointing at each other) cannot be Lean structure fields: they are mapped
  to an opaque `Unknown_*` type instead.
- Across modules, a reference adds an `import`, unless that import would close an import cycle;
  then the reference becomes an opaque `Unknown_*` type too. Modules are visited in path order,
  so the outcome is deterministic.
"""

from __future__ import annotations

from toolorch.backends.lean4.names import Scope
from toolorch.backends.lean4.spec import ContainerSpec, ModuleOut, ModuleSpec
from toolorch.backends.lean4.typeexpr import (
    TArray,
    TFunc,
    TLiteral,
    TName,
    TTuple,
    TUnion,
    TypeExpr,
    parse_type,
)


def referenced_names(t: TypeExpr, language: str) -> list[str]:
    """Last path segments of every named type in `t` (Python string forward refs included)."""
    out: list[str] = []
    if isinstance(t, TName):
        out.append(t.name.split("::")[-1].split(".")[-1])
        for a in t.args:
            out.extend(referenced_names(a, language))
    elif isinstance(t, TUnion | TTuple):
        for i in t.items:
            out.extend(referenced_names(i, language))
    elif isinstance(t, TArray):
        out.extend(referenced_names(t.elem, language))
    elif isinstance(t, TFunc):
        for p in (*t.params, t.result):
            out.extend(referenced_names(p, language))
    elif isinstance(t, TLiteral) and language == "python" and t.kind == "string":
        out.extend(referenced_names(parse_type(t.text[1:-1], language), language))
    return out


class ContainerGraph:
    """Containers of every module, their Lean names (claimed first, in path order) and the
    import graph between modules."""

    def __init__(self, modules: list[tuple[ModuleSpec, str]]) -> None:
        self.scopes: dict[str, Scope] = {}
        self.lean: dict[str, str] = {}                         # container symbol -> Lean name
        self.module_of: dict[str, str] = {}                    # container symbol -> module name
        self.by_path: dict[str, dict[str, str]] = {}           # path -> display name -> symbol
        self.order: list[tuple[str, str, str]] = []            # (module, display name, symbol)
        self.imports: dict[str, set[str]] = {}
        self._blocked: set[tuple[str, str]] = set()
        self._deps: dict[str, list[str]] = {}
        for spec, mod_name in modules:
            scope = Scope()
            self.scopes[spec.relative_path] = scope
            self.imports[mod_name] = set()
            names = self.by_path.setdefault(spec.relative_path, {})
            for c in spec.containers:
                self.lean[c.symbol] = scope.claim(c.name)
                self.module_of[c.symbol] = mod_name
                names.setdefault(c.name, c.symbol)
                self.order.append((mod_name, c.name, c.symbol))
            self._local_cycles(spec)

    def _local_cycles(self, spec: ModuleSpec) -> None:
        names = self.by_path[spec.relative_path]
        for c in spec.containers:
            texts = [f.type_text for f in c.fields] + ([c.alias_text] if c.alias_text else [])
            deps: list[str] = []
            for text in texts:
                for n in referenced_names(parse_type(text, spec.language), spec.language):
                    sym = names.get(n)
                    if sym is not None and sym not in deps:
                        deps.append(sym)
            self._deps[c.symbol] = deps
        for component in _sccs([c.symbol for c in spec.containers], self._deps):
            members = set(component)
            for a in component:
                for b in self._deps[a]:
                    if b in members and (len(component) > 1 or a == b):
                        self._blocked.add((a, b))

    def find_local(self, path: str, name: str) -> str | None:
        return self.by_path.get(path, {}).get(name)

    def blocked(self, source: str, target: str) -> bool:
        return (source, target) in self._blocked

    def ordered(self, path: str, containers: list[ContainerSpec]) -> list[ContainerSpec]:
        """Stable topological order over the non-blocked field dependencies."""
        pending = list(containers)
        done: set[str] = set()
        out: list[ContainerSpec] = []
        while pending:
            for i, c in enumerate(pending):
                deps = [d for d in self._deps.get(c.symbol, []) if not self.blocked(c.symbol, d)]
                if all(d in done or d == c.symbol for d in deps):
                    out.append(pending.pop(i))
                    done.add(c.symbol)
                    break
            else:  # unreachable once cycles are blocked; keep source order to be safe
                out.extend(pending)
                break
        return out

    def _reaches(self, start: str, goal: str) -> bool:
        stack, seen = [start], set()
        while stack:
            m = stack.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                stack.extend(self.imports.get(m, ()))
        return False

    def resolve_foreign(self, out: ModuleOut, name: str) -> str | None:
        """The qualified Lean name of a container `name` defined in another module, importing it
        when that keeps the import graph acyclic; None otherwise."""
        for mod_name, display, symbol in self.order:
            if display != name or mod_name == out.name:
                continue
            if mod_name in self.imports[out.name] or not self._reaches(mod_name, out.name):
                self.imports[out.name].add(mod_name)
                if mod_name not in out.imports:
                    out.imports.append(mod_name)
                return f"{mod_name}.{self.lean[symbol]}"
        return None


def _sccs(nodes: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative order is irrelevant for our use)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            result.append(comp)

    for n in nodes:
        if n not in index:
            visit(n)
    return result
