"""Which container a type name means, in which order containers are declared, and which module
imports which, so the generated Lean is well-founded.

- Inside a module, containers are declared after the containers their fields use (a stable
  topological order, ties by source order). References inside a cycle (a class whose field has its
  own type, two classes pointing at each other) cannot be Lean structure fields: they are mapped
  to an opaque `Unknown_*` type instead.
- Across modules, a reference adds an `import`, unless that import would close an import cycle;
  then the reference becomes an opaque `Unknown_*` type too. Modules are visited in path order,
  so the outcome is deterministic.
- A reference is found by the symbol the index resolved (refs.py); only a name the index left
  unresolved is looked up by name, and then only when one container of the project has it.
- Cost: dictionaries by symbol and by name; the modules that reach a module through imports are
  computed once, when that module is rendered (its own new imports cannot add any).
"""

from __future__ import annotations

import heapq

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
        self.by_name: dict[str, list[str]] = {}                # display name -> symbols, path order
        self.imports: dict[str, set[str]] = {}
        self._importers: dict[str, set[str]] = {}
        self._reaching: dict[str, set[str]] = {}               # module -> modules that import it, transitively
        self._blocked: set[tuple[str, str]] = set()
        self._deps: dict[str, list[str]] = {}
        for spec, mod_name in modules:
            scope = Scope()
            self.scopes[spec.relative_path] = scope
            self.imports[mod_name] = set()
            self._importers[mod_name] = set()
            names = self.by_path.setdefault(spec.relative_path, {})
            for c in spec.containers:
                self.lean[c.symbol] = scope.claim(c.name)
                self.module_of[c.symbol] = mod_name
                names.setdefault(c.name, c.symbol)
                self.by_name.setdefault(c.name, []).append(c.symbol)
            self._local_cycles(spec)

    def _local_cycles(self, spec: ModuleSpec) -> None:
        names = self.by_path[spec.relative_path]
        local = set(names.values())
        for c in spec.containers:
            texts = [(f.type_text, f.refs) for f in c.fields] + ([(c.alias_text, c.refs)] if c.alias_text else [])
            deps: list[str] = []
            for text, refs in texts:
                for n in referenced_names(parse_type(text, spec.language), spec.language):
                    sym = refs.get(n) or names.get(n) or spec.refs.get(n)
                    if sym in local and sym not in deps:
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
        """Stable topological order over the non-blocked field dependencies (Kahn's algorithm,
        ready containers taken in source order)."""
        position = {c.symbol: i for i, c in enumerate(containers)}
        waiting: dict[str, int] = {}
        users: dict[str, list[str]] = {}
        for c in containers:
            deps = {d for d in self._deps.get(c.symbol, []) if d in position and d != c.symbol
                    and not self.blocked(c.symbol, d)}
            waiting[c.symbol] = len(deps)
            for d in deps:
                users.setdefault(d, []).append(c.symbol)
        ready = [position[s] for s, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        out: list[ContainerSpec] = []
        while ready:
            c = containers[heapq.heappop(ready)]
            out.append(c)
            for user in users.get(c.symbol, []):
                waiting[user] -= 1
                if waiting[user] == 0:
                    heapq.heappush(ready, position[user])
        if len(out) < len(containers):   # unreachable once cycles are blocked; keep source order
            done = {c.symbol for c in out}
            out.extend(c for c in containers if c.symbol not in done)
        return out

    def _reaching_modules(self, module: str) -> set[str]:
        """Modules with an import path to `module` (computed once: while `module` is rendered,
        only its own imports are added, and those cannot create a new path into it)."""
        found = self._reaching.get(module)
        if found is None:
            found, stack = set(), [module]
            while stack:
                for importer in self._importers.get(stack.pop(), ()):
                    if importer not in found:
                        found.add(importer)
                        stack.append(importer)
            self._reaching[module] = found
        return found

    def resolve_symbol(self, out: ModuleOut, symbol: str) -> str | None:
        """The qualified Lean name of the container `symbol` of another module, importing that
        module when the import graph stays acyclic; None for a symbol that is no container of
        the project (an installed library's class, a file left out) or an import cycle."""
        mod_name = self.module_of.get(symbol)
        if mod_name is None or mod_name == out.name:
            return None
        if mod_name not in self.imports[out.name]:
            if mod_name in self._reaching_modules(out.name):
                return None
            self.imports[out.name].add(mod_name)
            self._importers[mod_name].add(out.name)
            if mod_name not in out.imports:
                out.imports.append(mod_name)
        return f"{mod_name}.{self.lean[symbol]}"

    def resolve_unique(self, out: ModuleOut, name: str) -> str | None:
        """A name the index did not resolve: the one container of the project with that name
        (outside `out`), or None when there is none or several (an opaque stand-in, never a guess)."""
        symbols = [s for s in self.by_name.get(name, ()) if self.module_of[s] != out.name]
        return self.resolve_symbol(out, symbols[0]) if len(symbols) == 1 else None


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
